"""Root mutation fields: decode the input, call one workflow, build the payload from the
record it wrote (in the same transaction; no second read of it)."""

import json
from datetime import date, datetime
from typing import Any, NamedTuple

import strawberry

from api.inputs import text
from api.resolvers.ids import decode_id, decode_time
from api.selection import selected_names
from api.types.cadres import (
    Cadre,
    Evaluation,
    Finding,
    build_cadres,
    evaluation_allowed,
    evaluations_from_rows,
    finding_from_row,
)
from api.types.enums import (
    CadreStatus,
    EvaluationPeriod,
    EvaluationSource,
    FindingSource,
    FindingStatus,
    Gender,
    Grade,
    LeadershipRole,
    Rank,
)
from db.models import NegativeListItem
from domain import enums, limits
from workflows import cadres, evaluations, findings
from workflows.records import Written


@strawberry.input
class CreateCadreInput:
    name: str = text(limits.PERSON_NAME)
    gender: Gender
    birth_date: date
    id_number: str = text(limits.ID_NUMBER, "身份证号 — fullwidth digits are read as ASCII.")
    unit_id: strawberry.ID
    position: str = text(limits.POSITION)
    rank: Rank
    leadership_role: LeadershipRole
    phone: str | None = text(limits.PHONE, default=None)
    status: CadreStatus = enums.CadreStatus.SERVING


@strawberry.input
class UpdateCadreInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version read; a stale one answers CONFLICT.")
    name: str | None = text(limits.PERSON_NAME, default=None)
    phone: str | None = text(limits.PHONE, default=None)
    unit_id: strawberry.ID | None = None
    position: str | None = text(limits.POSITION, default=None)
    rank: Rank | None = None
    leadership_role: LeadershipRole | None = None
    status: CadreStatus | None = None


@strawberry.input
class DimensionScoresInput:
    work: float | None = None
    conduct: float | None = None
    results: float | None = None


@strawberry.input
class RecordEvaluationInput:
    cadre_id: strawberry.ID
    year: int
    period: EvaluationPeriod
    grade: Grade
    score: float | None = None
    dimension_scores: DimensionScoresInput | None = None
    sources: list[EvaluationSource] = strawberry.field(default_factory=list)
    comment: str | None = text(limits.COMMENT, default=None)


@strawberry.input
class ReportFindingInput:
    cadre_id: strawberry.ID
    item_code: str = text(limits.ITEM_CODE)
    source: FindingSource
    description: str = text(limits.DESCRIPTION)
    evidence: str | None = text(limits.EVIDENCE, default=None)
    informant: str | None = text(limits.INFORMANT, default=None)
    reported_at: datetime | None = None


@strawberry.input
class FindingTransitionInput:
    id: strawberry.ID
    version: int


@strawberry.type
class CadrePayload:
    cadre: Cadre | None


@strawberry.type
class EvaluationPayload:
    evaluation: Evaluation | None


@strawberry.type
class FindingPayload:
    finding: Finding | None


async def _cadre_payload(info: strawberry.Info, written: Written[Any]) -> Cadre:
    """The cadre as its workflow wrote it, with the children the payload selects."""
    [cadre] = await build_cadres(info, [written.record], selected_names(info, "cadre"))
    return cadre


class _EvaluationRow(NamedTuple):
    """An evaluation as the roster's statement reads it (`db.queries.cadres`)."""

    id: int
    cadre_id: int
    year: int
    period: Any
    grade: Any
    score: float | None
    work_score: float | None
    conduct_score: float | None
    results_score: float | None
    sources_json: str | None
    comment: str | None
    finalised: bool


def _evaluation_payload(info: strawberry.Info, written: Written[Any]) -> EvaluationPayload:
    """The evaluation as its workflow wrote it, with the caller's fields on its cadre."""
    e = written.record
    row = _EvaluationRow(e.id, e.cadre_id, e.year, e.period, e.grade, e.score, e.work_score,
                         e.conduct_score, e.results_score, json.dumps(list(e.sources or [])),
                         e.comment, e.finalised)
    [evaluation] = evaluations_from_rows([row],
                                         evaluation_allowed(info.context.scope, written.grants))
    return EvaluationPayload(evaluation=evaluation)


async def _finding_payload(info: strawberry.Info, written: Written[Any]) -> FindingPayload:
    """The finding as its workflow wrote it, with the caller's fields on its cadre."""
    ctx = info.context
    finding = written.record
    item = await ctx.uow.session.get(NegativeListItem, finding.item_code)
    return FindingPayload(finding=finding_from_row(finding, ctx.scope.readable(written.grants),
                                                   item.title if item else ""))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a cadre to a unit (organization department).")
    async def create_cadre(self, info: strawberry.Info, input: CreateCadreInput) -> CadrePayload:
        ctx = info.context
        new = cadres.NewCadre(
            name=input.name, gender=input.gender, birth_date=input.birth_date,
            id_number=input.id_number, unit_id=decode_id(input.unit_id, "unitId"),
            position=input.position, rank=input.rank, leadership_role=input.leadership_role,
            phone=input.phone, status=input.status)
        written = await cadres.create_cadre(ctx.uow, ctx.scope, new, ctx.now)
        return CadrePayload(cadre=await _cadre_payload(info, written))

    @strawberry.mutation(description="Change a cadre record (organization department).")
    async def update_cadre(self, info: strawberry.Info, input: UpdateCadreInput) -> CadrePayload:
        ctx = info.context
        changes = cadres.CadreChanges(
            cadre_id=decode_id(input.id), version=input.version, name=input.name,
            phone=input.phone,
            unit_id=decode_id(input.unit_id, "unitId") if input.unit_id is not None else None,
            position=input.position, rank=input.rank, leadership_role=input.leadership_role,
            status=input.status)
        written = await cadres.update_cadre(ctx.uow, ctx.scope, changes, ctx.now)
        return CadrePayload(cadre=await _cadre_payload(info, written))

    @strawberry.mutation(description="Record a performance evaluation (organization department).")
    async def record_evaluation(self, info: strawberry.Info,
                                input: RecordEvaluationInput) -> EvaluationPayload:
        ctx = info.context
        dims = input.dimension_scores or DimensionScoresInput()
        cadre_id = decode_id(input.cadre_id, "cadreId")
        new = evaluations.NewEvaluation(
            cadre_id=cadre_id, year=input.year, period=input.period,
            grade=input.grade, score=input.score, work_score=dims.work,
            conduct_score=dims.conduct, results_score=dims.results,
            sources=tuple(input.sources), comment=input.comment)
        written = await evaluations.record_evaluation(ctx.uow, ctx.scope, new, ctx.now)
        return _evaluation_payload(info, written)

    @strawberry.mutation(description="Finalise an evaluation; it can no longer change.")
    async def finalise_evaluation(self, info: strawberry.Info,
                                  id: strawberry.ID) -> EvaluationPayload:
        ctx = info.context
        written = await evaluations.finalise_evaluation(ctx.uow, ctx.scope, decode_id(id),
                                                        ctx.now)
        return _evaluation_payload(info, written)

    @strawberry.mutation(description="Report a negative-list finding (discipline inspection).")
    async def report_finding(self, info: strawberry.Info,
                             input: ReportFindingInput) -> FindingPayload:
        ctx = info.context
        cadre_id = decode_id(input.cadre_id, "cadreId")
        new = findings.NewFinding(
            cadre_id=cadre_id, item_code=input.item_code, source=input.source,
            description=input.description, evidence=input.evidence,
            informant=input.informant,
            reported_at=(decode_time(input.reported_at, "reportedAt")
                         if input.reported_at else None))
        written = await findings.report_finding(ctx.uow, ctx.scope, new, ctx.now)
        return await _finding_payload(info, written)

    @strawberry.mutation(description="Start verifying a reported finding (核实).")
    async def start_finding_verification(self, info: strawberry.Info,
                                         input: FindingTransitionInput) -> FindingPayload:
        return await _move(info, input, enums.FindingStatus.UNDER_VERIFICATION)

    @strawberry.mutation(description="Confirm a finding under verification (认定).")
    async def confirm_finding(self, info: strawberry.Info,
                              input: FindingTransitionInput) -> FindingPayload:
        return await _move(info, input, enums.FindingStatus.CONFIRMED)

    @strawberry.mutation(description="Dismiss a finding under verification (不予认定).")
    async def dismiss_finding(self, info: strawberry.Info,
                              input: FindingTransitionInput) -> FindingPayload:
        return await _move(info, input, enums.FindingStatus.DISMISSED)


async def _move(info: strawberry.Info, input: FindingTransitionInput,
                target: FindingStatus) -> FindingPayload:
    ctx = info.context
    written = await findings.move_finding(ctx.uow, ctx.scope, decode_id(input.id),
                                          input.version, target, ctx.now)
    return await _finding_payload(info, written)
