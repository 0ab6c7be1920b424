"""The API's engine takes its pool sizes from the settings, and in pgbouncer mode keeps
no prepared statement between transactions and sends no session settings."""

import pytest
from sqlalchemy import text

from api.app import database_engine
from api.settings import Settings
from db.engine import pgbouncer_connect_args
from tests.conftest import uses_sqlite

#: Never connected to by the tests that only inspect the engine.
POSTGRES_URL = "postgresql+asyncpg://cadre@db.invalid:5432/cadre"


async def test_the_pool_settings_reach_the_api_engine() -> None:
    engine = database_engine(Settings(database_url=POSTGRES_URL, db_pool_size=3,
                                      db_max_overflow=2))
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    await engine.dispose()


def test_the_default_pool_is_twenty_with_no_overflow_to_open_and_close_under_load() -> None:
    settings = Settings(database_url=POSTGRES_URL)
    assert (settings.db_pool_size, settings.db_max_overflow, settings.db_pgbouncer) == \
        (20, 0, False)


def test_pgbouncer_mode_turns_both_statement_caches_off_and_names_statements_uniquely() -> None:
    args = pgbouncer_connect_args()
    assert args["statement_cache_size"] == 0
    assert args["prepared_statement_cache_size"] == 0
    name = args["prepared_statement_name_func"]
    assert len({name() for _ in range(1000)}) == 1000


@pytest.mark.skipif(uses_sqlite(), reason="asyncpg connections")
async def test_a_pgbouncer_mode_connection_caches_nothing_and_carries_no_session_limits(
        settings: Settings) -> None:
    pgbouncer = settings.model_copy(update={"db_pgbouncer": True,
                                            "db_statement_timeout_ms": 1234})
    engine = database_engine(pgbouncer)
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        adapted = raw.dbapi_connection
        timeout = await connection.scalar(text("SHOW statement_timeout"))
    await engine.dispose()
    assert adapted._prepared_statement_cache is None  # type: ignore[union-attr]
    assert adapted._connection._stmt_cache.get_max_size() == 0  # type: ignore[union-attr]
    assert timeout != "1234ms"  # left to the database role, not sent at connection start


@pytest.mark.skipif(uses_sqlite(), reason="asyncpg connections")
async def test_without_pgbouncer_the_statement_cache_stays_on(settings: Settings) -> None:
    engine = database_engine(settings)
    async with engine.connect() as connection:
        adapted = (await connection.get_raw_connection()).dbapi_connection
    await engine.dispose()
    assert adapted._prepared_statement_cache is not None  # type: ignore[union-attr]
