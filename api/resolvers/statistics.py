"""Root fields of statistics under policy (counts grouped in SQL, `db.queries.statistics`)."""

from typing import Annotated

import strawberry

from api.resolvers.queries import CadreFilter, criteria_of
from api.types import statistics as types
from api.types.statistics import CadreDimension, CaseDimension, FindingDimension
from db.queries import statistics

GROUP_BY = ("At most 4 dimensions, each once; each must be a field the caller may read "
            "(FORBIDDEN otherwise). No dimension: one cell with the total.")


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="Cadres, or their evaluations, counted by the dimensions "
                                  "given, over the cadres the caller may see. Partner tokens "
                                  "need a statistics scope; small cells are suppressed.")
    async def cadre_statistics(
            self, info: strawberry.Info,
            group_by: Annotated[list[CadreDimension], strawberry.argument(description=GROUP_BY)],
            filter: CadreFilter | None = None) -> types.CadreStatistics:
        ctx = info.context
        report = await statistics.cadre_statistics(
            ctx.uow.session, ctx.scope, criteria_of(info, filter), [d.value for d in group_by],
            ctx.settings.statistics_min_group_size)
        return types.cadre_statistics(report, ctx.units)

    @strawberry.field(description="Negative-list findings counted by the dimensions given.")
    async def finding_statistics(
            self, info: strawberry.Info,
            group_by: Annotated[list[FindingDimension], strawberry.argument(description=GROUP_BY)],
            filter: CadreFilter | None = None) -> types.FindingStatistics:
        ctx = info.context
        report = await statistics.finding_statistics(
            ctx.uow.session, ctx.scope, criteria_of(info, filter), [d.value for d in group_by],
            ctx.settings.statistics_min_group_size)
        return types.finding_statistics(report, ctx.units)

    @strawberry.field(description="Adjustment cases counted by the dimensions given.")
    async def case_statistics(
            self, info: strawberry.Info,
            group_by: Annotated[list[CaseDimension], strawberry.argument(description=GROUP_BY)],
            filter: CadreFilter | None = None) -> types.CaseStatistics:
        ctx = info.context
        report = await statistics.case_statistics(
            ctx.uow.session, ctx.scope, criteria_of(info, filter), [d.value for d in group_by],
            ctx.settings.statistics_min_group_size)
        return types.case_statistics(report, ctx.units)

    @strawberry.field(description="Follow-up files by unit, with those overdue for a re-check.")
    async def follow_up_statistics(self, info: strawberry.Info,
                                   filter: CadreFilter | None = None
                                   ) -> types.FollowUpStatistics:
        ctx = info.context
        report = await statistics.follow_up_statistics(
            ctx.uow.session, ctx.scope, criteria_of(info, filter),
            ctx.settings.statistics_min_group_size, ctx.now)
        return types.follow_up_statistics(report, ctx.units)
