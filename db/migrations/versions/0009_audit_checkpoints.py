"""audit events sealed in signed checkpoints instead of one locked chain head

Requests append audit events without taking the ``audit_head`` row lock: an event's hash
covers its own content, and one sealer at a time gathers committed events into signed
checkpoints (db.audit). The events already chained keep their links and are sealed by
the first seal, which ``cadre db upgrade`` runs right after the migrations whenever a
signing key is available; without one (production with no key configured) they stay
unsealed, and ``cadre audit verify`` reports them, until a key is configured and the
sealer runs. Identical events may now exist (two equal reads in the same microsecond),
so the hash is no longer unique.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Names SQLite's unnamed unique constraint on ``hash`` so that batch mode can drop it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("audit_events",
                              naming_convention=NAMING if sqlite else None) as batch:
        batch.add_column(sa.Column("checkpoint_id", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_audit_events_hash" if sqlite else "audit_events_hash_key",
                              type_="unique")
        batch.create_index("ix_audit_events_checkpoint", ["checkpoint_id", "id"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_checkpoint")
        batch.drop_column("checkpoint_id")
        batch.create_unique_constraint(
            "uq_audit_events_hash" if sqlite else "audit_events_hash_key", ["hash"])
    op.drop_table("audit_checkpoints")
