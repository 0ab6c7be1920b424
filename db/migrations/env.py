"""Alembic environment: runs migrations over the async engine named in the config."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from db.engine import create_engine, is_sqlite
from db.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    if is_sqlite(str(connection.engine.url)):
        # A batch migration recreates a table; SQLite's foreign-key checks would refuse to
        # drop the old one while rows point at it. Off for this connection (outside any
        # transaction, where the pragma takes effect), the rows are copied whole anyway.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(str(connection.engine.url)),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
    else:
        asyncio.run(_run_async())


run_migrations_online()
