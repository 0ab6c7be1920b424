"""Root fields of fault tolerance (容错纠错) and of the cadre's statements on findings."""

import strawberry

from api.inputs import text
from api.resolvers.ids import decode_id
from api.types.tolerance import (
    FaultToleranceReview,
    FindingStatement,
    ToleranceItem,
    review_from_row,
    review_type,
    statement_from_row,
    statement_type,
    tolerance_item_from_row,
)
from domain import limits
from domain.enums import ReviewOutcome, ToleranceListKind
from workflows import fault_tolerance


@strawberry.input(description="A fault-tolerance review of one confirmed finding.")
class ReviewFaultToleranceInput:
    finding_id: strawberry.ID
    outcome: ReviewOutcome
    reasoning: str = text(limits.REASONING)
    item_code: str | None = text(
        limits.ITEM_CODE,
        "Code of the tolerance-list item the outcome rests on; EXCUSED and MITIGATED need "
        "an active item of the positive list.", default=None)


@strawberry.input(description="The cadre's own statement on a finding against him.")
class SubmitFindingStatementInput:
    finding_id: strawberry.ID
    text: str = text(limits.STATEMENT)


@strawberry.type
class FaultToleranceReviewPayload:
    review: FaultToleranceReview | None


@strawberry.type
class FindingStatementPayload:
    statement: FindingStatement | None


@strawberry.type
class ToleranceQuery:
    @strawberry.field(description="容错纠错清单 — the positive and negative lists, or one of them.")
    async def tolerance_list(self, info: strawberry.Info,
                             kind: ToleranceListKind | None = None) -> list[ToleranceItem]:
        rows = await fault_tolerance.tolerance_list(info.context.uow, kind)
        return [tolerance_item_from_row(row) for row in rows]

    @strawberry.field(description="The review of a finding; null when none or out of scope.")
    async def fault_tolerance_review(self, info: strawberry.Info,
                                     finding_id: strawberry.ID) -> FaultToleranceReview | None:
        ctx = info.context
        row = await fault_tolerance.read_review(ctx.uow, ctx.scope,
                                                decode_id(finding_id, "findingId"))
        return review_from_row(row, ctx.scope) if row else None

    @strawberry.field(description="The cadre's statements on a finding, oldest first.")
    async def finding_statements(self, info: strawberry.Info,
                                 finding_id: strawberry.ID) -> list[FindingStatement]:
        ctx = info.context
        rows = await fault_tolerance.list_statements(ctx.uow, ctx.scope,
                                                     decode_id(finding_id, "findingId"))
        return [statement_from_row(row, ctx.scope) for row in rows]


@strawberry.type
class ToleranceMutation:
    # Payloads are nullable, so a refused mutation answers null beside its error.
    @strawberry.mutation(description="Review whether a confirmed finding is excused "
                                     "(org department or discipline inspection).")
    async def review_fault_tolerance(self, info: strawberry.Info,
                                     input: ReviewFaultToleranceInput
                                     ) -> FaultToleranceReviewPayload | None:
        ctx = info.context
        written = await fault_tolerance.review_fault_tolerance(
            ctx.uow, ctx.scope, decode_id(input.finding_id, "findingId"), input.outcome,
            input.item_code, input.reasoning, ctx.now)
        review, item = written.record
        return FaultToleranceReviewPayload(
            review=review_type(review, item, ctx.scope.readable(written.grants)))

    @strawberry.mutation(description="Submit the cadre's own statement on a finding against him.")
    async def submit_finding_statement(self, info: strawberry.Info,
                                       input: SubmitFindingStatementInput
                                       ) -> FindingStatementPayload | None:
        ctx = info.context
        written = await fault_tolerance.submit_finding_statement(
            ctx.uow, ctx.scope, decode_id(input.finding_id, "findingId"), input.text, ctx.now)
        return FindingStatementPayload(
            statement=statement_type(written.record, ctx.scope.readable(written.grants)))
