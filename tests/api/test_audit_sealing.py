"""The API's background sealer, and requests that never wait on an audit lock."""

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select, text

from db import audit
from db.engine import create_sessionmaker
from db.models import AuditEvent
from tests.api.test_http import serving
from tests.api.test_mutations import CREATE, cadre_input
from tests.conftest import GraphQLClient, uses_sqlite

READ_ID_NUMBERS = "{ cadres(first: 5) { edges { node { id idNumber } } } }"


async def newest_event(database: Any) -> tuple[int, int | None]:
    async with database.connect() as connection:
        row = (await connection.execute(select(AuditEvent.id, AuditEvent.checkpoint_id)
                                        .order_by(AuditEvent.id.desc()).limit(1))).one()
    return row.id, row.checkpoint_id


async def test_the_api_seals_audited_reads_in_the_background(settings, token, database,
                                                            tmp_path, signature_ok):
    witness = tmp_path / "witness.json"
    async with serving(settings, audit_seal_interval_seconds=0.05,
                       audit_witness_file=witness) as http:
        # given an audited read answered by a server that seals in the background
        body = await GraphQLClient(http, token("demo-org"))(READ_ID_NUMBERS)
        assert "errors" not in body
        event_id, _ = await newest_event(database)
        # then the read's event is sealed shortly, without any request asking for it
        for _ in range(200):
            _, checkpoint_id = await newest_event(database)
            if checkpoint_id is not None:
                break
            await asyncio.sleep(0.05)
    assert checkpoint_id is not None
    noted = json.loads(witness.read_text())
    assert noted["checkpoint"] >= checkpoint_id
    async with create_sessionmaker(database)() as session:
        outcome = await audit.verify(session, signature_ok,
                                     witness=(noted["checkpoint"], noted["hash"]))
    assert outcome.broken is None


@pytest.mark.skipif(uses_sqlite(), reason="one SQLite writer blocks every other by design")
async def test_an_outside_transaction_holding_audit_locks_blocks_no_request(
        settings, token, database, audit_key):
    async with database.connect() as outsider, serving(
            settings, audit_seal_interval_seconds=0.05) as http:
        org = GraphQLClient(http, token("demo-org"))
        # given an outside transaction holding the sealer's lock, the newest checkpoint's
        # row and the newest events' rows
        await outsider.execute(text("BEGIN"))
        await outsider.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": audit.SEAL_LOCK_KEY})
        await outsider.execute(text(
            "SELECT id FROM audit_checkpoints ORDER BY id DESC LIMIT 1 FOR UPDATE"))
        await outsider.execute(text(
            "SELECT id FROM audit_events ORDER BY id DESC LIMIT 50 FOR UPDATE"))
        # when requests read audited fields and write, while the background sealer tries
        answers = await asyncio.gather(*(org(READ_ID_NUMBERS) for _ in range(8)),
                                       org(CREATE, input=cadre_input()))
        async with database.connect() as connection:
            sealing_waits = await connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"))
        await outsider.execute(text("ROLLBACK"))
    # then every request answered in full (a wait past lock_timeout would be UNAVAILABLE)
    assert all("errors" not in answer for answer in answers), answers
    assert sealing_waits == 0
    async with database.connect() as connection:
        unsealed = await connection.scalar(select(func.count()).select_from(AuditEvent)
                                           .where(AuditEvent.checkpoint_id.is_(None)))
    assert unsealed >= 9  # the sealer skipped its turns while the lock was held
    assert await audit.seal_pending(create_sessionmaker(database), audit_key)  # and resumes
