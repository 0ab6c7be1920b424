"""Root fields of the adjustment procedure and appeals."""

from datetime import datetime
from typing import Any

import strawberry

from api.inputs import text
from api.resolvers.ids import decode_id, decode_time
from api.selection import selected_names
from api.types.cases import AdjustmentCase, Appeal, build_cases
from db.queries import cases as case_queries
from db.repositories.records import visible_cadres
from domain import limits
from domain.enums import AppealOutcome, CaseStage, Disposition
from workflows import appeals, cases
from workflows.records import Written


@strawberry.input(description="Filters of the case list.")
class CaseFilter:
    unit_id: strawberry.ID | None = None
    include_subunits: bool = True
    stage: CaseStage | None = None
    cadre_id: strawberry.ID | None = None


@strawberry.input
class OpenAdjustmentCaseInput:
    cadre_id: strawberry.ID
    finding_ids: list[strawberry.ID]
    note: str | None = text(limits.NOTE, default=None)
    documents: list[str] = text(limits.DOCUMENT, "References of attached documents, at most "
                                                 "20.", each=True, default_factory=list)


@strawberry.input(description="组织决定 — the decision recorded with the DECISION step.")
class DecisionInput:
    disposition: Disposition
    notified_at: datetime = strawberry.field(description="When the cadre was notified.")
    new_position: str | None = text(limits.POSITION, default=None)


@strawberry.input
class AdvanceCaseInput:
    id: strawberry.ID
    version: int
    stage: CaseStage = strawberry.field(description="The stage to move to (the next one).")
    note: str | None = text(limits.NOTE, "Record of the step; required for TALK.",
                            default=None)
    documents: list[str] = text(limits.DOCUMENT, "References of attached documents, at most "
                                                 "20.", each=True, default_factory=list)
    decision: DecisionInput | None = None


@strawberry.input
class FileAppealInput:
    case_id: strawberry.ID
    grounds: str = text(limits.GROUNDS)


@strawberry.input
class AppealTransitionInput:
    id: strawberry.ID
    version: int


@strawberry.input
class ExtendAppealInput:
    id: strawberry.ID
    version: int
    days: int


@strawberry.input
class DecideAppealInput:
    id: strawberry.ID
    version: int
    outcome: AppealOutcome
    note: str | None = text(limits.NOTE, default=None)
    disposition: Disposition | None = strawberry.field(
        default=None, description="The new disposition of a REVISED decision.")
    new_position: str | None = text(limits.POSITION, default=None)


@strawberry.type
class AdjustmentCasePayload:
    case: AdjustmentCase | None


@strawberry.type
class AppealPayload:
    appeal: Appeal | None


async def _read_case(info: strawberry.Info, case_id: int, selected: frozenset[str],
                     cadre_selected: frozenset[str] = frozenset()) -> AdjustmentCase | None:
    rows = await case_queries.list_cases(info.context.uow.session,
                                         visible_cadres(info.context.scope), case_id=case_id)
    built = await build_cases(info, rows, selected, cadre_selected)
    return built[0] if built else None


async def _case_payload(info: strawberry.Info, written: Written[Any]) -> AdjustmentCasePayload:
    """The case as its workflow wrote it, with the children the payload selects."""
    [case] = await build_cases(info, [written.record], selected_names(info, "case"),
                               selected_names(info, "case", "cadre"))
    return AdjustmentCasePayload(case=case)


async def _appeal_payload(info: strawberry.Info, written: Written[Any]) -> AppealPayload:
    """The appeal of the case its workflow wrote."""
    [case] = await build_cases(info, [written.record], frozenset())
    return AppealPayload(appeal=case.appeal)


@strawberry.type
class CaseQueries:
    @strawberry.field(description="One adjustment case; null when missing or out of scope.")
    async def adjustment_case(self, info: strawberry.Info,
                              id: strawberry.ID) -> AdjustmentCase | None:
        return await _read_case(info, decode_id(id), selected_names(info),
                                selected_names(info, "cadre"))

    @strawberry.field(description="Adjustment cases the caller may see, newest first (200 max).")
    async def adjustment_cases(self, info: strawberry.Info,
                               filter: CaseFilter | None = None) -> list[AdjustmentCase]:
        ctx = info.context
        filter = filter or CaseFilter()
        unit_ids = None
        if filter.unit_id is not None:
            unit_id = decode_id(filter.unit_id, "filter.unitId")
            unit_ids = frozenset(ctx.scope.tree.subtree(unit_id) if filter.include_subunits
                                 else {unit_id})
        rows = await case_queries.list_cases(
            ctx.uow.session, visible_cadres(ctx.scope), unit_ids=unit_ids, stage=filter.stage,
            cadre_id=(decode_id(filter.cadre_id, "filter.cadreId")
                      if filter.cadre_id is not None else None))
        return await build_cases(info, rows, selected_names(info), selected_names(info, "cadre"))

    @strawberry.field(description="Cases whose accepted appeal is past its decision date.")
    async def overdue_appeals(self, info: strawberry.Info) -> list[AdjustmentCase]:
        ctx = info.context
        visible = visible_cadres(ctx.scope)
        ids = await case_queries.overdue_case_ids(ctx.uow.session, visible, ctx.now)
        rows = [row for case_id in ids for row in
                await case_queries.list_cases(ctx.uow.session, visible, case_id=case_id)]
        return await build_cases(info, rows, selected_names(info), selected_names(info, "cadre"))


@strawberry.type
class CaseMutations:
    @strawberry.mutation(description="Open the adjustment procedure on confirmed findings.")
    async def open_adjustment_case(self, info: strawberry.Info,
                                   input: OpenAdjustmentCaseInput) -> AdjustmentCasePayload:
        ctx = info.context
        written = await cases.open_case(
            ctx.uow, ctx.scope, decode_id(input.cadre_id, "cadreId"),
            [decode_id(i, "findingIds") for i in input.finding_ids], input.note,
            input.documents, ctx.now)
        return await _case_payload(info, written)

    @strawberry.mutation(description="Move a case to its next stage, with the step's record.")
    async def advance_case(self, info: strawberry.Info,
                           input: AdvanceCaseInput) -> AdjustmentCasePayload:
        ctx = info.context
        decision = None
        if input.decision is not None:
            decision = cases.Decision(
                disposition=input.decision.disposition,
                notified_at=decode_time(input.decision.notified_at, "decision.notifiedAt"),
                new_position=input.decision.new_position)
        step = cases.Step(case_id=decode_id(input.id), version=input.version,
                          stage=input.stage, note=input.note,
                          documents=tuple(input.documents), decision=decision)
        written = await cases.advance_case(ctx.uow, ctx.scope, step, ctx.now)
        return await _case_payload(info, written)

    @strawberry.mutation(description="The cadre appeals against the decision in his case.")
    async def file_appeal(self, info: strawberry.Info, input: FileAppealInput) -> AppealPayload:
        ctx = info.context
        written = await appeals.file_appeal(ctx.uow, ctx.scope,
                                              decode_id(input.case_id, "caseId"),
                                              input.grounds, ctx.now)
        return await _appeal_payload(info, written)

    @strawberry.mutation(description="Accept an appeal for review (decision due in 60 days).")
    async def accept_appeal(self, info: strawberry.Info,
                            input: AppealTransitionInput) -> AppealPayload:
        ctx = info.context
        written = await appeals.accept_appeal(ctx.uow, ctx.scope, decode_id(input.id),
                                                input.version, ctx.now)
        return await _appeal_payload(info, written)

    @strawberry.mutation(description="Extend the decision on an appeal once, by ≤ 30 days.")
    async def extend_appeal(self, info: strawberry.Info,
                            input: ExtendAppealInput) -> AppealPayload:
        ctx = info.context
        written = await appeals.extend_appeal(ctx.uow, ctx.scope, decode_id(input.id),
                                                input.version, input.days, ctx.now)
        return await _appeal_payload(info, written)

    @strawberry.mutation(description="Decide an appeal: UPHELD, REVISED or REVOKED.")
    async def decide_appeal(self, info: strawberry.Info,
                            input: DecideAppealInput) -> AppealPayload:
        ctx = info.context
        revision = (appeals.Revision(input.disposition, input.new_position)
                    if input.disposition is not None else None)
        written = await appeals.decide_appeal(ctx.uow, ctx.scope, decode_id(input.id),
                                                input.version, input.outcome, input.note,
                                                revision, ctx.now)
        return await _appeal_payload(info, written)
