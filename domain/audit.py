"""The documentary record's hash chain (纪实): each event seals the one before it."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    """What an audit event says; its hash covers all of it and the previous hash."""

    at: datetime
    actor: str
    role: str
    operation: str
    record_type: str
    record_ids: Sequence[int]
    fields: Sequence[str]


def seal(previous_hash: str, event: Event) -> str:
    """The hash of ``event`` chained to ``previous_hash`` (SHA-256, hex)."""
    body = json.dumps(
        [previous_hash, event.at.isoformat(), event.actor, event.role, event.operation,
         event.record_type, list(event.record_ids), list(event.fields)],
        ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event: Event
    previous_hash: str
    hash: str


def first_broken_link(events: Sequence[StoredEvent], head_hash: str) -> str | None:
    """Describe the first place the chain is broken, or None when it is whole.

    ``events`` in id order; ``head_hash`` is the newest hash recorded apart from
    the events, so that deleting the newest events is noticed too.
    """
    expected_previous = GENESIS
    for stored in events:
        if stored.previous_hash != expected_previous:
            return f"event {stored.id}: its previous hash does not match the event before it"
        if seal(stored.previous_hash, stored.event) != stored.hash:
            return f"event {stored.id}: its content does not match its hash"
        expected_previous = stored.hash
    if head_hash != expected_previous:
        return "the newest events are missing: the chain head does not match the last event"
    return None
