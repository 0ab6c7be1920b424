"""The documentary record on the session's database: appending, sealing, and what an
insider with write access to every table can and cannot hide from `verify`."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit
from db.audit_keys import SigningKey
from db.engine import create_engine, create_sessionmaker
from db.models import AuditCheckpoint, AuditEvent
from domain.audit import GENESIS, Checkpoint, batch_root, content_matches, seal
from domain.enums import Role
from domain.principal import Holding, Principal
from tests.conftest import uses_sqlite

ACTOR = Principal(user_id=1, username="li", holdings=(Holding(Role.DISCIPLINE, None),
                                                      Holding(Role.ORG, None)))
START = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def append(session: AsyncSession, number: int, actor: Principal = ACTOR) -> None:
    await audit.record(session, actor=actor, operation="updateCadre", record_type="Cadre",
                       record_ids=[number], fields=["position"],
                       at=START + timedelta(minutes=number))


async def test_an_event_written_with_an_offset_verifies_as_stored(sessions, audit_key,
                                                                  signature_ok):
    beijing = datetime(2026, 3, 1, 17, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    async with sessions() as session, session.begin():
        await audit.record(session, actor=ACTOR, operation="updateCadre", record_type="Cadre",
                           record_ids=[3, 1], fields=["position"], at=beijing)
    await audit.seal_pending(sessions, audit_key)
    async with sessions() as session:
        newest = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        outcome = await audit.verify(session, signature_ok)
    assert newest is not None and newest.role == "discipline+org"
    assert newest.at == beijing and newest.at.tzinfo is not None
    assert newest.checkpoint_id is not None
    assert outcome.broken is None and outcome.unsealed == 0


async def test_an_event_rolled_back_with_its_change_leaves_no_trace(sessions, signature_ok):
    async with sessions() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEvent))
        await append(session, 1)
        await session.rollback()
        after = await session.scalar(select(func.count()).select_from(AuditEvent))
        outcome = await audit.verify(session, signature_ok)
    assert after == before
    assert outcome.broken is None


async def test_two_equal_events_are_both_kept(sessions):
    async with sessions() as session, session.begin():
        await append(session, 7)
        await append(session, 7)
        hashes = (await session.scalars(select(AuditEvent.hash).order_by(
            AuditEvent.id.desc()).limit(2))).all()
    assert hashes[0] == hashes[1]


# --- an insider with database access ------------------------------------------------------
# Each test works in one transaction that is rolled back, so the session's trail is left
# as it was: it appends and seals six events, tampers, and asks `verify`.


@pytest.fixture
async def sealed(sessions, audit_key) -> AsyncIterator[tuple[AsyncSession, list[int]]]:
    """A transaction where everything is sealed and six new events close the trail: three
    checkpoints of two; yields the session and the six ids."""
    async with sessions() as session:
        await session.begin()
        while await audit.seal_batch(session, audit_key) is not None:
            pass
        ids = []
        for pair in range(3):
            for number in (2 * pair + 1, 2 * pair + 2):
                await append(session, number)
                ids.append(await session.scalar(select(func.max(AuditEvent.id))))
            assert await audit.seal_batch(session, audit_key) is not None
        yield session, ids
        await session.rollback()


async def reseal_everything(session: AsyncSession, own_key: SigningKey | None = None) -> None:
    """What an insider can do: recompute every event hash, every legacy link, every
    checkpoint's root, chain and hash, and sign with a key of his own if he has one."""
    legacy = GENESIS
    for row in (await session.execute(select(*audit._EVENT_COLUMNS)
                                      .order_by(AuditEvent.id))).all():
        event = audit.stored(row)
        previous = row.previous_hash
        if previous:
            previous, legacy = legacy, seal(legacy, event.event)
        fresh = seal(previous, event.event)
        if (fresh, previous) != (row.hash, row.previous_hash):
            await session.execute(update(AuditEvent).where(AuditEvent.id == row.id)
                                  .values(hash=fresh, previous_hash=previous))
    previous_hash = GENESIS
    for row in (await session.execute(select(*audit._CHECKPOINT_COLUMNS)
                                      .order_by(AuditCheckpoint.id))).all():
        pairs = [(r.id, r.hash) for r in (await session.execute(
            select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.checkpoint_id == row.id)
            .order_by(AuditEvent.id))).all()]
        checkpoint = Checkpoint(
            id=row.id, previous_hash=previous_hash, sealed_at=row.sealed_at,
            first_event_id=pairs[0][0], last_event_id=pairs[-1][0], events=len(pairs),
            root=batch_root(pairs), key_id=own_key.key_id if own_key else row.key_id)
        signature = own_key.sign(checkpoint.body()) if own_key else row.signature
        await session.execute(update(AuditCheckpoint).where(AuditCheckpoint.id == row.id)
                              .values(**{**checkpoint.__dict__, "hash": checkpoint.computed_hash(),
                                         "signature": signature}))
        previous_hash = checkpoint.computed_hash()


async def newest_checkpoints(session: AsyncSession, count: int) -> list[int]:
    return list((await session.scalars(select(AuditCheckpoint.id).order_by(
        AuditCheckpoint.id.desc()).limit(count))).all())[::-1]


async def test_an_untouched_trail_verifies(sealed, signature_ok):
    session, ids = sealed
    outcome = await audit.verify(session, signature_ok)
    assert outcome.broken is None and outcome.unsealed == 0 and outcome.checkpoints >= 3


async def test_an_altered_event_is_named_when_its_hash_was_left(sealed, signature_ok):
    session, ids = sealed
    await session.execute(update(AuditEvent).where(AuditEvent.id == ids[3]).values(actor="x"))

    outcome = await audit.verify(session, signature_ok)

    assert outcome.broken == f"event {ids[3]}: its content does not match its hash"


@pytest.mark.parametrize("own_key", [False, True], ids=["signatures-kept", "own-key"])
async def test_an_altered_event_resealed_by_an_insider_is_reported(sealed, signature_ok,
                                                                   own_key):
    session, ids = sealed
    middle = (await newest_checkpoints(session, 3))[1]
    await session.execute(update(AuditEvent).where(AuditEvent.id == ids[3]).values(actor="x"))
    await reseal_everything(session, SigningKey.generate() if own_key else None)

    outcome = await audit.verify(session, signature_ok)

    # re-signed with his own key, every checkpoint is untrusted, from the first one on
    first_named = "checkpoint 1 " if own_key else f"checkpoint {middle} (events {ids[2]}–{ids[3]}):"
    assert outcome.broken is not None and outcome.broken.startswith(first_named)
    assert "its signature does not verify" in outcome.broken


async def test_a_deleted_event_resealed_by_an_insider_is_reported(sealed, signature_ok):
    session, ids = sealed
    middle = (await newest_checkpoints(session, 3))[1]
    await session.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
    await reseal_everything(session)

    outcome = await audit.verify(session, signature_ok)

    assert outcome.broken is not None and outcome.broken.startswith(f"checkpoint {middle} ")
    assert "signature does not verify" in outcome.broken


async def test_a_deleted_event_is_reported_by_its_checkpoints_root(sealed, signature_ok):
    session, ids = sealed
    middle = (await newest_checkpoints(session, 3))[1]
    await session.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))

    outcome = await audit.verify(session, signature_ok)

    assert outcome.broken == (f"checkpoint {middle} (events {ids[2]}–{ids[3]}): its events "
                              f"do not match its root: an event was deleted, added, moved or "
                              f"reordered")


async def test_a_reordered_pair_resealed_by_an_insider_is_reported(sealed, signature_ok):
    session, ids = sealed
    rows = {row.id: row for row in (await session.execute(
        select(*audit._EVENT_COLUMNS).where(AuditEvent.id.in_(ids[4:])))).all()}
    for target, source in ((ids[4], ids[5]), (ids[5], ids[4])):
        await session.execute(update(AuditEvent).where(AuditEvent.id == target).values(
            at=rows[source].at, record_ids=rows[source].record_ids, hash=rows[source].hash))
    swapped = await audit.verify(session, signature_ok)
    assert swapped.broken is not None and "do not match its root" in swapped.broken
    await reseal_everything(session)

    outcome = await audit.verify(session, signature_ok)

    newest = (await newest_checkpoints(session, 1))[0]
    assert outcome.broken is not None
    assert outcome.broken.startswith(f"checkpoint {newest} (events {ids[4]}–{ids[5]}): "
                                     f"its signature does not verify")


async def test_a_truncated_tail_is_reported_against_the_witness(sealed, signature_ok):
    session, ids = sealed
    [before_last, last] = await newest_checkpoints(session, 2)
    last_hash = await session.scalar(select(AuditCheckpoint.hash)
                                     .where(AuditCheckpoint.id == last))
    witness = (last, str(last_hash))
    assert (await audit.verify(session, signature_ok, witness=witness)).broken is None
    # the insider removes the newest checkpoint and the events it holds
    await session.execute(delete(AuditEvent).where(AuditEvent.checkpoint_id == last))
    await session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.id == last))

    outcome = await audit.verify(session, signature_ok, witness=witness)

    assert outcome.broken == (f"checkpoint {last}, recorded by the witness, is missing: the "
                              f"newest checkpoints and their events were removed")
    assert before_last == last - 1


async def test_a_removed_checkpoint_in_the_middle_is_named(sealed, signature_ok):
    session, ids = sealed
    middle = (await newest_checkpoints(session, 3))[1]
    await session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.id == middle))

    outcome = await audit.verify(session, signature_ok)

    assert outcome.broken == f"event {ids[2]}: held by checkpoint {middle}, which does not exist"


async def test_a_checkpoint_signed_by_another_key_is_reported(sealed, audit_key):
    session, ids = sealed
    from db.audit_keys import Verifier

    outcome = await audit.verify(session, Verifier([SigningKey.generate().public]))

    assert outcome.broken is not None and "signature does not verify" in outcome.broken


async def test_an_unsealed_tail_older_than_the_bound_is_reported(sealed, signature_ok):
    session, ids = sealed
    await append(session, 99)  # written at START + 99 minutes: long ago

    within = await audit.verify(session, signature_ok, unsealed_bound=timedelta(days=36500))
    past = await audit.verify(session, signature_ok, unsealed_bound=timedelta(hours=1))

    assert within.broken is None and within.unsealed == 1
    assert past.broken is not None and "1 events are not sealed" in past.broken


# --- concurrency: real transactions side by side ------------------------------------------


@pytest.mark.skipif(uses_sqlite(), reason="SQLite runs one writer at a time")
async def test_an_event_committed_after_a_later_id_is_sealed_by_the_next_checkpoint(
        sessions, audit_key, signature_ok):
    # given a transaction that appended and has not committed yet
    async with sessions() as slow, sessions() as fast:
        await slow.begin()
        await append(slow, 1)
        slow_id = await slow.scalar(select(func.max(AuditEvent.id)))
        # when a later event commits and the sealer runs meanwhile
        async with fast.begin():
            await append(fast, 2)
        first = await audit.seal_pending(sessions, audit_key)
        await slow.commit()
    second = await audit.seal_pending(sessions, audit_key)
    # then the slow event went into the next checkpoint: nothing lost, nothing forked
    async with sessions() as session:
        held_by = await session.scalar(select(AuditEvent.checkpoint_id)
                                       .where(AuditEvent.id == slow_id))
        outcome = await audit.verify(session, signature_ok)
    assert first and second and held_by == second[-1].id
    assert second[0].previous_hash == first[-1].hash
    assert outcome.broken is None and outcome.unsealed == 0


async def test_concurrent_writers_and_sealers_lose_no_event_and_fork_nothing(
        sessions, audit_key, signature_ok):
    writers, per_writer = 6, 8
    done = asyncio.Event()
    written: list[int] = []

    async def writer(number: int) -> None:
        for step in range(per_writer):
            async with sessions() as session, session.begin():
                await append(session, number * 100 + step)
                # Its own event: the newest at its moment (another writer's may be newer).
                written.append(await session.scalar(
                    select(func.max(AuditEvent.id)).where(
                        AuditEvent.at == START + timedelta(minutes=number * 100 + step))))
                await asyncio.sleep(0.005 * (number % 3))  # hold the transaction a while

    async def sealer() -> int:
        rounds = 0
        while not done.is_set():
            await audit.seal_pending(sessions, audit_key, batch_size=5)
            rounds += 1
            await asyncio.sleep(0.01)
        return rounds

    sealers = [asyncio.create_task(sealer()) for _ in range(2)]
    await asyncio.gather(*(writer(number) for number in range(writers)))
    done.set()
    await asyncio.gather(*sealers)
    await audit.seal_pending(sessions, audit_key)

    async with sessions() as session:
        unsealed = await session.scalar(select(func.count()).select_from(AuditEvent)
                                        .where(AuditEvent.checkpoint_id.is_(None)))
        held = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.id.in_(written), AuditEvent.checkpoint_id.is_not(None)))
        outcome = await audit.verify(session, signature_ok)
    assert len(written) == writers * per_writer and held == len(written)
    assert unsealed == 0
    assert outcome.broken is None


@pytest.mark.skipif(uses_sqlite(), reason="SQLite runs one writer at a time")
async def test_a_sealer_finding_the_lock_taken_skips_its_turn(database_url, sessions,
                                                              audit_key):
    engine = create_engine(database_url)
    async with engine.connect() as outsider:
        await outsider.execute(text("SELECT pg_advisory_lock(:key)"),
                               {"key": audit.SEAL_LOCK_KEY})
        async with sessions() as session, session.begin():
            await append(session, 5)
        skipped = await audit.seal_pending(sessions, audit_key)
        await outsider.execute(text("SELECT pg_advisory_unlock(:key)"),
                               {"key": audit.SEAL_LOCK_KEY})
    await engine.dispose()
    resumed = await audit.seal_pending(sessions, audit_key)
    assert skipped == [] and resumed


def test_content_matches_tells_a_chained_event_from_an_unchained_one():
    from domain.audit import Event, StoredEvent, digest

    event = Event(at=START, actor="a", role="org", operation="read", record_type="Cadre",
                  record_ids=[1], fields=["idNumber"])
    assert content_matches(StoredEvent(1, event, "", digest(event)))
    assert not content_matches(StoredEvent(1, event, GENESIS, digest(event)))


async def test_a_checkpoint_sealed_while_verify_walks_raises_no_false_break(
        database_url, sessions, audit_key, signature_ok):
    from sqlalchemy.ext.asyncio import AsyncSession

    class SealedMidWalk(AsyncSession):
        """A session before whose second statement of the walk (the checkpoints, after the
        sealed events were read) another transaction appends and seals."""

        statements = 0

        async def execute(self, *args: Any, **kwargs: Any) -> Any:
            self.statements += 1
            if self.statements == 2:
                async with sessions() as other, other.begin():
                    await append(other, 77)
                assert await audit.seal_pending(sessions, audit_key)
            return await super().execute(*args, **kwargs)

    await audit.seal_pending(sessions, audit_key)
    engine = create_engine(database_url)
    try:
        async with SealedMidWalk(bind=engine) as session:
            outcome = await audit.verify(session, signature_ok)
    finally:
        await engine.dispose()

    assert session.statements > 2
    assert outcome.broken is None and outcome.unsealed == 1  # counted as not sealed yet
