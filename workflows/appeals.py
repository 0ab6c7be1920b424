"""Appeals against a decision: filed by the cadre, reviewed and decided by the department."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authz.compiled import Grant
from authz.scope import Scope
from db.models import AdjustmentCase, Appeal, Cadre, CaseStep
from db.repositories import cases as case_repository
from db.repositories.records import update_versioned, visible_cadres
from db.uow import UnitOfWork
from domain import appeals as rules
from domain.cases import Post, apply_disposition, check_disposition
from domain.enums import AppealOutcome, AppealStatus, CaseStage, Disposition
from domain.errors import InvalidInput, NotFound
from workflows.cases import visible_case
from workflows.records import Written


@dataclass(frozen=True)
class Revision:
    """The new disposition of a REVISED decision (变更)."""

    disposition: Disposition
    new_position: str | None = None


async def file_appeal(uow: UnitOfWork, scope: Scope, case_id: int, grounds: str,
                      now: datetime) -> Written[Any]:
    """The cadre appeals against the decision in his own case (申诉), within 30 days.

    Returns the case, as the case reads give it (the appeal is its child)."""
    case, grants = await visible_case(uow, scope, case_id, field="caseId")
    uow.authorize(scope, grants, ["grounds"])
    text = rules.check_filing(case.stage, case.notified_at, now, grounds)
    written = await update_versioned(uow.session, AdjustmentCase, case.id, case.version,
                                     {"stage": CaseStage.APPEAL})
    appeal = Appeal(case_id=case.id, filed_by=scope.principal.user_id, filed_at=now,
                    grounds=text, status=AppealStatus.FILED, extended=False, version=1)
    uow.session.add(appeal)
    uow.session.add(CaseStep(case_id=case.id, stage=CaseStage.APPEAL,
                             actor_id=scope.principal.user_id, at=now, note=text,
                             documents=[]))
    await uow.session.flush()
    await uow.complete([appeal.id, case.id], at=now)
    return Written(case_repository.case_view(written, case.cadre_unit_id), grants)


async def _visible_appeal(uow: UnitOfWork, scope: Scope,
                          appeal_id: int) -> tuple[Any, Any, frozenset[Grant]]:
    # The row filter is in the statement: a hidden appeal and a missing one are one path.
    appeal = await case_repository.get_appeal(uow.session, appeal_id, visible_cadres(scope))
    if appeal is None:
        raise NotFound(f"No appeal with id {appeal_id}.", field="id")
    case, grants = await visible_case(uow, scope, appeal.case_id)
    return appeal, case, grants


async def accept_appeal(uow: UnitOfWork, scope: Scope, appeal_id: int, version: int,
                        now: datetime) -> Written[Any]:
    """Accept an appeal for review; the decision falls due 60 days later; returns its case."""
    appeal, case, grants = await _visible_appeal(uow, scope, appeal_id)
    uow.authorize(scope, grants, ["status", "due_at"])
    _check_reviewer(scope, case)
    rules.check_status(appeal.status, AppealStatus.FILED)
    await update_versioned(uow.session, Appeal, appeal.id, version,
                           {"status": AppealStatus.ACCEPTED, "accepted_at": now,
                            "due_at": rules.decision_due(now)})
    await uow.complete([appeal.id], at=now)
    return Written(case, grants)


async def extend_appeal(uow: UnitOfWork, scope: Scope, appeal_id: int, version: int,
                        days: int, now: datetime) -> Written[Any]:
    """Extend the decision's due date once, by at most 30 days; returns its case."""
    appeal, case, grants = await _visible_appeal(uow, scope, appeal_id)
    uow.authorize(scope, grants, ["due_at"])
    _check_reviewer(scope, case)
    rules.check_status(appeal.status, AppealStatus.ACCEPTED)
    due = rules.extended_due(appeal.due_at, appeal.extended, days, now)
    await update_versioned(uow.session, Appeal, appeal.id, version,
                           {"due_at": due, "extended": True})
    await uow.complete([appeal.id], at=now)
    return Written(case, grants)


async def decide_appeal(uow: UnitOfWork, scope: Scope, appeal_id: int, version: int,
                        outcome: AppealOutcome, note: str | None,
                        revision: Revision | None, now: datetime) -> Written[Any]:
    """Decide an appeal: uphold, revise or revoke the decision; the case closes.

    Returns the case as closed, under the unit its cadre serves in afterwards."""
    appeal, case, grants = await _visible_appeal(uow, scope, appeal_id)
    uow.authorize(scope, grants, ["outcome", "decision_note"])
    _check_reviewer(scope, case)
    rules.check_status(appeal.status, AppealStatus.ACCEPTED)
    for unit_id in rules.restored_units(outcome, case.previous_unit_id, case.cadre_unit_id):
        # Restoring the post moves the cadre back: the reviewer must be able to write there.
        uow.authorize(scope, scope.unit_grants.get(unit_id, frozenset()), ["post"],
                      audited=False)
    disposition = revision.disposition if revision else None
    rules.check_outcome(outcome, disposition)
    new_position = None
    if revision is not None:
        new_position = check_disposition(_previous_post(case), revision.disposition,
                                         revision.new_position)
    text = (note or "").strip() or None
    if text is not None and len(text) > rules.GROUNDS_MAX:
        raise InvalidInput(f"The note is longer than {rules.GROUNDS_MAX} characters.",
                           field="note")
    await update_versioned(uow.session, Appeal, appeal.id, version,
                           {"status": AppealStatus.DECIDED, "outcome": outcome,
                            "reviewer_id": scope.principal.user_id, "decided_at": now,
                            "decision_note": text})
    if outcome is not AppealOutcome.UPHELD:
        await _redo_post(uow, case, outcome, disposition, new_position, now)
    case_values: dict[str, Any] = {"stage": CaseStage.CLOSED, "closed_at": now}
    if disposition is not None:
        case_values.update(disposition=disposition, new_position=new_position)
    closed = await update_versioned(uow.session, AdjustmentCase, case.id, case.version,
                                    case_values)
    uow.session.add(CaseStep(case_id=case.id, stage=CaseStage.CLOSED,
                             actor_id=scope.principal.user_id, at=now, note=text,
                             documents=[]))
    await uow.complete([appeal.id, case.id, case.cadre_id], at=now)
    unit_id = (case.previous_unit_id if outcome is AppealOutcome.REVOKED
               and case.previous_unit_id is not None else case.cadre_unit_id)
    return Written(case_repository.case_view(closed, unit_id),
                   scope.cadre_grants(unit_id, case.cadre_id))


def _check_reviewer(scope: Scope, case: Any) -> None:
    principal = scope.principal
    rules.check_reviewer(principal.user_id, case.decided_by, principal.cadre_id, case.cadre_id)


def _previous_post(case: Any) -> Post:
    """The post held before APPOINTMENT carried out the decision."""
    return Post(position=case.previous_position, rank=case.previous_rank,
                status=case.previous_status)


async def _redo_post(uow: UnitOfWork, case: Any, outcome: AppealOutcome,
                     disposition: Disposition | None, new_position: str | None,
                     now: datetime) -> None:
    """REVOKED restores the post held before the case; REVISED applies the new disposition."""
    cadre = await uow.session.get(Cadre, case.cadre_id)
    assert cadre is not None and case.previous_rank is not None
    before = _previous_post(case)
    after = before if disposition is None else apply_disposition(before, disposition,
                                                                  new_position)
    cadre.position, cadre.rank, cadre.status = after.position, after.rank, after.status
    if outcome is AppealOutcome.REVOKED and case.previous_unit_id is not None:
        cadre.unit_id = case.previous_unit_id
    cadre.version += 1
    cadre.updated_at = now
    if outcome is AppealOutcome.REVOKED:
        # The decision is withdrawn: nothing is left to follow up.
        await case_repository.close_follow_ups(uow.session, case.id, now)
