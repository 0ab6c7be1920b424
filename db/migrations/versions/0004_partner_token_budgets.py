"""partner tokens' own operation budgets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: the token follows the partner defaults (CADRE_PARTNER_BUDGET_MAX_*).
    with op.batch_alter_table("partner_tokens") as batch:
        batch.add_column(sa.Column("budget", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_tokens") as batch:
        batch.drop_column("budget")
