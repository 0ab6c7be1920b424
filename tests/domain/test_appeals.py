"""Appeal rules: the 30-day filing window, the 60-day decision, one extension, reviewers."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import appeals
from domain.enums import AppealOutcome, AppealStatus, CaseStage, Disposition
from domain.errors import Conflict, Forbidden, InvalidInput

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_appeal_within_thirty_days_is_filed():
    notified = NOW - timedelta(days=30)
    assert appeals.check_filing(CaseStage.APPOINTMENT, notified, NOW, " 理由 ") == "理由"


def test_appeal_after_thirty_days_names_the_deadline():
    notified = NOW - timedelta(days=30, seconds=1)
    with pytest.raises(InvalidInput) as refused:
        appeals.check_filing(CaseStage.APPOINTMENT, notified, NOW, "理由")
    assert refused.value.field == "deadline"
    assert "2026-06-01" in refused.value.message


@pytest.mark.parametrize("stage", [s for s in CaseStage if s is not CaseStage.APPOINTMENT])
def test_appeal_only_once_the_decision_is_carried_out(stage):
    with pytest.raises(Conflict):
        appeals.check_filing(stage, NOW, NOW, "理由")


def test_appeal_needs_grounds():
    with pytest.raises(InvalidInput) as refused:
        appeals.check_filing(CaseStage.APPOINTMENT, NOW, NOW, "   ")
    assert refused.value.field == "grounds"


def test_decision_is_due_sixty_days_after_acceptance():
    assert appeals.decision_due(NOW) == NOW + timedelta(days=60)


def test_one_extension_of_at_most_thirty_days():
    due = NOW + timedelta(days=5)
    assert appeals.extended_due(due, False, 30, NOW) == due + timedelta(days=30)
    with pytest.raises(InvalidInput):
        appeals.extended_due(due, False, 31, NOW)
    with pytest.raises(Conflict):
        appeals.extended_due(due, True, 10, NOW)
    with pytest.raises(Conflict):
        appeals.extended_due(NOW - timedelta(seconds=1), False, 10, NOW)


def test_the_decider_cannot_review():
    appeals.check_reviewer(reviewer_id=2, decided_by=1, reviewer_cadre_id=None, case_cadre_id=9)
    with pytest.raises(Forbidden):
        appeals.check_reviewer(reviewer_id=1, decided_by=1, reviewer_cadre_id=None,
                               case_cadre_id=9)


def test_only_a_revised_decision_takes_a_disposition():
    appeals.check_outcome(AppealOutcome.REVISED, Disposition.REASSIGNMENT)
    appeals.check_outcome(AppealOutcome.REVOKED, None)
    with pytest.raises(InvalidInput):
        appeals.check_outcome(AppealOutcome.REVISED, None)
    with pytest.raises(InvalidInput):
        appeals.check_outcome(AppealOutcome.UPHELD, Disposition.REMOVAL)


def test_overdue_only_when_accepted_and_past_due():
    past = NOW - timedelta(seconds=1)
    assert appeals.is_overdue(AppealStatus.ACCEPTED, past, NOW)
    assert not appeals.is_overdue(AppealStatus.DECIDED, past, NOW)
    assert not appeals.is_overdue(AppealStatus.ACCEPTED, NOW + timedelta(days=1), NOW)


def test_nobody_reviews_an_appeal_about_himself():
    with pytest.raises(Forbidden) as refused:
        appeals.check_reviewer(reviewer_id=2, decided_by=1, reviewer_cadre_id=9,
                               case_cadre_id=9)
    assert refused.value.reason == "OWN_CASE"


def test_a_revocation_writes_to_the_unit_it_restores():
    assert appeals.restored_units(AppealOutcome.REVOKED, previous_unit_id=3,
                                  current_unit_id=5) == {3}


@pytest.mark.parametrize(("outcome", "previous"), [
    (AppealOutcome.REVOKED, 5), (AppealOutcome.UPHELD, 3), (AppealOutcome.REVISED, 3)])
def test_other_decisions_write_to_no_other_unit(outcome, previous):
    assert appeals.restored_units(outcome, previous_unit_id=previous, current_unit_id=5) == set()
