"""A pooled PostgreSQL connection is checked as it is handed out without a round trip while
in use: one the server closed is replaced before any statement fails on it, and only a
connection idle for longer than the threshold is pinged."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import create_engine
from tests.conftest import uses_sqlite

pytestmark = pytest.mark.skipif(uses_sqlite(), reason="PostgreSQL connections")


async def _backend(engine: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _logged(engine: Any, queries: list[str]) -> None:
    """Record every query the pooled connection's driver sends (pings included)."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        raw.driver_connection.add_query_logger(lambda record: queries.append(record.query))


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[Any]:
    made: list[Any] = []

    def make(**options: Any) -> Any:
        engine = create_engine(database_url, pool_size=1, max_overflow=0, **options)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        await engine.dispose()


async def test_a_connection_the_server_closed_is_replaced_before_use(engines, database):
    engine = engines()
    first = await _backend(engine)
    # when the server ends the pooled connection's session (as a restart would)
    async with database.begin() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        for _ in range(100):  # the backend is gone, as after a shutdown
            if not (await connection.execute(text(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": first})).first():
                break
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    # then the next statement runs without an error, on a new connection, unpinged
    queries: list[str] = []
    assert await _backend(engine) != first
    await _logged(engine, queries)
    await _backend(engine)
    assert ";" not in queries, queries


async def test_a_connection_in_use_is_not_pinged(engines):
    engine = engines()
    queries: list[str] = []
    await _logged(engine, queries)
    for _ in range(5):
        await _backend(engine)
    # each use is its transaction (BEGIN, the statement, ROLLBACK), and no ping (";")
    assert queries.count("BEGIN;") == 5 and ";" not in queries, queries


async def test_a_connection_idle_past_the_threshold_is_pinged(engines):
    engine = engines(ping_after_idle_seconds=0)
    queries: list[str] = []
    await _logged(engine, queries)
    for _ in range(3):
        await _backend(engine)
    # a ping (";" in a transaction of its own) before each use
    assert queries.count(";") == 3 and queries.count("BEGIN;") == 6, queries
