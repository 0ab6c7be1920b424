"""Lifecycle of a negative-list finding: REPORTED → UNDER_VERIFICATION → CONFIRMED | DISMISSED."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from domain.enums import FindingStatus
from domain.errors import Conflict, InvalidInput
from domain.findings import (
    DESCRIPTION_MAX,
    check_description,
    check_reported_at,
    check_transition,
    counts_against_cadre,
)

REPORTED = FindingStatus.REPORTED
UNDER_VERIFICATION = FindingStatus.UNDER_VERIFICATION
CONFIRMED = FindingStatus.CONFIRMED
DISMISSED = FindingStatus.DISMISSED

Pair = tuple[FindingStatus, FindingStatus]


def pair_id(pair: Pair) -> str:
    return f"{pair[0].value}->{pair[1].value}"


ALLOWED: list[Pair] = [
    (REPORTED, UNDER_VERIFICATION),
    (UNDER_VERIFICATION, CONFIRMED),
    (UNDER_VERIFICATION, DISMISSED),
]
REFUSED: list[Pair] = sorted({(a, b) for a, b in product(FindingStatus, FindingStatus)}
                             - set(ALLOWED), key=pair_id)
NOW = datetime(2024, 6, 15, 9, 30, tzinfo=UTC)


def test_all_sixteen_pairs_of_statuses_are_classified() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(FindingStatus) ** 2 == 16


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_a_finding_may_take_each_step_of_its_lifecycle(pair: Pair) -> None:
    check_transition(*pair)


@pytest.mark.parametrize("pair", REFUSED, ids=pair_id)
def test_every_other_status_change_is_refused_with_a_conflict(pair: Pair) -> None:
    current, target = pair
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    assert (caught.value.field, caught.value.code) == ("status", "CONFLICT")
    assert current.value in caught.value.message
    assert target.value in caught.value.message


def test_confirmed_and_dismissed_findings_are_final() -> None:
    for final, target in product((CONFIRMED, DISMISSED), FindingStatus):
        with pytest.raises(Conflict):
            check_transition(final, target)


@pytest.mark.parametrize(("status", "expected"), [
    (REPORTED, False), (UNDER_VERIFICATION, False), (CONFIRMED, True), (DISMISSED, False),
])
def test_only_a_confirmed_finding_counts_against_the_cadre(
        status: FindingStatus, expected: bool) -> None:
    assert counts_against_cadre(status) is expected


# -- description ---------------------------------------------------------------------
def test_a_description_is_trimmed() -> None:
    assert check_description("  推诿扯皮，工作摆烂。\n") == "推诿扯皮，工作摆烂。"


def test_a_description_of_the_maximum_length_is_accepted() -> None:
    assert check_description("述" * DESCRIPTION_MAX + " ") == "述" * DESCRIPTION_MAX


@pytest.mark.parametrize("description", ["", "  \n "])
def test_an_empty_description_is_refused(description: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_description(description)
    assert (caught.value.field, caught.value.code) == ("description", "BAD_USER_INPUT")
    assert "empty" in caught.value.message


def test_a_description_longer_than_the_maximum_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_description("述" * (DESCRIPTION_MAX + 1))
    assert (caught.value.field, caught.value.code) == ("description", "BAD_USER_INPUT")
    assert str(DESCRIPTION_MAX) in caught.value.message


# -- report date ---------------------------------------------------------------------
@pytest.mark.parametrize("reported_at", [NOW, NOW - timedelta(seconds=1),
                                         NOW - timedelta(days=3650)],
                         ids=["now", "a second ago", "ten years ago"])
def test_a_finding_reported_now_or_earlier_is_accepted(reported_at: datetime) -> None:
    check_reported_at(reported_at, NOW)


@pytest.mark.parametrize("reported_at", [NOW + timedelta(seconds=1), NOW + timedelta(days=1)],
                         ids=["a second ahead", "tomorrow"])
def test_a_finding_reported_in_the_future_is_refused(reported_at: datetime) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_reported_at(reported_at, NOW)
    assert (caught.value.field, caught.value.code) == ("reportedAt", "BAD_USER_INPUT")
