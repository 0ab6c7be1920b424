"""Group commit of recorded reads: concurrent audited answers share a transaction, each
still records exactly its own read; a run fails only for its own fault."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from api.faults import is_unavailable
from api.shared_commits import SharedCommits
from db import audit
from db.direct import DriverStatement
from db.engine import ConnectionLimits, create_engine
from domain.enums import Role
from domain.principal import Holding, Principal
from tests.api.processes import PG_PORTS, free_port
from tests.conftest import uses_sqlite

pytestmark = pytest.mark.skipif(uses_sqlite(), reason="PostgreSQL's driver connections")

PAGE = """query Page($first: Int!, $unitId: ID!) {
  cadres(first: $first, filter: {unitId: $unitId}) { edges { node { id idNumber } } } }"""
READER = Principal(user_id=1, username="shared-commit-reader",
                   holdings=(Holding(Role.DISCIPLINE, None),))
COLUMNS = ("at", "actor", "role", "operation", "record_type", "record_ids", "fields",
           "previous_hash", "hash")
INSERT = DriverStatement(
    sql=f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES "
        f"($1, $2, $3, $4, $5, $6::json, $7::json, $8, $9) RETURNING id",
    names=COLUMNS, constants={},
    processors={"record_ids": json.dumps, "fields": json.dumps})


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def newest_events(engine: Any, count: int) -> list[dict[str, Any]]:
    """The ``count`` newest events with the transaction that wrote each (``xmin``)."""
    async with engine.connect() as connection:
        rows = await connection.execute(text(
            "SELECT xmin::text AS xmin, actor, record_ids::text AS record_ids "
            "FROM audit_events ORDER BY id DESC LIMIT :n"), {"n": count})
        return [dict(row._mapping) for row in rows]


def event_of(request: int) -> dict[str, Any]:
    return audit.event_row(actor=READER, operation="read", record_type="Cadre",
                           record_ids=[request], fields=["idNumber"], at=datetime.now(UTC))


async def test_concurrent_audited_reads_share_commits_and_each_records_its_own_ids(as_user,
                                                                                  engine):
    # given the page's statement already compiled
    org = as_user("demo-org")
    assert "errors" not in await org(PAGE, first=1, unitId="2")

    # when it is asked 24 times at once, beside twelve pages of other sizes
    answers = await asyncio.gather(*(org(PAGE, first=1, unitId="2") for _ in range(24)),
                                   *(org(PAGE, first=size, unitId="2") for size in range(1, 13)))

    # then every answer has its data, and the newest events hold exactly their ids
    assert all("errors" not in answer for answer in answers), answers
    answered = sorted(sorted(int(edge["node"]["id"]) for edge in answer["data"]["cadres"]["edges"]
                             if edge["node"]["idNumber"] is not None) for answer in answers)
    events = await newest_events(engine, len(answers))
    assert all(event["actor"] == "demo-org" for event in events)
    assert sorted(json.loads(event["record_ids"]) for event in events) == answered
    # and the runs of one statement text committed together, in fewer transactions
    assert len({event["xmin"] for event in events}) < len(events)


async def test_a_run_failing_in_a_shared_batch_fails_alone_and_the_others_are_stored(engine):
    # given four runs waiting together behind one already sent, one of them broken
    shared = SharedCommits(engine, timeout=10)
    broken = event_of(3) | {"hash": None}  # the column is NOT NULL
    first = asyncio.ensure_future(shared.fetch(INSERT, event_of(0)))
    await asyncio.sleep(0)
    together = [asyncio.ensure_future(shared.fetch(INSERT, params))
                for params in (event_of(1), event_of(2), broken, event_of(4))]

    # when they are sent
    results = await asyncio.gather(first, *together, return_exceptions=True)

    # then only the broken run failed; every other run's event is stored, once
    assert [isinstance(result, Exception) for result in results] == [
        False, False, False, True, False]
    events = await newest_events(engine, 4)
    assert sorted(json.loads(event["record_ids"]) for event in events) == [[0], [1], [2], [4]]


async def test_a_run_given_up_before_its_batch_leaves_writes_nothing(engine):
    # given a run sent alone, and two queued behind it, one of whose requester gives up
    shared = SharedCommits(engine, timeout=10)
    first = asyncio.ensure_future(shared.fetch(INSERT, event_of(10)))
    await asyncio.sleep(0)
    kept = asyncio.ensure_future(shared.fetch(INSERT, event_of(11)))
    dropped = asyncio.ensure_future(shared.fetch(INSERT, event_of(12)))
    await asyncio.sleep(0)
    dropped.cancel()

    # when the batches have been sent
    await asyncio.gather(first, kept)

    # then the dropped run wrote no event (the two batches may commit in either order)
    newest = [json.loads(event["record_ids"]) for event in await newest_events(engine, 3)]
    assert sorted(newest[:2]) == [[10], [11]]
    assert [12] not in newest


async def test_a_quiet_server_sends_a_run_at_once(engine):
    shared = SharedCommits(engine, timeout=10)
    row = await asyncio.wait_for(shared.fetch(INSERT, event_of(20)), 5)
    assert row["id"] > 0


async def test_an_outage_fails_every_run_of_the_batch_at_once():
    # given runs waiting together on a server that does not answer
    nowhere = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port(PG_PORTS)}/x",
                            limits=ConnectionLimits(pool_timeout_seconds=1))
    shared = SharedCommits(nowhere, timeout=10)
    try:
        first = asyncio.ensure_future(shared.fetch(INSERT, event_of(30)))
        await asyncio.sleep(0)
        together = [asyncio.ensure_future(shared.fetch(INSERT, event_of(n))) for n in (31, 32)]

        # when they are sent
        results = await asyncio.gather(first, *together, return_exceptions=True)
    finally:
        await nowhere.dispose()

    # then each fails as an outage, the two sent together with the very same failure
    # (not sent again one by one)
    assert all(is_unavailable(result) for result in results), results
    assert results[1] is results[2]
