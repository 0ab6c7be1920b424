"""Writing the documentary record: one hash-chained event per change or audited read.

Events are written in the caller's transaction, so a change and its record
commit or roll back together. Writers first update the single chain-head row,
which takes its lock on PostgreSQL and the write lock on SQLite, so concurrent
transactions append one after the other and the chain never forks.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal
from db.models import AuditEvent, AuditHead
from domain.audit import Event, StoredEvent, seal


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
        at: when (UTC).
    """
    await session.execute(update(AuditHead).where(AuditHead.id == 1)
                          .values(last_event_id=AuditHead.last_event_id))
    head = await session.scalar(select(AuditHead).where(AuditHead.id == 1))
    if head is None:
        raise RuntimeError("the audit chain head is missing: run `cadre db upgrade`")
    event = Event(at=at, actor=actor.username, role=roles_of(actor), operation=operation,
                  record_type=record_type, record_ids=list(record_ids), fields=list(fields))
    sealed = seal(head.last_hash, event)
    row = AuditEvent(at=at, actor=event.actor, role=event.role, operation=operation,
                     record_type=record_type, record_ids=event.record_ids, fields=event.fields,
                     previous_hash=head.last_hash, hash=sealed)
    session.add(row)
    await session.flush()
    head.last_event_id = row.id
    head.last_hash = sealed


def stored(row: AuditEvent) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        event=Event(at=row.at, actor=row.actor, role=row.role, operation=row.operation,
                    record_type=row.record_type, record_ids=row.record_ids, fields=row.fields),
        previous_hash=row.previous_hash, hash=row.hash)
