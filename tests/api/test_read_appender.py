"""Audited reads committed together: concurrent requests share statements, every request's
events are stored whole, and a statement that fails fails every request waiting on it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from api.reads import ReadAppender
from db import audit
from db.engine import create_engine
from db.models import AuditEvent
from domain.enums import Role
from domain.principal import Holding, Principal
from tests.api.test_sql_statements import counting_statements

READER = Principal(user_id=1, username="appender-reader",
                   holdings=(Holding(Role.DISCIPLINE, None),))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def rows_of(request: int, records: int = 2) -> list[dict[str, Any]]:
    return [audit.event_row(actor=READER, operation="read", record_type=record_type,
                            record_ids=[request * 10 + i for i in range(records)],
                            fields=["idNumber"], at=datetime.now(UTC))
            for record_type in ("Cadre", "Evaluation")]


async def stored(engine: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.actor == READER.username))).scalar_one())


async def test_concurrent_requests_share_statements_and_every_event_is_stored(engine):
    # given twenty requests finishing at once, each with events of two record types
    appender = ReadAppender(engine, direct=engine.dialect.name == "postgresql")
    before = await stored(engine)

    # when they append their reads together
    with counting_statements() as statements:
        await asyncio.gather(*(appender.append(rows_of(n)) for n in range(20)))

    # then all forty events are stored, in far fewer statements than requests
    assert await stored(engine) == before + 40
    inserts = [s for s in statements if s.startswith("INSERT INTO audit_events")]
    assert 1 <= len(inserts) <= 3, len(inserts)


async def test_a_failed_statement_fails_every_request_in_it_and_stores_none_of_them(engine):
    # given three requests waiting together, one of whose events cannot be stored
    appender = ReadAppender(engine, direct=engine.dialect.name == "postgresql")
    broken = rows_of(99)
    broken[1]["hash"] = None  # the column is NOT NULL
    before = await stored(engine)
    first = asyncio.ensure_future(appender.append(rows_of(1)))  # written at once, alone
    await asyncio.sleep(0)
    together = [asyncio.ensure_future(appender.append(rows)) for rows in
                (rows_of(2), broken, rows_of(3))]

    # when they are committed
    results = await asyncio.gather(first, *together, return_exceptions=True)

    # then the first request's statement stood, and the shared one failed as a whole
    assert results[0] is None
    assert all(isinstance(result, Exception) for result in results[1:]), results
    assert await stored(engine) == before + 2


async def test_a_quiet_server_writes_a_request_at_once(engine):
    appender = ReadAppender(engine, direct=engine.dialect.name == "postgresql")
    before = await stored(engine)
    await asyncio.wait_for(appender.append(rows_of(7)), 5)
    assert await stored(engine) == before + 2
