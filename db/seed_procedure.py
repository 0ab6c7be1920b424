"""Demo rows of the adjustment procedure: a case at every stage, appeals, follow-ups.

Built from the demo city's cadres and findings before anything is inserted, so the
cadres whose decision was carried out already hold their new post. Times are fixed
relative to the seed's base time; the follow-up re-checks and one accepted appeal
are therefore overdue whenever the demo runs.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.cases import Post, apply_disposition
from domain.enums import (
    AppealStatus,
    CadreStatus,
    CaseStage,
    Disposition,
    FindingStatus,
    Grade,
    Rank,
    Role,
)

Row = dict[str, Any]
ORDER = (CaseStage.VERIFICATION, CaseStage.PROPOSAL, CaseStage.DECISION, CaseStage.TALK,
         CaseStage.APPOINTMENT)
#: (stage reached, disposition, appeal status) of each seeded case.
PLAN: tuple[tuple[CaseStage, Disposition | None, AppealStatus | None], ...] = (
    (CaseStage.VERIFICATION, None, None),
    (CaseStage.PROPOSAL, None, None),
    (CaseStage.DECISION, Disposition.AWAITING_POST, None),
    (CaseStage.TALK, Disposition.REASSIGNMENT, None),
    (CaseStage.APPOINTMENT, Disposition.REMOVAL, None),
    (CaseStage.APPEAL, Disposition.REMOVAL, AppealStatus.FILED),
    (CaseStage.APPEAL, Disposition.AWAITING_POST, AppealStatus.ACCEPTED),
    (CaseStage.CLOSED, Disposition.REMOVAL, None),
)
_NOTES = {
    CaseStage.VERIFICATION: "经核实，负面清单问题属实。",
    CaseStage.PROPOSAL: "建议对其调整现职。",
    CaseStage.DECISION: "经部务会研究决定。",
    CaseStage.TALK: "谈话记录：已告知调整理由及申诉权利，本人表示理解。",
    CaseStage.APPOINTMENT: "按程序办理任免手续。",
    CaseStage.APPEAL: "本人对认定事实有异议，提出申诉。",
    CaseStage.CLOSED: "申诉期满，办结归档。",
}
STEP_DAYS = 7


@dataclass
class ProcedureRows:
    cases: list[Row] = field(default_factory=list)
    case_findings: list[Row] = field(default_factory=list)
    steps: list[Row] = field(default_factory=list)
    appeals: list[Row] = field(default_factory=list)
    follow_ups: list[Row] = field(default_factory=list)
    users: list[Row] = field(default_factory=list)
    assignments: list[Row] = field(default_factory=list)


def _subjects(cadres: Sequence[Row], findings: Sequence[Row], avoid: set[int],
              county_units: set[int],
              add_confirmed: Callable[[Row], Row]) -> list[tuple[Row, Row]]:
    """One serving cadre per planned case, each with a confirmed finding.

    Cadres that already have one come first; others get one from ``add_confirmed``,
    so that small demo cities have a case at every stage too. The open appeal (sixth
    entry of PLAN) goes to county 1, so that demo-org-county can review it while
    demo-org, who recorded the decision, may not.
    """
    confirmed = {f["cadre_id"]: f for f in findings if f["status"] is FindingStatus.CONFIRMED}
    serving = [c for c in cadres if c["id"] not in avoid and c["status"] is CadreStatus.SERVING
               and c["rank"] is not Rank.DEPUTY_SECTION_CHIEF]
    serving.sort(key=lambda c: (c["id"] not in confirmed, c["id"]))
    in_county = [c for c in serving if c["unit_id"] in county_units]
    elsewhere = [c for c in serving if c["unit_id"] not in county_units]
    chosen = elsewhere[:5] + in_county[:1] + elsewhere[5:len(PLAN) - 1]
    return [(c, confirmed.get(c["id"]) or add_confirmed(c)) for c in chosen]


def build_procedure(cadres: Sequence[Row], findings: Sequence[Row], evaluations: list[Row],
                    *, base_time: datetime, decider_id: int, avoid: set[int],
                    county_units: set[int], first_user_id: int, first_assignment_id: int,
                    add_confirmed: Callable[[Row], Row]) -> ProcedureRows:
    """Cases at every stage for the demo; changes the adjusted cadres' posts in place.

    Each appellant gets a user account of his own (``cadre-<id>``), since only the
    cadre himself files an appeal.
    """
    rows = ProcedureRows()
    ids = {"user": first_user_id, "assignment": first_assignment_id}
    for index, ((stage, disposition, appeal_status), (cadre, finding)) in enumerate(
            zip(PLAN, _subjects(cadres, findings, avoid, county_units, add_confirmed),
                strict=False)):
        case_id = index + 1
        opened = base_time - timedelta(days=150 - 10 * index)
        if stage is CaseStage.CLOSED:
            opened -= timedelta(days=500)  # cooling-off over, a year of grades since
        reached = ORDER if stage not in ORDER else ORDER[:ORDER.index(stage) + 1]
        case = {"id": case_id, "cadre_id": cadre["id"], "stage": stage,
                "disposition": None, "new_position": None, "opened_by": decider_id,
                "opened_at": opened, "decided_by": None, "decided_at": None,
                "notified_at": None, "appointed_at": None, "closed_at": None,
                "previous_unit_id": None, "previous_position": None, "previous_rank": None,
                "previous_status": None, "version": len(reached)}
        for number, step_stage in enumerate(reached):
            _step(rows, case_id, step_stage, opened + timedelta(days=STEP_DAYS * number),
                  decider_id)
        if CaseStage.DECISION in reached:
            decided = opened + timedelta(days=STEP_DAYS * 2)
            case.update(disposition=disposition, decided_by=decider_id, decided_at=decided,
                        notified_at=decided,
                        new_position="区政协调研员" if disposition is Disposition.REASSIGNMENT
                        else None)
        if CaseStage.APPOINTMENT in reached:
            _carry_out(rows, case, cadre, opened + timedelta(days=STEP_DAYS * 4))
        if appeal_status is not None:
            _appeal(rows, case, _account(rows, cadre, base_time, ids), appeal_status)
        if stage is CaseStage.CLOSED:
            closed = case["notified_at"] + timedelta(days=40)
            _step(rows, case_id, CaseStage.CLOSED, closed, decider_id)
            case.update(closed_at=closed, version=case["version"] + 1)
            _good_since(evaluations, cadre["id"], case["appointed_at"].year)
        # The finding was confirmed before the case could open on it.
        finding.update(reported_at=opened - timedelta(days=60),
                       verification_started_at=opened - timedelta(days=45),
                       concluded_at=opened - timedelta(days=10))
        rows.cases.append(case)
        rows.case_findings.append({"case_id": case_id, "finding_id": finding["id"]})
    return rows


def _step(rows: ProcedureRows, case_id: int, stage: CaseStage, at: datetime,
          actor_id: int) -> None:
    rows.steps.append({"id": len(rows.steps) + 1, "case_id": case_id, "stage": stage,
                       "actor_id": actor_id, "at": at, "note": _NOTES[stage],
                       "documents": [f"{stage.value.lower()}-{case_id}"]})


def _carry_out(rows: ProcedureRows, case: Row, cadre: Row, at: datetime) -> None:
    before = Post(position=cadre["position"], rank=cadre["rank"], status=cadre["status"])
    after = apply_disposition(before, case["disposition"], case["new_position"])
    case.update(appointed_at=at, previous_unit_id=cadre["unit_id"],
                previous_position=before.position, previous_rank=before.rank,
                previous_status=before.status)
    cadre.update(position=after.position, rank=after.rank, status=after.status)
    rows.follow_ups.append({"id": len(rows.follow_ups) + 1, "case_id": case["id"],
                            "cadre_id": cadre["id"], "opened_at": at,
                            "next_check_due": at + timedelta(days=182), "closed_at": None})


def _account(rows: ProcedureRows, cadre: Row, at: datetime, ids: dict[str, int]) -> int:
    """A cadre user account for ``cadre``; returns its id."""
    user_id = ids["user"] + len(rows.users)
    rows.users.append({"id": user_id, "username": f"cadre-{cadre['id']}",
                       "display_name": cadre["name"], "cadre_id": cadre["id"],
                       "active": True, "created_at": at})
    rows.assignments.append({"id": ids["assignment"] + len(rows.assignments),
                             "user_id": user_id, "role": Role.CADRE, "unit_id": None})
    return user_id


def _appeal(rows: ProcedureRows, case: Row, user_id: int, status: AppealStatus) -> None:
    filed = case["notified_at"] + timedelta(days=20)
    appeal = {"id": len(rows.appeals) + 1, "case_id": case["id"], "filed_by": user_id,
              "filed_at": filed, "grounds": "对认定的事实和依据有异议，请求复核。",
              "status": status, "accepted_at": None, "due_at": None, "extended": False,
              "reviewer_id": None, "outcome": None, "decided_at": None,
              "decision_note": None, "version": 1}
    if status is AppealStatus.ACCEPTED:
        # Accepted long enough ago that the 60-day decision is overdue.
        appeal.update(accepted_at=filed + timedelta(days=2),
                      due_at=filed + timedelta(days=62), version=2)
    rows.appeals.append(appeal)
    _step(rows, case["id"], CaseStage.APPEAL, filed, user_id)
    case["version"] += 1


def _good_since(evaluations: list[Row], cadre_id: int, year: int) -> None:
    """Annual grades after the adjustment good enough for reinstatement (再上得去)."""
    for evaluation in evaluations:
        if evaluation["cadre_id"] == cadre_id and evaluation["year"] > year:
            evaluation.update(grade=Grade.GOOD, score=max(evaluation["score"] or 0, 85.0))
