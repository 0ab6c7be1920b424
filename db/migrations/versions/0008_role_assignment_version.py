"""a change of an account's role assignments raises its roles version

Servers cache each account's principal (its roles and units) and check, in the
request's own transaction, that the account still stands as it was read: active, the
same token generation and the same roles version (api.principals). The database raises
the version itself on any write to ``role_assignments``, so every writer is covered:
the API's workflows, the command line and an operator's SQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RAISE = "UPDATE users SET roles_version = roles_version + 1 WHERE id = {row}.user_id"
SQLITE_TRIGGERS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
POSTGRES_FUNCTION = f"""
CREATE FUNCTION raise_roles_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE users SET roles_version = roles_version + 1;
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN {RAISE.format(row="OLD")}; END IF;
  IF TG_OP <> 'DELETE' THEN {RAISE.format(row="NEW")}; END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("roles_version", sa.Integer(), nullable=False,
                                   server_default="1"))
    if op.get_bind().dialect.name == "sqlite":
        for event, rows in SQLITE_TRIGGERS.items():
            body = " ".join(f"{RAISE.format(row=row)};" for row in rows)
            op.execute(f"CREATE TRIGGER role_assignments_raise_roles_version_{event.lower()} "
                       f"AFTER {event} ON role_assignments BEGIN {body} END")
        return
    op.execute(POSTGRES_FUNCTION)
    op.execute("CREATE TRIGGER role_assignments_raise_roles_version "
               "AFTER INSERT OR UPDATE OR DELETE ON role_assignments "
               "FOR EACH ROW EXECUTE FUNCTION raise_roles_version()")
    op.execute("CREATE TRIGGER role_assignments_truncated_raise_roles_version "
               "AFTER TRUNCATE ON role_assignments "
               "FOR EACH STATEMENT EXECUTE FUNCTION raise_roles_version()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER role_assignments_raise_roles_version_{event.lower()}")
    else:
        op.execute("DROP TRIGGER role_assignments_truncated_raise_roles_version "
                   "ON role_assignments")
        op.execute("DROP TRIGGER role_assignments_raise_roles_version ON role_assignments")
        op.execute("DROP FUNCTION raise_roles_version()")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("roles_version")
