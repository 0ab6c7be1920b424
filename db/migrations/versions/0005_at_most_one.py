"""every "at most one" rule backed by a unique index

One open adjustment case per cadre, each policy line stored once, each role holding
once (the unit-less roles, admin and cadre, included: a unique constraint treats NULL
units as distinct, so they need a partial index of their own).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("stage <> 'CLOSED'")
UNIT_LESS = sa.text("unit_id IS NULL")
#: Casbin leaves unused values NULL; coalesced, two equal lines compare equal.
RULE_LINE: list[str | sa.TextClause] = ["ptype",
                                        *(sa.text(f"coalesce(v{i}, '')") for i in range(6))]


def upgrade() -> None:
    connection = op.get_bind()
    doubled = connection.execute(sa.text(
        "SELECT cadre_id FROM adjustment_cases WHERE stage <> 'CLOSED' "
        "GROUP BY cadre_id HAVING count(*) > 1")).scalars().all()
    if doubled:
        # Which of two open cases is the real one is for the department to say.
        raise RuntimeError(f"cadres with more than one open case: {sorted(doubled)}; "
                           "close the extra cases, then upgrade again")
    # Duplicates carry no meaning of their own: keep the first of each.
    connection.execute(sa.text(
        "DELETE FROM casbin_rule WHERE id NOT IN (SELECT min(id) FROM casbin_rule GROUP BY "
        "ptype, coalesce(v0, ''), coalesce(v1, ''), coalesce(v2, ''), coalesce(v3, ''), "
        "coalesce(v4, ''), coalesce(v5, ''))"))
    connection.execute(sa.text(
        "DELETE FROM role_assignments WHERE unit_id IS NULL AND id NOT IN "
        "(SELECT min(id) FROM role_assignments WHERE unit_id IS NULL GROUP BY user_id, role)"))
    op.create_index("uq_adjustment_cases_open_per_cadre", "adjustment_cases", ["cadre_id"],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("uq_casbin_rule_line", "casbin_rule", RULE_LINE, unique=True)
    op.create_index("uq_role_assignment_unit_less", "role_assignments", ["user_id", "role"],
                    unique=True, sqlite_where=UNIT_LESS, postgresql_where=UNIT_LESS)


def downgrade() -> None:
    op.drop_index("uq_role_assignment_unit_less", table_name="role_assignments")
    op.drop_index("uq_casbin_rule_line", table_name="casbin_rule")
    op.drop_index("uq_adjustment_cases_open_per_cadre", table_name="adjustment_cases")
