"""Fault-tolerance reviews, the cadre's statements and the tolerance lists.

Rows of reviews and statements carry their cadre's unit and id, so that the API can
compute the caller's grants on each.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import Scope
from db.models import Cadre, FaultToleranceReview, Finding, FindingStatement, ToleranceItem
from domain.enums import ToleranceListKind


async def is_reviewed(session: AsyncSession, finding_id: int) -> bool:
    return await session.scalar(select(FaultToleranceReview.id)
                                .where(FaultToleranceReview.finding_id == finding_id)) is not None


async def list_items(session: AsyncSession, kind: ToleranceListKind | None) -> Sequence[Any]:
    """Items of the positive and negative lists (withdrawn ones included), by kind and code."""
    # Kinds are stored as text: descending puts POSITIVE before NEGATIVE.
    query = select(ToleranceItem).order_by(ToleranceItem.kind.desc(), ToleranceItem.code)
    if kind is not None:
        query = query.where(ToleranceItem.kind == kind)
    return (await session.scalars(query)).all()


async def get_review(session: AsyncSession, scope: Scope, finding_id: int) -> Row | None:
    """The review of a finding with its cited item, if the caller may read it."""
    query = (
        select(FaultToleranceReview, ToleranceItem, Cadre.unit_id, Cadre.id.label("cadre_id"))
        .join(Finding, Finding.id == FaultToleranceReview.finding_id)
        .join(Cadre, Cadre.id == Finding.cadre_id)
        .outerjoin(ToleranceItem, ToleranceItem.code == FaultToleranceReview.item_code)
        .where(FaultToleranceReview.finding_id == finding_id,
               scope.rows("FaultToleranceReview", Cadre.unit_id, Cadre.id)))
    return (await session.execute(query)).first()


async def list_statements(session: AsyncSession, scope: Scope,
                          finding_id: int) -> Sequence[Row]:
    """Statements on a finding the caller may read, oldest first."""
    query = (
        select(FindingStatement, Cadre.unit_id, Cadre.id.label("cadre_id"))
        .join(Finding, Finding.id == FindingStatement.finding_id)
        .join(Cadre, Cadre.id == Finding.cadre_id)
        .where(FindingStatement.finding_id == finding_id,
               scope.rows("FindingStatement", Cadre.unit_id, Cadre.id))
        .order_by(FindingStatement.submitted_at, FindingStatement.id))
    return (await session.execute(query)).all()
