"""Fault-tolerance reviews of confirmed findings (容错纠错) and the cadre's statements on them.

Reviews are written by the organization department or discipline inspection in their
jurisdiction; statements by the cadre himself. Both are authorized by policy on the finding's
cadre, and a finding under a cadre the caller may not see answers exactly like a missing one.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from authz.compiled import Grant
from authz.scope import Scope
from db.models import FaultToleranceReview, Finding, FindingStatement, ToleranceItem
from db.repositories import tolerance
from db.repositories.records import flush_unique, visible_record
from db.uow import UnitOfWork
from domain import fault_tolerance as rules
from domain import ids
from domain.enums import ReviewOutcome, ToleranceListKind
from domain.errors import NotFound
from workflows.records import Written

REVIEW_FIELDS = ["outcome", "item_code", "reasoning"]
STATEMENT_FIELDS = ["text"]


async def _visible_finding(uow: UnitOfWork, scope: Scope,
                           finding_id: int) -> tuple[Finding, frozenset[Grant]]:
    """The finding and the caller's grants on its cadre; NOT_FOUND when either is hidden."""
    missing = f"No finding with id {finding_id}."
    if not ids.in_range(finding_id):
        raise NotFound(missing, field="findingId")
    finding, cadre = await visible_record(uow.session, scope, Finding, finding_id, "finding",
                                          field="findingId")
    return finding, scope.cadre_grants(cadre.unit_id, cadre.id)


async def _cited_item(uow: UnitOfWork, item_code: str | None) -> ToleranceItem | None:
    code = (item_code or "").strip()
    if not code:
        return None
    item = await uow.session.get(ToleranceItem, code)
    if item is None:
        raise NotFound(f"No tolerance-list item {code}.", field="itemCode")
    return item


async def review_fault_tolerance(uow: UnitOfWork, scope: Scope, finding_id: int,
                                 outcome: ReviewOutcome, item_code: str | None, reasoning: str,
                                 now: datetime) -> Written[tuple[FaultToleranceReview,
                                                                 ToleranceItem | None]]:
    """Decide whether a confirmed finding is excused (三个区分开来).

    Returns the review written and the item it cites.

    Args:
        uow: the unit of work; committed once, on success only.
        scope: the caller's scope.
        finding_id: the confirmed finding reviewed.
        outcome: EXCUSED, MITIGATED or NOT_EXCUSED.
        item_code: the tolerance-list item the outcome rests on (required unless NOT_EXCUSED).
        reasoning: why; trimmed, required.
        now: the time of the review (UTC).

    Raises:
        NotFound: the finding is missing or out of scope, or the item is unknown.
        Forbidden: the caller may not write reviews on this cadre.
        Conflict: the finding is not confirmed, or was reviewed before.
        InvalidInput: the reasoning or the cited item does not satisfy the rules.
    """
    text = rules.check_reasoning(reasoning)
    finding, grants = await _visible_finding(uow, scope, finding_id)
    uow.authorize(scope, grants, REVIEW_FIELDS)
    rules.check_reviewable(finding.status,
                           await tolerance.is_reviewed(uow.session, finding.id))
    row = await _cited_item(uow, item_code)
    item = rules.CitedItem(code=row.code, kind=row.kind, active=row.active) if row else None
    rules.check_citation(outcome, item)
    review = FaultToleranceReview(
        finding_id=finding.id, outcome=outcome, item_code=item.code if item else None,
        reasoning=text, reviewer_id=scope.principal.user_id, reviewed_at=now)
    uow.session.add(review)
    # The unique finding_id settles a race between two reviewers: the second gets CONFLICT.
    await flush_unique(uow.session, "This finding has already been reviewed.", "findingId")
    await uow.complete([review.id, finding.id], at=now)
    return Written((review, row), grants)


async def submit_finding_statement(uow: UnitOfWork, scope: Scope, finding_id: int, text: str,
                                   now: datetime) -> Written[FindingStatement]:
    """The cadre gives his own account of a finding against him; returns the statement.

    Several statements on one finding are allowed; each is kept.

    Raises:
        NotFound: the finding is missing or concerns a cadre the caller may not see.
        Forbidden: the caller is not the cadre the finding concerns.
        InvalidInput: the text is empty or too long.
    """
    body = rules.check_statement_text(text)
    finding, grants = await _visible_finding(uow, scope, finding_id)
    uow.authorize(scope, grants, STATEMENT_FIELDS)
    rules.check_statement_author(scope.own_cadre_id, finding.cadre_id)
    statement = FindingStatement(finding_id=finding.id, author_id=scope.principal.user_id,
                                 text=body, submitted_at=now)
    uow.session.add(statement)
    await uow.session.flush()
    await uow.complete([statement.id, finding.id], at=now)
    return Written(statement, grants)


# --- reads -----------------------------------------------------------------------------------
# Rows carry the cadre's unit and id so the API can compute the caller's grants on each.

async def tolerance_list(uow: UnitOfWork, kind: ToleranceListKind | None) -> Sequence[Any]:
    """Items of the positive and negative lists (withdrawn ones included), by kind and code."""
    return await tolerance.list_items(uow.session, kind)


async def read_review(uow: UnitOfWork, scope: Scope, finding_id: int) -> Any:
    """The review of a finding with its cited item, if the caller may read it."""
    if not ids.in_range(finding_id):
        return None
    return await tolerance.get_review(uow.session, scope, finding_id)


async def list_statements(uow: UnitOfWork, scope: Scope, finding_id: int) -> Sequence[Any]:
    """Statements on a finding the caller may read, oldest first."""
    if not ids.in_range(finding_id):
        return []
    return await tolerance.list_statements(uow.session, scope, finding_id)
