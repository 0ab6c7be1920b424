"""Follow-up files: re-check dates, overdue, and the checks on notes, retraining and awards."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import Conflict, InvalidInput
from domain.followups import (
    AWARD_TITLE_MAX,
    COURSE_MAX,
    NOTE_MAX,
    add_months,
    check_award_title,
    check_note,
    check_open,
    check_retraining,
    is_overdue,
    next_check_due,
)

OPENED = datetime(2026, 1, 15, 9, tzinfo=UTC)
TODAY = date(2026, 6, 1)


def test_a_recheck_falls_due_six_months_after_the_opening_or_the_last_check():
    assert next_check_due(OPENED) == datetime(2026, 7, 15, 9, tzinfo=UTC)
    assert next_check_due(datetime(2026, 9, 3, tzinfo=UTC)) == datetime(2027, 3, 3, tzinfo=UTC)


def test_the_recheck_interval_is_configurable():
    assert next_check_due(OPENED, 3) == datetime(2026, 4, 15, 9, tzinfo=UTC)
    with pytest.raises(ValueError):
        next_check_due(OPENED, 0)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2027, 2, 28, tzinfo=UTC)),
    (datetime(2027, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2026, 12, 31, tzinfo=UTC), 12, datetime(2027, 12, 31, tzinfo=UTC)),
    (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
])
def test_months_are_calendar_months_clamped_to_the_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_a_follow_up_is_overdue_only_once_the_due_time_has_passed():
    due = OPENED
    assert not is_overdue(due, due)
    assert not is_overdue(due, due - timedelta(seconds=1))
    assert is_overdue(due, due + timedelta(seconds=1))


def test_a_closed_follow_up_is_never_overdue():
    assert not is_overdue(OPENED, OPENED + timedelta(days=400), closed_at=OPENED)
    with pytest.raises(Conflict):
        check_open(OPENED)
    check_open(None)


def test_a_recheck_note_is_required_and_bounded():
    assert check_note("  复检情况良好。 ") == "复检情况良好。"
    for bad in ("", "   ", "x" * (NOTE_MAX + 1)):
        with pytest.raises(InvalidInput) as raised:
            check_note(bad)
        assert raised.value.field == "note"


def test_a_retraining_cannot_end_before_it_starts_or_in_the_future():
    started = date(2026, 3, 1)
    assert check_retraining(" 党性教育专题培训 ", started, None, TODAY) == "党性教育专题培训"
    assert check_retraining("培训", date(2026, 3, 1), date(2026, 3, 1), TODAY) == "培训"
    cases = [
        (("", date(2026, 3, 1), None), "course"),
        (("x" * (COURSE_MAX + 1), date(2026, 3, 1), None), "course"),
        (("培训", date(2026, 3, 2), date(2026, 3, 1)), "completedOn"),
        (("培训", date(2026, 3, 1), TODAY + timedelta(days=1)), "completedOn"),
        (("培训", date(1999, 12, 31), None), "startedOn"),
    ]
    for (course, started, completed), field in cases:
        with pytest.raises(InvalidInput) as raised:
            check_retraining(course, started, completed, TODAY)
        assert raised.value.field == field


def test_an_award_title_is_required_and_bounded():
    assert check_award_title(" “闯创干”型干部 ") == "“闯创干”型干部"
    for bad in (" ", "x" * (AWARD_TITLE_MAX + 1)):
        with pytest.raises(InvalidInput) as raised:
            check_award_title(bad)
        assert raised.value.field == "title"
