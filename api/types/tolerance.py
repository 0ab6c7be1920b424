"""Fault tolerance (容错纠错) and the cadre's statements as GraphQL types.

Every field of `FaultToleranceReview` and `FindingStatement` but ``id`` is guarded by policy;
the tolerance lists are reference data, readable by every caller.
"""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

import api.types.enums  # noqa: F401 - the shared enums register first
from api.types.cadres import Allowed
from authz.scope import Scope
from domain.enums import CHINESE, ReviewOutcome, ToleranceListKind

_DESCRIPTIONS: dict[type[Enum], str] = {
    ReviewOutcome: "容错纠错结论 — outcome of a fault-tolerance review",
    ToleranceListKind: "容错纠错清单 — positive (excusable) or negative (never excused) list",
}

for _cls, _description in _DESCRIPTIONS.items():
    # Registered here unless the shared enum module already did, so the schema names each once.
    if not hasattr(_cls, "__strawberry_definition__"):
        strawberry.enum(_cls, description=_description)
        for _value in _cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
            _value.description = CHINESE[_cls(_value.value)]


@strawberry.type(description="容错纠错清单事项 — an item of the positive or negative list.")
class ToleranceItem:
    code: str
    kind: ToleranceListKind
    title: str
    gloss: str | None = None
    active: bool | None = strawberry.field(
        default=None, description="False once the department has withdrawn the item.")


@strawberry.type(description="容错纠错 — whether a confirmed finding is excused (三个区分开来).")
class FaultToleranceReview:
    id: strawberry.ID
    finding_id: strawberry.ID | None
    outcome: ReviewOutcome | None = strawberry.field(
        description="EXCUSED — 免责, MITIGATED — 从轻减轻, NOT_EXCUSED — 不予容错")
    item: ToleranceItem | None = strawberry.field(
        description="The list item the outcome rests on; may be absent when NOT_EXCUSED.")
    reasoning: str | None
    reviewed_at: datetime | None
    allowed: Allowed


@strawberry.type(description="陈述 — the cadre's own account of a finding against him.")
class FindingStatement:
    id: strawberry.ID
    finding_id: strawberry.ID | None
    text: str | None
    submitted_at: datetime | None
    allowed: Allowed


def tolerance_item_from_row(row: Any) -> ToleranceItem:
    return ToleranceItem(code=row.code, kind=row.kind, title=row.title, gloss=row.gloss,
                         active=row.active)


def review_from_row(row: Any, scope: Scope) -> FaultToleranceReview:
    """A review from ``(FaultToleranceReview, ToleranceItem | None, unit_id, cadre_id)``."""
    return review_type(row[0], row[1],
                       scope.readable(scope.cadre_grants(row.unit_id, row.cadre_id)))


def review_type(review: Any, item: Any, allowed: frozenset[str]) -> FaultToleranceReview:
    """A review from its row and the row of the item it cites (or None)."""
    return FaultToleranceReview(
        id=strawberry.ID(str(review.id)), finding_id=strawberry.ID(str(review.finding_id)),
        outcome=review.outcome, item=tolerance_item_from_row(item) if item else None,
        reasoning=review.reasoning, reviewed_at=review.reviewed_at, allowed=allowed)


def statement_from_row(row: Any, scope: Scope) -> FindingStatement:
    """A statement from ``(FindingStatement, unit_id, cadre_id)``."""
    return statement_type(row[0], scope.readable(scope.cadre_grants(row.unit_id, row.cadre_id)))


def statement_type(statement: Any, allowed: frozenset[str]) -> FindingStatement:
    return FindingStatement(
        id=strawberry.ID(str(statement.id)),
        finding_id=strawberry.ID(str(statement.finding_id)), text=statement.text,
        submitted_at=statement.submitted_at, allowed=allowed)
