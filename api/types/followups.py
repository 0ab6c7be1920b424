"""Follow-up files, awards, unit grades and candidates. Every field but ``id`` is guarded."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import strawberry

from api.types.cadres import Allowed, Cadre, build_cadres
from api.types.enums import Grade
from authz.scope import Scope
from domain.promotion import Candidate as CandidateRule
from workflows.followups import FollowUpFile


@strawberry.type(description="定期复检 — a periodic re-check of a follow-up.")
class FollowUpCheck:
    checked_at: datetime
    note: str


@strawberry.type(description="回炉重造 — retraining recorded in a follow-up file.")
class Retraining:
    course: str
    started_on: date
    completed_on: date | None


@strawberry.type(description="逐人建档 — the follow-up file kept on an adjusted cadre.")
class FollowUp:
    id: strawberry.ID
    cadre_id: strawberry.ID | None
    case_id: strawberry.ID | None
    opened_at: datetime | None
    next_check_due: datetime | None = strawberry.field(
        description="When the next re-check falls due.")
    overdue: bool | None = strawberry.field(
        description="Still open and the re-check date has passed.")
    closed_at: datetime | None
    checks: list[FollowUpCheck] | None = strawberry.field(description="Re-checks, newest first.")
    retrainings: list[Retraining] | None
    allowed: Allowed


@strawberry.type(description="表彰 — recognition of a cadre, e.g. \"闯创干\"型干部.")
class Award:
    id: strawberry.ID
    cadre_id: strawberry.ID | None
    title: str | None
    year: int | None
    awarded_at: datetime | None
    allowed: Allowed


@strawberry.type(description="单位年度考核 — a unit's own annual grade.")
class UnitEvaluation:
    id: strawberry.ID
    unit_id: strawberry.ID | None
    year: int | None
    grade: Grade | None
    allowed: Allowed


@strawberry.type(description="能上 / 再上得去 — a cadre qualifying for promotion or reinstatement.")
class Candidate:
    cadre: Cadre | None
    rank: int | None = strawberry.field(description="1 is the first in priority.")
    reasons: list[str] | None = strawberry.field(
        description="What qualified him, in Chinese with the English in parentheses.")
    allowed: Allowed


def follow_up_from_file(file: FollowUpFile, scope: Scope) -> FollowUp:
    row = file.row
    return FollowUp(
        id=strawberry.ID(str(row.id)), cadre_id=strawberry.ID(str(row.cadre_id)),
        case_id=strawberry.ID(str(row.case_id)), opened_at=row.opened_at,
        next_check_due=row.next_check_due, overdue=file.overdue, closed_at=row.closed_at,
        checks=[FollowUpCheck(checked_at=c.checked_at, note=c.note) for c in file.checks],
        retrainings=[Retraining(course=r.course, started_on=r.started_on,
                                completed_on=r.completed_on) for r in file.retrainings],
        allowed=scope.readable(scope.cadre_grants(file.unit_id, row.cadre_id)))


def award_from_row(row: Any, allowed: frozenset[str]) -> Award:
    return Award(id=strawberry.ID(str(row.id)), cadre_id=strawberry.ID(str(row.cadre_id)),
                 title=row.title, year=row.year, awarded_at=row.awarded_at, allowed=allowed)


def unit_evaluation_from_row(row: Any, allowed: frozenset[str]) -> UnitEvaluation:
    return UnitEvaluation(id=strawberry.ID(str(row.id)),
                          unit_id=strawberry.ID(str(row.unit_id)), year=row.year,
                          grade=row.grade, allowed=allowed)


async def build_candidates(info: strawberry.Info, found: Sequence[tuple[Any, CandidateRule]],
                           selected: frozenset[str]) -> list[Candidate]:
    """GraphQL candidates; their cadres are built as the roster's, so field rules apply."""
    cadres = await build_cadres(info, [row for row, _ in found], selected)
    scope: Scope = info.context.scope
    return [Candidate(cadre=cadre, rank=rule.rank, reasons=list(rule.reasons),
                      allowed=scope.readable(cadre.grants))
            for cadre, (_, rule) in zip(cadres, found, strict=True)]
