"""Lifecycle of a negative-list finding: REPORTED → UNDER_VERIFICATION → CONFIRMED | DISMISSED."""

from datetime import datetime

from domain import limits
from domain.enums import FindingStatus
from domain.errors import Conflict, InvalidInput

_NEXT: dict[FindingStatus, frozenset[FindingStatus]] = {
    FindingStatus.REPORTED: frozenset({FindingStatus.UNDER_VERIFICATION}),
    FindingStatus.UNDER_VERIFICATION: frozenset(
        {FindingStatus.CONFIRMED, FindingStatus.DISMISSED}
    ),
    FindingStatus.CONFIRMED: frozenset(),
    FindingStatus.DISMISSED: frozenset(),
}

DESCRIPTION_MAX = limits.DESCRIPTION


def check_transition(current: FindingStatus, target: FindingStatus) -> None:
    """Refuse a status change the lifecycle does not allow.

    Raises:
        Conflict: when ``target`` does not follow ``current``.
    """
    if target not in _NEXT[current]:
        raise Conflict(
            f"A finding in status {current.value} cannot move to {target.value}.",
            field="status",
        )


def counts_against_cadre(status: FindingStatus) -> bool:
    """Only confirmed findings count against a cadre."""
    return status is FindingStatus.CONFIRMED


def check_description(description: str) -> str:
    """Return the trimmed description, or refuse an empty or oversized one."""
    text = description.strip()
    if not text:
        raise InvalidInput("The description must not be empty.", field="description")
    if len(text) > DESCRIPTION_MAX:
        raise InvalidInput(
            f"The description is longer than {DESCRIPTION_MAX} characters.", field="description"
        )
    return text


def check_reported_at(reported_at: datetime, now: datetime) -> None:
    """A finding cannot be reported in the future."""
    if reported_at > now:
        raise InvalidInput("The report date lies in the future.", field="reportedAt")
