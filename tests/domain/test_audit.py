"""The hash chain and the checkpoints of the documentary record (纪实), without a database."""

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.audit import (
    GENESIS,
    UNCHAINED,
    ChainCheck,
    Checkpoint,
    Event,
    SignatureCheck,
    StoredEvent,
    TrailCheck,
    batch_root,
    close_batch,
    digest,
    first_broken_link,
    seal,
)

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def chain(length: int = 5) -> list[StoredEvent]:
    """``length`` events sealed one to the next, ids 1..length."""
    events, previous = [], GENESIS
    for number in range(1, length + 1):
        event = Event(at=START + timedelta(minutes=number), actor=f"user-{number % 2}",
                      role="org", operation="updateCadre", record_type="Cadre",
                      record_ids=[number], fields=["Cadre.phone"])
        sealed = seal(previous, event)
        events.append(StoredEvent(id=number, event=event, previous_hash=previous, hash=sealed))
        previous = sealed
    return events


def test_an_untouched_chain_is_intact():
    events = chain()
    assert first_broken_link(events, events[-1].hash) is None


def test_an_empty_chain_with_the_genesis_head_is_intact():
    assert first_broken_link([], GENESIS) is None


def test_the_seal_covers_every_part_of_the_event():
    event = chain(1)[0].event
    variants = [replace(event, at=event.at + timedelta(microseconds=1)),
                replace(event, actor="x"), replace(event, role="admin"),
                replace(event, operation="read"), replace(event, record_type="Finding"),
                replace(event, record_ids=[2]), replace(event, fields=["Cadre.idNumber"])]
    seals = {seal(GENESIS, variant) for variant in variants}
    assert len(seals | {seal(GENESIS, event)}) == len(variants) + 1
    assert seal("1" * 64, event) != seal(GENESIS, event)


def test_an_edited_event_is_named_by_its_id():
    events = chain()
    events[1] = replace(events[1], event=replace(events[1].event, actor="x"))
    assert first_broken_link(events, events[-1].hash) == (
        "event 2: its content does not match its hash")


def test_an_edited_and_resealed_event_breaks_the_link_to_the_next():
    events = chain()
    forged = replace(events[1].event, actor="x")
    events[1] = replace(events[1], event=forged, hash=seal(events[1].previous_hash, forged))
    assert first_broken_link(events, events[-1].hash) == (
        "event 3: its previous hash does not match the event before it")


def test_a_deleted_middle_event_is_noticed_at_the_next_one():
    events = chain()
    del events[2]
    assert first_broken_link(events, events[-1].hash) == (
        "event 4: its previous hash does not match the event before it")


def test_a_deleted_newest_event_is_noticed_by_the_head():
    events = chain()
    head = events[-1].hash
    broken = first_broken_link(events[:-1], head)
    assert broken is not None and "chain head does not match the last event" in broken


def test_reordered_events_are_noticed():
    events = chain()
    events[1], events[2] = events[2], events[1]
    assert first_broken_link(events, events[-1].hash) == (
        "event 3: its previous hash does not match the event before it")


def test_the_incremental_check_counts_the_intact_events_before_a_break():
    events = chain()
    events[3] = replace(events[3], hash="f" * 64)
    check = ChainCheck()
    results = [check.add(stored) for stored in events[:4]]
    assert results[:3] == [None, None, None] and results[3] is not None
    assert check.count == 3 and check.last_id == 3


# --- checkpoints ----------------------------------------------------------------------------

def unchained(length: int = 4) -> list[StoredEvent]:
    """``length`` events as written since revision 0009: each hashed on its own."""
    return [StoredEvent(id=stored.id, event=stored.event, previous_hash=UNCHAINED,
                        hash=digest(stored.event)) for stored in chain(length)]


def signed_by(name: str) -> SignatureCheck:
    """A stand-in signature scheme for the domain's checks: ``name`` + the body's hash."""
    def check(key_id: str, body: bytes, signature: str) -> bool:
        return key_id == name and signature == f"{name}:{hashlib.sha256(body).hexdigest()}"
    return check


def sealed_in(events: list[StoredEvent], sizes: list[int],
              key: str = "k") -> list[tuple[Checkpoint, list[StoredEvent]]]:
    batches, previous, start = [], None, 0
    for size in sizes:
        batch = events[start:start + size]
        start += size
        unsigned = close_batch(previous, [(e.id, e.hash) for e in batch], START, key)
        checkpoint = replace(unsigned,
                             signature=f"{key}:{hashlib.sha256(unsigned.body()).hexdigest()}")
        batches.append((checkpoint, batch))
        previous = checkpoint
    return batches


def first_break(batches: list[tuple[Checkpoint, list[StoredEvent]]],
                check: SignatureCheck | None = None) -> str | None:
    trail = TrailCheck(check or signed_by("k"))
    for checkpoint, events in batches:
        broken = trail.checkpoint(checkpoint, events)
        if broken is not None:
            return broken
    return trail.finish()


def test_sealed_batches_verify():
    assert first_break(sealed_in(unchained(5), [2, 3])) is None


def test_a_checkpoint_signed_by_an_unknown_key_is_named():
    batches = sealed_in(unchained(4), [2, 2], key="insider")
    assert first_break(batches) == ("checkpoint 1 (events 1–2): its signature does not verify: "
                                    "the checkpoint or its events were rewritten without the "
                                    "signing key")


def test_an_edited_checkpoint_is_named_by_its_hash():
    batches = sealed_in(unchained(4), [2, 2])
    batches[1] = (replace(batches[1][0], sealed_at=START + timedelta(days=1)), batches[1][1])
    assert first_break(batches) == "checkpoint 2: its content does not match its hash"


def test_a_checkpoint_removed_from_the_middle_is_named():
    batches = sealed_in(unchained(6), [2, 2, 2])
    del batches[1]
    assert first_break(batches) == "checkpoint 2 is missing (the next one found is 3)"


def test_an_event_moved_to_another_checkpoint_is_noticed():
    batches = sealed_in(unchained(4), [2, 2])
    moved = batches[0][1].pop()
    batches[1][1].insert(0, moved)
    assert first_break(batches) == ("checkpoint 1 (events 1–2): its events do not match its "
                                    "root: an event was deleted, added, moved or reordered")


def test_the_root_depends_on_order_and_ids():
    pairs = [(1, "a"), (2, "b")]
    assert batch_root(pairs) != batch_root(pairs[::-1])
    assert batch_root(pairs) != batch_root([(1, "a"), (3, "b")])


def test_a_witness_names_a_checkpoint_that_must_be_reached():
    batches = sealed_in(unchained(6), [2, 2, 2])
    witness = (3, batches[2][0].hash)
    whole, truncated = TrailCheck(signed_by("k"), witness=witness), TrailCheck(
        signed_by("k"), witness=witness)
    for checkpoint, events in batches:
        assert whole.checkpoint(checkpoint, events) is None
    for checkpoint, events in batches[:2]:
        assert truncated.checkpoint(checkpoint, events) is None
    assert whole.finish() is None
    assert truncated.finish() == ("checkpoint 3, recorded by the witness, is missing: the "
                                  "newest checkpoints and their events were removed")


def test_events_chained_before_0009_are_sealed_and_keep_their_links():
    old = chain(3)
    assert first_break(sealed_in(old + unchained(5)[3:], [4, 1])) is None
    broken = [old[0], old[2]]
    assert first_break(sealed_in(broken, [2])) == (
        "event 3: its previous hash does not match the event before it")
