"""user tokens bound to the account: a per-account token generation

A user token names the account's id and its generation; raising the generation
refuses every token issued before. Account ids are never reused.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite reuses the highest rowid once its row is deleted; AUTOINCREMENT never does, so
    # an account re-created after the newest one was deleted gets a new id (PostgreSQL's
    # sequences never reuse one anyway).
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("users", recreate="always" if sqlite else "auto",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("token_generation", sa.Integer(), nullable=False,
                                   server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_generation")
