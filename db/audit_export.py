"""Export of the documentary record for an outside auditor, and its offline verification.

The file holds JSON lines: a header (format, when, since), the ``anchor`` (the signed
checkpoint just before the first exported one, if any), then each exported checkpoint
followed by its events in id order. `verify_export` needs only the file and the public
key: the anchor's own signature is checked, and every exported checkpoint must chain on
from it, hold exactly its events and carry a valid signature.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import _CHECKPOINT_COLUMNS, _EVENT_COLUMNS, Verification, checkpoint_of, stored
from db.models import AuditCheckpoint, AuditEvent
from domain.audit import Checkpoint, Event, SignatureCheck, StoredEvent, TrailCheck

FORMAT = "cadre-audit-export/1"


def _checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return {**checkpoint.__dict__, "sealed_at": checkpoint.sealed_at.isoformat()}


def _event_json(event: StoredEvent) -> dict[str, Any]:
    return {"id": event.id, "at": event.event.at.isoformat(), "actor": event.event.actor,
            "role": event.event.role, "operation": event.event.operation,
            "record_type": event.event.record_type, "record_ids": list(event.event.record_ids),
            "fields": list(event.event.fields), "previous_hash": event.previous_hash,
            "hash": event.hash}


async def export(session: AsyncSession, output: IO[str], since: datetime | None,
                 exported_at: datetime, page: int = 200) -> tuple[int, int]:
    """Write the checkpoints sealed at or after ``since`` (all when None), each with all
    its events; returns ``(checkpoints, events)`` written."""
    query = select(*_CHECKPOINT_COLUMNS).order_by(AuditCheckpoint.id)
    first = (await session.execute(
        query.where(AuditCheckpoint.sealed_at >= since) if since else query)).first()
    anchor = None
    if first is not None and first.id > 1:
        anchor = (await session.execute(
            query.where(AuditCheckpoint.id == first.id - 1))).first()
    header = {"format": FORMAT, "exported_at": exported_at.isoformat(),
              "since": since.isoformat() if since else None,
              "anchor": _checkpoint_json(checkpoint_of(anchor)) if anchor else None}
    output.write(json.dumps(header, ensure_ascii=False) + "\n")
    checkpoints = events = 0
    last = first.id - 1 if first is not None else None
    while last is not None:
        rows = (await session.execute(query.where(AuditCheckpoint.id > last).limit(page))).all()
        for row in rows:
            output.write(json.dumps({"checkpoint": _checkpoint_json(checkpoint_of(row))}) + "\n")
            held = await session.execute(select(*_EVENT_COLUMNS)
                                         .where(AuditEvent.checkpoint_id == row.id)
                                         .order_by(AuditEvent.id))
            for event in held:
                output.write(json.dumps({"event": _event_json(stored(event))},
                                        ensure_ascii=False) + "\n")
                events += 1
            checkpoints += 1
        last = rows[-1].id if len(rows) == page else None
    return checkpoints, events


def _checkpoint(data: dict[str, Any]) -> Checkpoint:
    return Checkpoint(**{**data, "sealed_at": datetime.fromisoformat(data["sealed_at"])})


def _event(data: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        id=data["id"], previous_hash=data["previous_hash"], hash=data["hash"],
        event=Event(at=datetime.fromisoformat(data["at"]), actor=data["actor"],
                    role=data["role"], operation=data["operation"],
                    record_type=data["record_type"], record_ids=data["record_ids"],
                    fields=data["fields"]))


class ExportProblem(ValueError):
    """The file is not an export of this format."""


def _batches(lines: Iterator[str]) -> Iterator[tuple[Checkpoint, list[StoredEvent]]]:
    current: tuple[Checkpoint, list[StoredEvent]] | None = None
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if "checkpoint" in item:
                if current is not None:
                    yield current
                current = (_checkpoint(item["checkpoint"]), [])
            elif "event" in item and current is not None:
                current[1].append(_event(item["event"]))
            else:
                raise ExportProblem(f"line {number}: neither a checkpoint nor one of its events")
        except (ValueError, KeyError, TypeError) as error:
            if isinstance(error, ExportProblem):
                raise
            raise ExportProblem(f"line {number}: not a checkpoint or event of an export") \
                from None
    if current is not None:
        yield current


def verify_export(lines: Iterable[str], signature_ok: SignatureCheck,
                  progress: Callable[[int], None] | None = None) -> Verification:
    """Verify an export file's lines with nothing but the trusted public keys.

    Raises:
        ExportProblem: the file is not an export.
    """
    stream = iter(lines)
    try:
        header = json.loads(next(stream))
        if header.get("format") != FORMAT:
            raise ValueError
        anchor = _checkpoint(header["anchor"]) if header["anchor"] else None
    except (StopIteration, ValueError, KeyError, TypeError, AttributeError):
        raise ExportProblem(f"not an audit export ({FORMAT})") from None
    if anchor is not None and (anchor.computed_hash() != anchor.hash or not signature_ok(
            anchor.key_id, anchor.body(), anchor.signature)):
        return Verification(0, f"checkpoint {anchor.id} (the anchor): its signature does not "
                               f"verify")
    check = TrailCheck(signature_ok, anchor=anchor)
    for checkpoint, events in _batches(stream):
        broken = check.checkpoint(checkpoint, events)
        if broken is not None:
            return Verification(check.events, broken, check.checkpoints)
        if progress is not None:
            progress(check.events)
    return Verification(check.events, None, check.checkpoints)
