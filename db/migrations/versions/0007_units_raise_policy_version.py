"""a change of the unit tree raises the policy version

Servers cache the unit tree with the compiled policy and reload both when the policy
version rises (api.policy_sync). Units change rarely and not through the API (the seed,
an operator's SQL), so the database raises the version itself on any write to
``units``: every writer is covered, and the change reaches every server as a policy
change does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 17:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RAISE = "UPDATE policy_state SET version = version + 1 WHERE id = 1"
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite has row triggers only: a statement writing n units raises it n times.
        for event in SQLITE_EVENTS:
            op.execute(f"CREATE TRIGGER units_raise_policy_version_{event.lower()} "
                       f"AFTER {event} ON units BEGIN {RAISE}; END")
        return
    op.execute(f"CREATE FUNCTION raise_policy_version() RETURNS trigger LANGUAGE plpgsql "
               f"AS $$ BEGIN {RAISE}; RETURN NULL; END $$")
    op.execute("CREATE TRIGGER units_raise_policy_version "
               "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units "
               "FOR EACH STATEMENT EXECUTE FUNCTION raise_policy_version()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER units_raise_policy_version_{event.lower()}")
        return
    op.execute("DROP TRIGGER units_raise_policy_version ON units")
    op.execute("DROP FUNCTION raise_policy_version()")
