"""Follow-up after adjustment (逐人建档、定期复检、回炉重造): re-check dates, retraining, awards.

A follow-up file is opened when a case reaches APPOINTMENT. Re-checks fall due
every ``recheck_months`` months, counted from the opening or from the last
re-check; a follow-up still open whose due date has passed is overdue.
"""

import calendar
from datetime import date, datetime

from domain import limits
from domain.errors import Conflict, InvalidInput
from domain.evaluations import FIRST_YEAR

#: Months between two re-checks (定期复检), unless configured otherwise.
RECHECK_MONTHS = 6
NOTE_MAX = limits.CHECK_NOTE
COURSE_MAX = limits.COURSE
AWARD_TITLE_MAX = limits.AWARD_TITLE


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved ``months`` calendar months on; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_check_due(last: datetime, months: int = RECHECK_MONTHS) -> datetime:
    """When the next re-check falls due after the opening or the last re-check at ``last``."""
    if months < 1:
        raise ValueError("re-checks must fall due at least one month apart")
    return add_months(last, months)


def is_overdue(due: datetime, now: datetime, closed_at: datetime | None = None) -> bool:
    """A follow-up is overdue when it is still open and its re-check date has passed."""
    return closed_at is None and due < now


def check_open(closed_at: datetime | None) -> None:
    """A closed follow-up file takes no more re-checks or retraining."""
    if closed_at is not None:
        raise Conflict("The follow-up is closed.", field="followUpId")


def _text(value: str, limit: int, field: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"The {what} must not be empty.", field=field)
    if len(text) > limit:
        raise InvalidInput(f"The {what} is longer than {limit} characters.", field=field)
    return text


def check_note(note: str) -> str:
    """The trimmed note of a re-check; required, at most ``NOTE_MAX`` characters."""
    return _text(note, NOTE_MAX, "note", "note")


def check_retraining(course: str, started_on: date, completed_on: date | None,
                     today: date) -> str:
    """Validate a retraining (回炉重造) and return the trimmed course name.

    A course may be planned ahead, but it cannot have been completed in the future
    nor before it started.
    """
    name = _text(course, COURSE_MAX, "course", "course name")
    if started_on.year < FIRST_YEAR:
        raise InvalidInput(f"The start date lies before {FIRST_YEAR}.", field="startedOn")
    if completed_on is not None:
        if completed_on < started_on:
            raise InvalidInput("The course cannot end before it starts.", field="completedOn")
        if completed_on > today:
            raise InvalidInput("The completion date lies in the future.", field="completedOn")
    return name


def check_award_title(title: str) -> str:
    """The trimmed title of an award, e.g. "闯创干"型干部."""
    return _text(title, AWARD_TITLE_MAX, "title", "title")
