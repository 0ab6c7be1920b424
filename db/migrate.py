"""Run Alembic migrations programmatically, for the CLI and the tests.

Replicas start at once and each runs ``cadre db upgrade``: on an empty PostgreSQL
database, unserialised runs raced to create ``alembic_version`` and all but one
crashed. :func:`upgrade_serialised` holds a PostgreSQL advisory lock on its own
connection around the whole upgrade (migrations and whatever ``then`` installs), so
concurrent runs queue and the later ones find nothing left to do. SQLite needs no
such lock: its writers already take the database file's lock one at a time.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.engine import create_engine, is_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"
#: Advisory lock key of schema upgrades ("cadre" in ASCII): fixed, so every release and
#: every replica agrees on it; no other code of ours takes advisory locks.
MIGRATION_LOCK_KEY = 0x6361647265


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``.

    Blocking: call it from a thread in async code.
    """
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


@asynccontextmanager
async def migration_lock(connection: AsyncConnection) -> AsyncIterator[None]:
    """Hold the schema upgrade lock on ``connection`` (PostgreSQL; nothing on SQLite).

    A session-level advisory lock: it outlives the transactions run inside, and a
    process that dies mid-upgrade releases it with its connection.
    """
    if is_sqlite(str(connection.engine.url)):
        yield
        return
    await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    await connection.commit()
    try:
        yield
    finally:
        await connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                 {"key": MIGRATION_LOCK_KEY})
        await connection.commit()


async def upgrade_serialised(url: str,
                             then: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Migrate ``url`` to head, then run ``then`` in one transaction, under the lock.

    Args:
        url: the database URL.
        then: work that must see the migrated schema and must not run twice at once
            (installing the default policy and catalogues).
    """
    def migrate(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    engine = create_engine(url)
    try:
        async with engine.connect() as connection, migration_lock(connection):
            await connection.run_sync(migrate)
            # Alembic commits what it began; anything it left open is committed here.
            await connection.commit()
            async with (AsyncSession(bind=connection, expire_on_commit=False) as session,
                        session.begin()):
                await then(session)
    finally:
        await engine.dispose()
