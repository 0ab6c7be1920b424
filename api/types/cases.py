"""The adjustment procedure as GraphQL types. Every field but ``id`` is guarded by policy."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from api.loaders import Loaders
from api.types.cadres import Allowed, Cadre, build_cadres
from authz.scope import Scope
from domain import appeals as appeal_rules
from domain.cases import appeal_deadline
from domain.enums import AppealOutcome, AppealStatus, CaseStage, Disposition


@strawberry.type(description="A documented step of a case (纪实).")
class CaseStep:
    id: strawberry.ID
    stage: CaseStage | None
    at: datetime | None
    actor: str | None = strawberry.field(description="Username of who took the step.")
    note: str | None
    documents: list[str] | None
    allowed: Allowed


@strawberry.type(description="申诉 — the cadre's appeal against the decision.")
class Appeal:
    id: strawberry.ID
    case_id: strawberry.ID | None
    status: AppealStatus | None
    filed_at: datetime | None
    grounds: str | None
    accepted_at: datetime | None
    due_at: datetime | None = strawberry.field(description="When the decision falls due.")
    extended: bool | None
    overdue: bool | None
    outcome: AppealOutcome | None
    decided_at: datetime | None
    decision_note: str | None
    version: int | None
    allowed: Allowed


@strawberry.type(description="调整不适宜担任现职领导干部 — the procedure for one cadre.")
class AdjustmentCase:
    id: strawberry.ID
    cadre_id: strawberry.ID | None
    cadre: Cadre | None
    stage: CaseStage | None
    disposition: Disposition | None
    new_position: str | None
    opened_at: datetime | None
    decided_at: datetime | None
    notified_at: datetime | None
    appeal_deadline: datetime | None = strawberry.field(
        description="Last moment the cadre may appeal (30 days after notification).")
    appointed_at: datetime | None
    closed_at: datetime | None
    version: int | None
    finding_ids: list[strawberry.ID] | None
    steps: list[CaseStep] | None
    appeal: Appeal | None
    allowed: Allowed


async def build_cases(info: strawberry.Info, rows: Sequence[Any], selected: frozenset[str],
                      cadre_selected: frozenset[str] = frozenset()) -> list[AdjustmentCase]:
    """GraphQL cases for ``rows``; steps, findings, appeals and cadres fetched for all at once.

    ``cadre_selected`` names what is selected under ``cadre``, so that the cadre's
    evaluations, findings and labels are fetched (as the policy allows) like a roster's.
    """
    ctx = info.context
    scope: Scope = ctx.scope
    loaders: Loaders = ctx.loaders
    ids = [row.id for row in rows]
    steps = dict(zip(ids, await loaders.case_steps.load_many(ids), strict=True))
    findings = dict(zip(ids, await loaders.case_findings.load_many(ids), strict=True))
    appeals = dict(zip(ids, await loaders.case_appeals.load_many(ids), strict=True))
    cadres: dict[int, Cadre] = {}
    if "cadre" in selected and ids:
        found = await loaders.cadres.load_many(sorted({row.cadre_id for row in rows}))
        cadre_rows = [row for row in found if row is not None]
        cadres = {int(c.id): c for c in await build_cadres(info, cadre_rows, cadre_selected)}
    built = []
    for row in rows:
        allowed = scope.readable(scope.cadre_grants(row.cadre_unit_id, row.cadre_id))
        appeal = appeals.get(row.id)
        built.append(AdjustmentCase(
            id=strawberry.ID(str(row.id)), cadre_id=strawberry.ID(str(row.cadre_id)),
            cadre=cadres.get(row.cadre_id), stage=row.stage, disposition=row.disposition,
            new_position=row.new_position, opened_at=row.opened_at, decided_at=row.decided_at,
            notified_at=row.notified_at,
            appeal_deadline=appeal_deadline(row.notified_at) if row.notified_at else None,
            appointed_at=row.appointed_at, closed_at=row.closed_at, version=row.version,
            finding_ids=[strawberry.ID(str(i)) for i in findings.get(row.id, [])],
            steps=[_step(step, allowed) for step in steps.get(row.id, [])],
            appeal=_appeal(appeal, allowed, ctx.now) if appeal else None, allowed=allowed))
    return built


def _step(row: Any, allowed: frozenset[str]) -> CaseStep:
    return CaseStep(id=strawberry.ID(str(row.id)), stage=row.stage, at=row.at,
                    actor=row.username, note=row.note, documents=row.documents,
                    allowed=allowed)


def _appeal(row: Any, allowed: frozenset[str], now: datetime) -> Appeal:
    return Appeal(
        id=strawberry.ID(str(row.id)), case_id=strawberry.ID(str(row.case_id)),
        status=row.status, filed_at=row.filed_at, grounds=row.grounds,
        accepted_at=row.accepted_at, due_at=row.due_at, extended=row.extended,
        overdue=appeal_rules.is_overdue(row.status, row.due_at, now), outcome=row.outcome,
        decided_at=row.decided_at, decision_note=row.decision_note, version=row.version,
        allowed=allowed)
