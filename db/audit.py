"""Writing, sealing and verifying the documentary record (纪实).

Appending takes no shared lock. `record` inserts one event in the caller's transaction
(it commits or rolls back with the change); its hash covers its own content. Concurrent
requests, on one server or many, append side by side.

Sealing: `seal_batch` gathers committed events that no checkpoint holds yet, in id order,
into one checkpoint: the root over their ``(id, hash)`` pairs, chained to the previous
checkpoint, signed with a key that is not in the database (db.audit_keys), and marks the
events with the checkpoint's id. One sealer at a time: a transaction-level PostgreSQL
advisory lock taken with *try* (a busy sealer is skipped, never waited for; it also works
through pgbouncer), SQLite's write lock elsewhere. The sealer takes what is committed,
whatever the order of ids, so an id whose transaction is still in flight is simply
sealed by a later checkpoint: no grace period and nothing lost when sequence values
commit out of order. Requests never touch the sealer's lock or the checkpoint rows: an
outside transaction holding either only delays sealing.

`verify` walks every checkpoint with its events, then the unsealed tail; see
`domain.audit.TrailCheck` for what it proves.
"""

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.audit_keys import SigningKey
from db.direct import DriverStatement, driver_statement, execute_committed
from db.models import AuditCheckpoint, AuditEvent, AuditHead
from domain.audit import (
    UNCHAINED,
    Checkpoint,
    Event,
    SignatureCheck,
    StoredEvent,
    TrailCheck,
    close_batch,
    digest,
)
from domain.principal import Principal

HEAD_ID = 1
#: Advisory lock key of the sealer ("seal" in ASCII); `db.migrate` uses another.
SEAL_LOCK_KEY = 0x7365616C
_EVENT_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.role,
                  AuditEvent.operation, AuditEvent.record_type, AuditEvent.record_ids,
                  AuditEvent.fields, AuditEvent.previous_hash, AuditEvent.hash,
                  AuditEvent.checkpoint_id)
_CHECKPOINT_COLUMNS = tuple(getattr(AuditCheckpoint, name) for name in (
    "id", "previous_hash", "sealed_at", "first_event_id", "last_event_id", "events", "root",
    "key_id", "hash", "signature"))


class AuditUnavailable(RuntimeError):
    """The event could not be written; the caller's change must fail with it."""


def roles_of(actor: Principal) -> str:
    return "+".join(sorted({holding.role.value for holding in actor.holdings})) or "none"


async def record(session: AsyncSession, *, actor: Principal, operation: str,
                 record_type: str, record_ids: Sequence[int], fields: Sequence[str],
                 at: datetime) -> None:
    """Append one event in the session's transaction; it waits on no other writer.

    Args:
        session: the unit of work's session; the event commits with the change.
        actor: who acted.
        operation: what he did, e.g. ``decideCase`` or ``read``.
        record_type: the kind of record, e.g. ``AdjustmentCase``.
        record_ids: the records touched.
        fields: the fields written or read.
        at: when (an aware datetime).
    """
    # Hashed as stored: the database keeps UTC, so an offset would not survive the trip.
    await session.execute(insert(AuditEvent).values(**event_row(
        actor=actor, operation=operation, record_type=record_type, record_ids=record_ids,
        fields=fields, at=at)))


def event_row(*, actor: Principal, operation: str, record_type: str,
              record_ids: Sequence[int], fields: Sequence[str], at: datetime) -> dict[str, Any]:
    """The row of one new event, its hash computed (see `record`)."""
    event = Event(at=at.astimezone(UTC), actor=actor.username, role=roles_of(actor),
                  operation=operation, record_type=record_type,
                  record_ids=[int(i) for i in record_ids], fields=list(fields))
    return {"at": event.at, "actor": event.actor, "role": event.role, "operation": operation,
            "record_type": record_type, "record_ids": event.record_ids,
            "fields": event.fields, "previous_hash": UNCHAINED, "hash": digest(event)}


_ROW_COLUMNS = ("at", "actor", "role", "operation", "record_type", "record_ids", "fields",
                "previous_hash", "hash")
#: Driver statements inserting n events, by dialect and n.
_INSERTS: dict[tuple[str, int], DriverStatement] = {}


async def append_committed(connection: AsyncConnection, rows: Sequence[dict[str, Any]], *,
                           direct: bool) -> None:
    """Append ``rows`` (`event_row`) in one statement committed on its own: all or none.

    For an operation that wrote nothing else (a query's audited reads), this is its whole
    transaction. ``direct`` runs it on the driver's connection (`db.direct`: PostgreSQL,
    not through pgbouncer); otherwise through SQLAlchemy, committed at once.
    """
    params = {f"{column}_{i}": row[column] for i, row in enumerate(rows)
              for column in _ROW_COLUMNS}
    if not direct:
        await connection.execute(_insert_rows(len(rows)), params)
        await connection.commit()
        return
    key = (connection.dialect.name, len(rows))
    statement = _INSERTS.get(key)
    if statement is None:
        if len(_INSERTS) >= 256:
            _INSERTS.clear()
        statement = _INSERTS[key] = driver_statement(_insert_rows(len(rows)),
                                                     connection.dialect)
    await execute_committed(connection, statement, params)


def _insert_rows(count: int) -> Any:
    """``INSERT`` of ``count`` events, their values bound as ``column_i``."""
    table = AuditEvent.__table__
    assert isinstance(table, Table)
    return insert(table).values([{column: bindparam(f"{column}_{i}", type_=table.c[column].type)
                                  for column in _ROW_COLUMNS} for i in range(count)])


def stored(row: Any) -> StoredEvent:
    """The trail's view of a row of ``audit_events`` (an ORM object or a result row)."""
    return StoredEvent(
        id=row.id,
        event=Event(at=row.at, actor=row.actor, role=row.role, operation=row.operation,
                    record_type=row.record_type, record_ids=row.record_ids, fields=row.fields),
        previous_hash=row.previous_hash, hash=row.hash)


def checkpoint_of(row: Any) -> Checkpoint:
    return Checkpoint(id=row.id, previous_hash=row.previous_hash, sealed_at=row.sealed_at,
                      first_event_id=row.first_event_id, last_event_id=row.last_event_id,
                      events=row.events, root=row.root, key_id=row.key_id, hash=row.hash,
                      signature=row.signature)


# --- sealing -----------------------------------------------------------------------------

async def _take_seal_lock(session: AsyncSession) -> bool:
    """The sealer's turn, for this transaction; False when another sealer has it."""
    if session.get_bind().dialect.name == "sqlite":
        # A write that matches nothing still takes SQLite's write lock, before any read,
        # so the checkpoint read next is the newest one.
        await session.execute(text("UPDATE audit_checkpoints SET id = id WHERE id < 0"))
        return True
    return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                     {"key": SEAL_LOCK_KEY}))


async def newest_checkpoint(session: AsyncSession) -> Checkpoint | None:
    row = (await session.execute(select(*_CHECKPOINT_COLUMNS)
                                 .order_by(AuditCheckpoint.id.desc()).limit(1))).first()
    return None if row is None else checkpoint_of(row)


async def seal_batch(session: AsyncSession, key: SigningKey, batch_size: int = 2000,
                     now: datetime | None = None) -> Checkpoint | None:
    """Seal up to ``batch_size`` unsealed events, in the session's transaction.

    Returns:
        The new checkpoint; None when nothing was left to seal or another sealer is at
        work (then it is his to do).
    """
    if not await _take_seal_lock(session):
        return None
    rows = (await session.execute(
        select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.checkpoint_id.is_(None))
        .order_by(AuditEvent.id).limit(batch_size))).all()
    if not rows:
        return None
    unsigned = close_batch(await newest_checkpoint(session), [(r.id, r.hash) for r in rows],
                           now or datetime.now(UTC), key.key_id)
    signed = replace(unsigned, signature=key.sign(unsigned.body()))
    await session.execute(insert(AuditCheckpoint).values(**signed.__dict__))
    ids = [r.id for r in rows]
    # One array parameter on PostgreSQL: an IN list of a whole batch is compiled anew for
    # every batch size, which cost the sealer more than the update itself (profiled).
    chosen = (AuditEvent.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
              if session.get_bind().dialect.name == "postgresql" else AuditEvent.id.in_(ids))
    await session.execute(update(AuditEvent).where(chosen).values(checkpoint_id=signed.id)
                          .execution_options(synchronize_session=False))
    return signed


async def seal_pending(sessions: Callable[[], Any], key: SigningKey, batch_size: int = 2000,
                       max_batches: int | None = None) -> list[Checkpoint]:
    """Seal batch after batch, each in its own short transaction, until none is full
    (or ``max_batches``); the checkpoints written."""
    written: list[Checkpoint] = []
    # A plain read first: an idle trail costs no lock (on SQLite, no write transaction).
    async with sessions() as session:
        if await session.scalar(select(AuditEvent.id).where(AuditEvent.checkpoint_id.is_(None))
                                .limit(1)) is None:
            return written
    while max_batches is None or len(written) < max_batches:
        async with sessions() as session, session.begin():
            checkpoint = await seal_batch(session, key, batch_size)
        if checkpoint is None:
            break
        written.append(checkpoint)
        if checkpoint.events < batch_size:
            break
    return written


# --- verifying ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    """The outcome of a walk: events and checkpoints checked, the unsealed tail, the first
    break if any."""

    events: int
    broken: str | None
    checkpoints: int = 0
    unsealed: int = 0
    oldest_unsealed: datetime | None = None


async def _checkpoints(session: AsyncSession, page: int,
                       bound: int) -> AsyncIterator[Checkpoint]:
    last = 0
    while True:
        rows = (await session.execute(select(*_CHECKPOINT_COLUMNS)
                                      .where(AuditCheckpoint.id > last,
                                             AuditCheckpoint.id <= bound)
                                      .order_by(AuditCheckpoint.id).limit(page))).all()
        for row in rows:
            yield checkpoint_of(row)
        if len(rows) < page:
            return
        last = rows[-1].id


async def _events(session: AsyncSession, page: int, sealed: bool,
                  bound: int) -> AsyncIterator[Any]:
    """Events sealed by checkpoints up to ``bound``, by (checkpoint, id); or the others
    (unsealed, or sealed since the walk began) by id; page by page."""
    position: tuple[int, int] = (0, 0)
    while True:
        query = select(*_EVENT_COLUMNS)
        if sealed:
            query = (query.where(AuditEvent.checkpoint_id <= bound,
                                 tuple_(AuditEvent.checkpoint_id, AuditEvent.id) > position)
                     .order_by(AuditEvent.checkpoint_id, AuditEvent.id))
        else:
            query = (query.where(or_(AuditEvent.checkpoint_id.is_(None),
                                     AuditEvent.checkpoint_id > bound),
                                 AuditEvent.id > position[1]).order_by(AuditEvent.id))
        rows = (await session.execute(query.limit(page))).all()
        for row in rows:
            yield row
        if len(rows) < page:
            return
        position = (rows[-1].checkpoint_id or 0, rows[-1].id)


async def verify(session: AsyncSession, signature_ok: SignatureCheck, batch_size: int = 1000,
                 progress: Callable[[int], None] | None = None,
                 unsealed_bound: timedelta | None = None,
                 witness: tuple[int, str] | None = None,
                 now: datetime | None = None) -> Verification:
    """Walk every checkpoint with its events, then the unsealed events.

    Args:
        session: where the trail is.
        signature_ok: checks a checkpoint's signature (db.audit_keys.Verifier).
        batch_size: rows read per statement.
        progress: told the events checked so far, now and then.
        unsealed_bound: an unsealed event older than this is reported as a break.
        witness: ``(id, hash)`` of a checkpoint recorded outside the database; its
            absence means the newest checkpoints were removed.
        now: the time the bound counts from.
    """
    check = TrailCheck(signature_ok, witness=witness)
    # The checkpoints as they stand now: a sealer at work meanwhile adds later ones, whose
    # events this walk counts among the unsealed (their content is still checked).
    bound = await session.scalar(select(func.max(AuditCheckpoint.id))) or 0

    def outcome(broken: str | None, unsealed: int = 0,
                oldest: datetime | None = None) -> Verification:
        return Verification(check.events, broken, check.checkpoints, unsealed, oldest)

    sealed = _events(session, batch_size, sealed=True, bound=bound)
    pending = await anext(sealed, None)
    async for checkpoint in _checkpoints(session, batch_size, bound):
        held = []
        while pending is not None and pending.checkpoint_id <= checkpoint.id:
            if pending.checkpoint_id < checkpoint.id:
                return outcome(f"event {pending.id}: held by checkpoint "
                               f"{pending.checkpoint_id}, which does not exist")
            held.append(stored(pending))
            pending = await anext(sealed, None)
        broken = check.checkpoint(checkpoint, held)
        if broken is not None:
            return outcome(broken)
        if progress is not None:
            progress(check.events)
    if pending is not None:
        return outcome(f"event {pending.id}: held by checkpoint {pending.checkpoint_id}, "
                       f"which does not exist")
    broken = check.finish()
    if broken is not None:
        return outcome(broken)
    unsealed, oldest = 0, None
    async for row in _events(session, batch_size, sealed=False, bound=bound):
        broken = check.unsealed(stored(row))
        if broken is not None:
            return outcome(broken, unsealed, oldest)
        unsealed += 1
        oldest = row.at if oldest is None else min(oldest, row.at)
    if progress is not None:
        progress(check.events)
    head = (await session.execute(select(AuditHead.last_event_id, AuditHead.last_hash)
                                  .where(AuditHead.id == HEAD_ID))).first()
    if head is not None and head.last_event_id and check.legacy_hash != head.last_hash:
        return outcome("the chain head (audit_head) does not match the last chained event: "
                       "the newest events written before revision 0009 were deleted",
                       unsealed, oldest)
    if (unsealed_bound is not None and oldest is not None
            and oldest < (now or datetime.now(UTC)) - unsealed_bound):
        return outcome(f"{unsealed} events are not sealed, the oldest from "
                       f"{oldest.isoformat()}, over {unsealed_bound} ago: is the sealer "
                       f"running with its key?", unsealed, oldest)
    return outcome(None, unsealed, oldest)
