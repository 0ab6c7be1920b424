"""The documentary record's hash chain (纪实): each event seals the one before it."""

import hashlib
import json
from collections.abc import Iterable, Sequence
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


class ChainCheck:
    """Checks a chain one event at a time, so a long trail never sits in memory at once.

    Feed the events in id order to `add`; it answers the first broken link it
    meets. `finish` then compares the newest hash with the chain head.
    """

    def __init__(self) -> None:
        self.count = 0
        self.last_id: int | None = None
        self.last_hash = GENESIS

    def add(self, stored: StoredEvent) -> str | None:
        """Check the next event; a description of the break, or None when it links on."""
        if stored.previous_hash != self.last_hash:
            return f"event {stored.id}: its previous hash does not match the event before it"
        if seal(stored.previous_hash, stored.event) != stored.hash:
            return f"event {stored.id}: its content does not match its hash"
        self.count += 1
        self.last_id = stored.id
        self.last_hash = stored.hash
        return None

    def finish(self, head_hash: str) -> str | None:
        """Compare the newest event with ``head_hash``, the hash recorded apart from events."""
        if head_hash != self.last_hash:
            return ("the chain head does not match the last event: the newest events were "
                    "deleted, or events were added without the head")
        return None


def first_broken_link(events: Iterable[StoredEvent], head_hash: str) -> str | None:
    """Describe the first place the chain is broken, or None when it is whole.

    ``events`` in id order; ``head_hash`` is the newest hash recorded apart from
    the events, so that deleting the newest events is noticed too.
    """
    check = ChainCheck()
    for stored in events:
        broken = check.add(stored)
        if broken is not None:
            return broken
    return check.finish(head_hash)
