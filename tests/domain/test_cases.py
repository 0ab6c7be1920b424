"""The adjustment procedure's rules, without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import cases
from domain.enums import CadreStatus, CaseStage, Disposition, Rank
from domain.errors import Conflict, InvalidInput

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
POST = cases.Post(position="副县长", rank=Rank.DEPUTY_DIVISION_CHIEF, status=CadreStatus.SERVING)
ORDER = [CaseStage.VERIFICATION, CaseStage.PROPOSAL, CaseStage.DECISION, CaseStage.TALK,
         CaseStage.APPOINTMENT]


@pytest.mark.parametrize(("current", "target"), list(zip(ORDER, ORDER[1:], strict=False)))
def test_each_stage_moves_to_the_next(current, target):
    cases.check_advance(current, target)


def test_appointment_moves_to_appeal_or_closed():
    cases.check_advance(CaseStage.APPOINTMENT, CaseStage.APPEAL)
    cases.check_advance(CaseStage.APPOINTMENT, CaseStage.CLOSED)
    cases.check_advance(CaseStage.APPEAL, CaseStage.CLOSED)


@pytest.mark.parametrize("current", list(CaseStage))
@pytest.mark.parametrize("target", list(CaseStage))
def test_stages_never_skip_or_go_back(current, target):
    allowed = {(a, b) for a, b in zip(ORDER, ORDER[1:], strict=False)} | {
        (CaseStage.APPOINTMENT, CaseStage.APPEAL), (CaseStage.APPOINTMENT, CaseStage.CLOSED),
        (CaseStage.APPEAL, CaseStage.CLOSED)}
    if (current, target) in allowed:
        cases.check_advance(current, target)
    else:
        with pytest.raises(Conflict):
            cases.check_advance(current, target)


def test_talk_needs_a_record():
    with pytest.raises(InvalidInput) as refused:
        cases.check_note("  ", required=True)
    assert refused.value.field == "note"
    assert cases.check_note(" 谈话记录 ", required=True) == "谈话记录"


def test_decision_notification_must_lie_between_opening_and_now():
    opened = NOW - timedelta(days=10)
    cases.check_decision(Disposition.REMOVAL, NOW - timedelta(days=1), opened, NOW, POST, None)
    for notified in (opened - timedelta(seconds=1), NOW + timedelta(seconds=1)):
        with pytest.raises(InvalidInput) as refused:
            cases.check_decision(Disposition.REMOVAL, notified, opened, NOW, POST, None)
        assert refused.value.field == "decision.notifiedAt"


def test_reassignment_needs_the_new_post():
    with pytest.raises(InvalidInput) as refused:
        cases.check_disposition(POST, Disposition.REASSIGNMENT, " ")
    assert refused.value.field == "newPosition"
    assert cases.check_disposition(POST, Disposition.REASSIGNMENT, "调研员") == "调研员"


def test_the_lowest_rank_cannot_be_demoted():
    lowest = cases.Post("科员", Rank.DEPUTY_SECTION_CHIEF, CadreStatus.SERVING)
    with pytest.raises(InvalidInput):
        cases.check_disposition(lowest, Disposition.DEMOTION, None)


@pytest.mark.parametrize(("disposition", "status", "rank"), [
    (Disposition.REMOVAL, CadreStatus.REMOVED, Rank.DEPUTY_DIVISION_CHIEF),
    (Disposition.DEMOTION, CadreStatus.SERVING, Rank.SECTION_CHIEF),
    (Disposition.REASSIGNMENT, CadreStatus.SERVING, Rank.DEPUTY_DIVISION_CHIEF),
    (Disposition.AWAITING_POST, CadreStatus.AWAITING_POST, Rank.DEPUTY_DIVISION_CHIEF),
    (Disposition.TRANSFER_TO_RANK_TRACK, CadreStatus.RANK_TRACK, Rank.DEPUTY_DIVISION_CHIEF),
])
def test_each_disposition_changes_the_post(disposition, status, rank):
    after = cases.apply_disposition(POST, disposition, "新岗位")
    assert (after.status, after.rank) == (status, rank)


def test_a_case_closes_without_appeal_only_after_the_window():
    notified = NOW - timedelta(days=30)
    with pytest.raises(Conflict):
        cases.check_can_close(CaseStage.APPOINTMENT, notified, NOW)
    cases.check_can_close(CaseStage.APPOINTMENT, notified, NOW + timedelta(seconds=1))


def test_a_case_whose_appeal_waits_for_a_decision_cannot_close():
    notified = NOW - timedelta(days=40)
    with pytest.raises(Conflict) as refused:
        cases.check_can_close(CaseStage.APPEAL, notified, NOW)
    assert "appeal" in refused.value.message
