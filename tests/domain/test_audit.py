"""The hash chain of the documentary record (纪实), without a database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.audit import GENESIS, ChainCheck, Event, StoredEvent, first_broken_link, seal

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
