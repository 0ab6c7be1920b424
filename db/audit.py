"""Writing and verifying the documentary record: one hash-chained event per change or read.

Events are written in the caller's transaction, so a change and its record
commit or roll back together. Writers first update the single chain-head row,
which takes its lock on PostgreSQL and the write lock on SQLite, so concurrent
transactions append one after the other and the chain never forks.

Only columns are read and written here, never ORM objects of the head: a
session reused across transactions (a query whose reads are recorded after a
rollback) must not seal against a head it loaded earlier.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent, AuditHead
from domain.audit import ChainCheck, Event, StoredEvent, seal
from domain.principal import Principal

HEAD_ID = 1
_EVENT_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.role,
                  AuditEvent.operation, AuditEvent.record_type, AuditEvent.record_ids,
                  AuditEvent.fields, AuditEvent.previous_hash, AuditEvent.hash)


class AuditUnavailable(RuntimeError):
    """The event could not be written; the caller's change must fail with it."""


def roles_of(actor: Principal) -> str:
    return "+".join(sorted({holding.role.value for holding in actor.holdings})) or "none"


async def record(session: AsyncSession, *, actor: Principal, operation: str,
                 record_type: str, record_ids: Sequence[int], fields: Sequence[str],
                 at: datetime) -> None:
    """Append one event to the chain in the session's transaction.

    Args:
        session: the unit of work's session; the event commits with the change.
        actor: who acted.
        operation: what he did, e.g. ``decideCase`` or ``read``.
        record_type: the kind of record, e.g. ``AdjustmentCase``.
        record_ids: the records touched.
        fields: the fields written or read.
        at: when (an aware datetime).

    Raises:
        AuditUnavailable: the chain head is missing; nothing may be committed then.
    """
    # A no-op update takes the head's row lock (the write lock on SQLite) before reading it.
    previous = await session.scalar(
        update(AuditHead).where(AuditHead.id == HEAD_ID)
        .values(last_event_id=AuditHead.last_event_id).returning(AuditHead.last_hash)
        .execution_options(synchronize_session=False))
    if previous is None:
        raise AuditUnavailable("the audit chain head is missing: run `cadre db upgrade`")
    # Sealed as stored: the database keeps UTC, so an offset would not survive the trip.
    event = Event(at=at.astimezone(UTC), actor=actor.username, role=roles_of(actor),
                  operation=operation, record_type=record_type,
                  record_ids=[int(i) for i in record_ids], fields=list(fields))
    sealed = seal(previous, event)
    event_id = await session.scalar(
        insert(AuditEvent).values(
            at=event.at, actor=event.actor, role=event.role, operation=operation,
            record_type=record_type, record_ids=event.record_ids, fields=event.fields,
            previous_hash=previous, hash=sealed)
        .returning(AuditEvent.id))
    await session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID)
                          .values(last_event_id=event_id, last_hash=sealed)
                          .execution_options(synchronize_session=False))


def stored(row: Any) -> StoredEvent:
    """The chain's view of a row of ``audit_events`` (an ORM object or a result row)."""
    return StoredEvent(
        id=row.id,
        event=Event(at=row.at, actor=row.actor, role=row.role, operation=row.operation,
                    record_type=row.record_type, record_ids=row.record_ids, fields=row.fields),
        previous_hash=row.previous_hash, hash=row.hash)


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain: events checked and the first break, if any."""

    events: int
    broken: str | None


async def _check_on(session: AsyncSession, check: ChainCheck, batch_size: int,
                    progress: Callable[[int], None] | None) -> str | None:
    """Feed ``check`` every event after the last one it checked; the first break, if any."""
    while True:
        rows = (await session.execute(
            select(*_EVENT_COLUMNS).where(AuditEvent.id > (check.last_id or 0))
            .order_by(AuditEvent.id).limit(batch_size))).all()
        for row in rows:
            broken = check.add(stored(row))
            if broken is not None:
                return broken
        if progress is not None:
            progress(check.count)
        if len(rows) < batch_size:
            return None


async def verify(session: AsyncSession, batch_size: int = 1000,
                 progress: Callable[[int], None] | None = None) -> Verification:
    """Walk ``audit_events`` in id order, ``batch_size`` rows at a time, against the head.

    Events committed while the walk runs are followed too: the walk ends only
    when the head names no event after the last one checked. ``progress``, if given, is
    told the events verified so far after each batch.
    """
    check = ChainCheck()
    count_at_last_look = -1
    while True:
        broken = await _check_on(session, check, batch_size, progress)
        if broken is not None:
            return Verification(check.count, broken)
        head = (await session.execute(select(AuditHead.last_event_id, AuditHead.last_hash)
                                      .where(AuditHead.id == HEAD_ID))).one_or_none()
        if head is None:
            return Verification(check.count, "the chain head (audit_head) is missing")
        # A head past the last event read means someone appended meanwhile: read on,
        # unless nothing new came since the last look (then those events are gone).
        if head.last_event_id <= (check.last_id or 0) or check.count == count_at_last_look:
            return Verification(check.count, check.finish(head.last_hash))
        count_at_last_look = check.count
