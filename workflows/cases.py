"""Running the adjustment procedure (organization department).

Every transition checks the stage order, the caller's right to write the case,
and the version the caller read; it records a documented step (纪实) and an audit
event, and commits once.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authz.compiled import Grant
from authz.scope import Scope
from db.models import AdjustmentCase, Cadre, CaseFinding, CaseStep
from db.queries import cases as case_queries
from db.repositories import cases as case_repository
from db.repositories.records import flush_unique, update_versioned, visible_cadre, visible_cadres
from db.uow import UnitOfWork
from domain import cases as rules
from domain import duties
from domain.enums import CaseStage, Disposition
from domain.errors import Conflict, InvalidInput, NotFound
from workflows.followups import open_follow_up
from workflows.records import Written


@dataclass(frozen=True)
class Decision:
    disposition: Disposition
    notified_at: datetime
    new_position: str | None = None


@dataclass(frozen=True)
class Step:
    """One transition asked for: the target stage, with its record and documents."""

    case_id: int
    version: int
    stage: CaseStage
    note: str | None = None
    documents: tuple[str, ...] = ()
    decision: Decision | None = None


async def visible_case(uow: UnitOfWork, scope: Scope, case_id: int,
                       field: str = "id") -> tuple[Any, frozenset[Grant]]:
    """The case and the caller's grants on it; NOT_FOUND when missing or out of scope."""
    rows = await case_queries.list_cases(uow.session, visible_cadres(scope), case_id=case_id)
    if not rows:
        raise NotFound(f"No adjustment case with id {case_id}.", field=field)
    row = rows[0]
    return row, scope.cadre_grants(row.cadre_unit_id, row.cadre_id)


async def open_case(uow: UnitOfWork, scope: Scope, cadre_id: int, finding_ids: list[int],
                    note: str | None, documents: list[str], now: datetime) -> Written[Any]:
    """Open the procedure for a cadre, on confirmed findings against him (核实认定).

    Returns the case as opened, as the case reads give it."""
    cadre = await visible_cadre(uow.session, scope, cadre_id)
    uow.authorize(scope, scope.cadre_grants(cadre.unit_id, cadre.id), ["stage"])
    duties.check_not_about_self(scope.principal.cadre_id, cadre.id)
    text = rules.check_note(note, required=False)
    refs = rules.check_documents(documents)
    ids = sorted(set(finding_ids))
    if not ids:
        raise InvalidInput("Link at least one confirmed finding.", field="findingIds")
    confirmed = await case_repository.list_confirmed_findings(uow.session, cadre.id, ids)
    if confirmed != set(ids):
        raise InvalidInput("Every linked finding must be a confirmed finding against this "
                           "cadre.", field="findingIds")
    open_case_id = await case_repository.get_open_case_id(uow.session, cadre.id)
    if open_case_id is not None:
        raise Conflict(f"The cadre already has an open case ({open_case_id}).", field="cadreId")
    case = AdjustmentCase(cadre_id=cadre.id, stage=CaseStage.VERIFICATION,
                          opened_by=scope.principal.user_id, opened_at=now, version=1)
    uow.session.add(case)
    # One open case per cadre is a unique index too: of two concurrent openings one wins.
    await flush_unique(uow.session, "The cadre already has an open case.", "cadreId")
    uow.session.add_all([CaseFinding(case_id=case.id, finding_id=i) for i in ids])
    uow.session.add(CaseStep(case_id=case.id, stage=CaseStage.VERIFICATION,
                             actor_id=scope.principal.user_id, at=now, note=text,
                             documents=refs))
    grants = scope.cadre_grants(cadre.unit_id, cadre.id)
    uow.authorize(scope, grants, ["finding_ids"])
    await uow.complete([case.id, cadre.id], at=now)
    opened = {"id": case.id, "cadre_id": cadre.id, "stage": CaseStage.VERIFICATION,
              "opened_by": scope.principal.user_id, "opened_at": now, "version": 1}
    return Written(case_repository.case_view(opened, cadre.unit_id), grants)


async def advance_case(uow: UnitOfWork, scope: Scope, step: Step,
                       now: datetime) -> Written[Any]:
    """Move a case one step forward; DECISION, TALK and APPOINTMENT carry their rules.

    Returns the case as written, as the case reads give it."""
    case, grants = await visible_case(uow, scope, step.case_id)
    written = ["stage"]
    if step.stage is CaseStage.DECISION:
        written.append("disposition")
    uow.authorize(scope, grants, written)
    duties.check_not_about_self(scope.principal.cadre_id, case.cadre_id)
    if step.stage is CaseStage.APPEAL:
        raise Conflict("A case enters APPEAL only when the cadre files an appeal.",
                       field="stage")
    rules.check_advance(case.stage, step.stage)
    note = rules.check_note(step.note, required=step.stage is CaseStage.TALK)
    refs = rules.check_documents(list(step.documents))
    values = await _stage_values(uow, scope, case, step, now)
    uow.authorize(scope, grants, values)
    written_row = await update_versioned(uow.session, AdjustmentCase, case.id, step.version,
                                         {"stage": step.stage, **values})
    if step.stage is CaseStage.APPOINTMENT:
        await _carry_out(uow, case, now)
    uow.session.add(CaseStep(case_id=case.id, stage=step.stage,
                             actor_id=scope.principal.user_id, at=now, note=note,
                             documents=refs))
    await uow.complete([case.id, case.cadre_id], at=now)
    return Written(case_repository.case_view(written_row, case.cadre_unit_id), grants)


async def _stage_values(uow: UnitOfWork, scope: Scope, case: Any, step: Step,
                        now: datetime) -> dict[str, Any]:
    if step.stage is CaseStage.DECISION:
        if step.decision is None:
            raise InvalidInput("A decision needs its disposition and notification date.",
                               field="decision")
        cadre = await uow.session.get(Cadre, case.cadre_id)
        assert cadre is not None
        post = rules.Post(position=cadre.position, rank=cadre.rank, status=cadre.status)
        new_position = rules.check_decision(step.decision.disposition,
                                            step.decision.notified_at, case.opened_at, now,
                                            post, step.decision.new_position)
        return {"disposition": step.decision.disposition,
                "notified_at": step.decision.notified_at, "new_position": new_position,
                "decided_by": scope.principal.user_id, "decided_at": now}
    if step.decision is not None:
        raise InvalidInput("Only the DECISION step takes a decision.", field="decision")
    if step.stage is CaseStage.APPOINTMENT:
        return {"appointed_at": now}
    if step.stage is CaseStage.CLOSED:
        rules.check_can_close(case.stage, case.notified_at, now)
        return {"closed_at": now}
    return {}


async def _carry_out(uow: UnitOfWork, case: Any, now: datetime) -> None:
    """任免: apply the disposition to the cadre's post, keeping the old one on the case."""
    cadre = await uow.session.get(Cadre, case.cadre_id)
    assert cadre is not None and case.disposition is not None
    before = rules.Post(position=cadre.position, rank=cadre.rank, status=cadre.status)
    after = rules.apply_disposition(before, case.disposition, case.new_position)
    await case_repository.keep_previous_post(uow.session, case.id, cadre)
    cadre.position, cadre.rank, cadre.status = after.position, after.rank, after.status
    cadre.version += 1
    cadre.updated_at = now
    await open_follow_up(uow.session, case.id, case.cadre_id, now)
