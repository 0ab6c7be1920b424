"""The documentary record (纪实): event hashes, signed checkpoints over batches of events,
and the checks that walk them (the chain of events written before revision 0009 too)."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

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


# --- checkpoints: events appended without a chain, sealed in signed batches -------------
#
# Since revision 0009 an event no longer links to the one before it: requests append
# without waiting on each other, and its hash covers its own content only (`digest`). One
# sealer at a time gathers the committed events not yet sealed, in id order, into a
# checkpoint: the root over their (id, hash) pairs, chained to the previous checkpoint and
# signed with a key kept outside the database. Events written before 0009 keep their chain
# (`previous_hash`); their links are still checked.

#: The ``previous_hash`` of an event that is not chained (written since revision 0009).
UNCHAINED = ""
CHECKPOINT_FORMAT = "cadre-audit-checkpoint/1"


def digest(event: Event) -> str:
    """The hash of an unchained event: its content only."""
    return seal(UNCHAINED, event)


def content_matches(stored: StoredEvent) -> bool:
    """Whether ``stored.hash`` is the hash of its content (and of its link, when chained)."""
    return seal(stored.previous_hash, stored.event) == stored.hash


def batch_root(events: Iterable[tuple[int, str]]) -> str:
    """The hash over a batch's ``(id, hash)`` pairs in id order: order and ids count."""
    root = hashlib.sha256()
    for event_id, event_hash in events:
        root.update(f"{event_id}:{event_hash}\n".encode("ascii"))
    return root.hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """One sealed batch: its events' root, chained to the checkpoint before it, signed."""

    id: int
    previous_hash: str
    sealed_at: datetime
    first_event_id: int
    last_event_id: int
    events: int
    root: str
    key_id: str = ""
    hash: str = ""
    signature: str = ""

    def body(self) -> bytes:
        """The canonical bytes that are hashed and signed."""
        return json.dumps(
            [CHECKPOINT_FORMAT, self.id, self.previous_hash, self.sealed_at.isoformat(),
             self.first_event_id, self.last_event_id, self.events, self.root, self.key_id],
            separators=(",", ":")).encode("ascii")

    def computed_hash(self) -> str:
        return hashlib.sha256(self.body()).hexdigest()


def close_batch(previous: Checkpoint | None, events: Sequence[tuple[int, str]],
                sealed_at: datetime, key_id: str) -> Checkpoint:
    """The unsigned checkpoint after ``previous`` over ``events`` (non-empty, id order)."""
    unsigned = Checkpoint(
        id=previous.id + 1 if previous else 1,
        previous_hash=previous.hash if previous else GENESIS, sealed_at=sealed_at,
        first_event_id=events[0][0], last_event_id=events[-1][0], events=len(events),
        root=batch_root(events), key_id=key_id)
    return replace(unsigned, hash=unsigned.computed_hash())


class SignatureCheck(Protocol):
    def __call__(self, key_id: str, body: bytes, signature: str) -> bool: ...


class TrailCheck:
    """Checks checkpoints in order, each with its events, then the unsealed tail.

    Feed `checkpoint` the checkpoints by id, each with its events in id order, then
    `unsealed` the events no checkpoint holds; each answers the first broken link it
    meets, or None. Nothing is kept but the last checkpoint and the legacy chain's end,
    so a long trail never sits in memory.
    """

    def __init__(self, signature_ok: SignatureCheck, anchor: Checkpoint | None = None,
                 witness: tuple[int, str] | None = None) -> None:
        """``anchor``: the checkpoint before the first one fed (an export's start);
        ``witness``: ``(id, hash)`` of a checkpoint known outside the database."""
        self.signature_ok = signature_ok
        self.last: Checkpoint | None = anchor
        self.witness = witness
        self.witness_seen = False
        self.legacy_hash: str | None = None if anchor else GENESIS
        self.events = 0
        self.checkpoints = 0

    def _event(self, stored: StoredEvent) -> str | None:
        if not content_matches(stored):
            return f"event {stored.id}: its content does not match its hash"
        if stored.previous_hash != UNCHAINED:  # written before 0009: it links on
            if self.legacy_hash is not None and stored.previous_hash != self.legacy_hash:
                return f"event {stored.id}: its previous hash does not match the event before it"
            self.legacy_hash = stored.hash
        self.events += 1
        return None

    def checkpoint(self, checkpoint: Checkpoint, events: Iterable[StoredEvent]) -> str | None:
        """Check the next checkpoint and the events it holds."""
        name = f"checkpoint {checkpoint.id}"
        expected_id = self.last.id + 1 if self.last else 1
        previous = self.last.hash if self.last else GENESIS
        if checkpoint.id != expected_id:
            return f"checkpoint {expected_id} is missing (the next one found is {checkpoint.id})"
        if checkpoint.previous_hash != previous:
            return f"{name}: its previous hash does not match the checkpoint before it"
        pairs = []
        for stored in events:
            broken = self._event(stored)
            if broken is not None:
                return broken
            pairs.append((stored.id, stored.hash))
        span = f"events {checkpoint.first_event_id}–{checkpoint.last_event_id}"
        if (len(pairs) != checkpoint.events or not pairs
                or (pairs[0][0], pairs[-1][0]) != (checkpoint.first_event_id,
                                                   checkpoint.last_event_id)
                or batch_root(pairs) != checkpoint.root):
            return (f"{name} ({span}): its events do not match its root: an event was "
                    f"deleted, added, moved or reordered")
        if checkpoint.computed_hash() != checkpoint.hash:
            return f"{name}: its content does not match its hash"
        if not self.signature_ok(checkpoint.key_id, checkpoint.body(), checkpoint.signature):
            return (f"{name} ({span}): its signature does not verify: the checkpoint or its "
                    f"events were rewritten without the signing key")
        if self.witness is not None and self.witness[0] == checkpoint.id:
            if self.witness[1] != checkpoint.hash:
                return f"{name}: differs from the one the witness recorded"
            self.witness_seen = True
        self.last = checkpoint
        self.checkpoints += 1
        return None

    def unsealed(self, stored: StoredEvent) -> str | None:
        """Check an event no checkpoint holds yet (its content and legacy link only)."""
        return self._event(stored)

    def finish(self) -> str | None:
        """The checkpoints end where a witness says they reached, at least."""
        if self.witness is not None and not self.witness_seen:
            return (f"checkpoint {self.witness[0]}, recorded by the witness, is missing: "
                    f"the newest checkpoints and their events were removed")
        return None
