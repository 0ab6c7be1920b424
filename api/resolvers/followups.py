"""Root fields of follow-up after adjustment and of coming back up (能上、下了还能上)."""

from datetime import date

import strawberry

from api.inputs import text
from api.resolvers.ids import decode_id
from api.selection import selected_names
from api.settings import Settings
from api.types.enums import Grade
from api.types.followups import (
    Award,
    Candidate,
    FollowUp,
    UnitEvaluation,
    award_from_row,
    build_candidates,
    follow_up_from_file,
    unit_evaluation_from_row,
)
from domain import limits
from domain.enums import Disposition
from domain.promotion import CoolingOff
from workflows import awards, followups


def cooling_off(settings: Settings) -> CoolingOff:
    return CoolingOff(years={Disposition.REMOVAL: settings.cooling_off_years_removal,
                             Disposition.DEMOTION: settings.cooling_off_years_demotion},
                      other_years=settings.cooling_off_years_other)


def _units(info: strawberry.Info, unit_id: strawberry.ID, include_subunits: bool) -> set[int]:
    """The unit (and its subunits); none when it does not exist."""
    unit, tree = decode_id(unit_id, "unitId"), info.context.scope.tree
    return tree.subtree(unit) if include_subunits else {unit} & set(tree.parent)


async def _follow_up(info: strawberry.Info, follow_up_id: int) -> FollowUp | None:
    ctx = info.context
    found = await followups.list_follow_ups(ctx.uow.session, ctx.scope, None, False, ctx.now,
                                            follow_up_id=follow_up_id)
    return follow_up_from_file(found[0], ctx.scope) if found else None


@strawberry.type
class FollowUpQuery:
    @strawberry.field(description="能上 — promotion candidates of a unit, in priority order.")
    async def promotion_candidates(self, info: strawberry.Info, unit_id: strawberry.ID,
                                   include_subunits: bool = True) -> list[Candidate]:
        ctx = info.context
        found = await awards.promotion_candidates(
            ctx.uow.session, ctx.scope, _units(info, unit_id, include_subunits), ctx.now,
            cooling_off(ctx.settings))
        return await build_candidates(info, found, selected_names(info, "cadre"))

    @strawberry.field(description="下了还能上 — adjusted cadres who may be promoted again.")
    async def reinstatement_candidates(self, info: strawberry.Info, unit_id: strawberry.ID,
                                       include_subunits: bool = True) -> list[Candidate]:
        ctx = info.context
        found = await awards.reinstatement_candidates(
            ctx.uow.session, ctx.scope, _units(info, unit_id, include_subunits), ctx.now,
            cooling_off(ctx.settings))
        return await build_candidates(info, found, selected_names(info, "cadre"))

    @strawberry.field(description="逐人建档 — follow-up files (of a unit and its subunits), "
                                  "most urgent first.")
    async def follow_ups(self, info: strawberry.Info, unit_id: strawberry.ID | None = None,
                         overdue_only: bool = False) -> list[FollowUp]:
        ctx = info.context
        units = None if unit_id is None else frozenset(_units(info, unit_id, True))
        found = await followups.list_follow_ups(ctx.uow.session, ctx.scope, units,
                                                overdue_only, ctx.now)
        return [follow_up_from_file(file, ctx.scope) for file in found]


@strawberry.input
class RecordRecheckInput:
    follow_up_id: strawberry.ID
    note: str = text(limits.CHECK_NOTE)


@strawberry.input
class RecordRetrainingInput:
    follow_up_id: strawberry.ID
    course: str = text(limits.COURSE)
    started_on: date
    completed_on: date | None = None


@strawberry.input
class GrantAwardInput:
    cadre_id: strawberry.ID
    title: str = text(limits.AWARD_TITLE)
    year: int


@strawberry.input
class RecordUnitEvaluationInput:
    unit_id: strawberry.ID
    year: int
    grade: Grade


@strawberry.type
class RecordRecheckPayload:
    follow_up: FollowUp | None


@strawberry.type
class RecordRetrainingPayload:
    follow_up: FollowUp | None


@strawberry.type
class GrantAwardPayload:
    award: Award | None


@strawberry.type
class RecordUnitEvaluationPayload:
    unit_evaluation: UnitEvaluation | None


@strawberry.type
class FollowUpMutation:
    @strawberry.mutation(description="定期复检 — record a re-check; the next one falls due later.")
    async def record_recheck(self, info: strawberry.Info,
                             input: RecordRecheckInput) -> RecordRecheckPayload:
        ctx = info.context
        follow_up_id = await followups.record_recheck(
            ctx.uow, ctx.scope, decode_id(input.follow_up_id, "followUpId"), input.note,
            ctx.now, recheck_months=ctx.settings.followup_recheck_months)
        return RecordRecheckPayload(follow_up=await _follow_up(info, follow_up_id))

    @strawberry.mutation(description="回炉重造 — record retraining in a follow-up file.")
    async def record_retraining(self, info: strawberry.Info,
                                input: RecordRetrainingInput) -> RecordRetrainingPayload:
        ctx = info.context
        follow_up_id = await followups.record_retraining(
            ctx.uow, ctx.scope, decode_id(input.follow_up_id, "followUpId"), input.course,
            input.started_on, input.completed_on, ctx.now)
        return RecordRetrainingPayload(follow_up=await _follow_up(info, follow_up_id))

    @strawberry.mutation(description="表彰 — recognise a cadre; awards raise promotion priority.")
    async def grant_award(self, info: strawberry.Info,
                          input: GrantAwardInput) -> GrantAwardPayload:
        ctx = info.context
        written = await awards.grant_award(ctx.uow, ctx.scope,
                                           decode_id(input.cadre_id, "cadreId"), input.title,
                                           input.year, ctx.now)
        return GrantAwardPayload(
            award=award_from_row(written.record, ctx.scope.readable(written.grants)))

    @strawberry.mutation(description="单位年度考核 — record a unit's own annual grade.")
    async def record_unit_evaluation(self, info: strawberry.Info,
                                     input: RecordUnitEvaluationInput
                                     ) -> RecordUnitEvaluationPayload:
        ctx = info.context
        written = await awards.record_unit_evaluation(
            ctx.uow, ctx.scope, decode_id(input.unit_id, "unitId"), input.year, input.grade,
            ctx.now)
        return RecordUnitEvaluationPayload(unit_evaluation=unit_evaluation_from_row(
            written.record, ctx.scope.readable(written.grants)))
