"""Reads of adjustment cases, their steps and appeals, under a row filter from authz."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AdjustmentCase, Appeal, Cadre, CaseFinding, CaseStep, User
from db.queries import fetch_all
from domain.enums import AppealStatus, CaseStage

CASE_COLUMNS = (*AdjustmentCase.__table__.c, Cadre.unit_id.label("cadre_unit_id"))
LIMIT = 200


async def list_cases(session: AsyncSession, visible: ColumnElement[bool], *,
                     unit_ids: frozenset[int] | None = None, stage: CaseStage | None = None,
                     cadre_id: int | None = None, case_id: int | None = None) -> Sequence[Row]:
    """Cases the caller may see, newest first (at most 200)."""
    query = (select(*CASE_COLUMNS).join(Cadre, Cadre.id == AdjustmentCase.cadre_id)
             .where(visible))
    if unit_ids is not None:
        query = query.where(Cadre.unit_id.in_(sorted(unit_ids)))
    if stage is not None:
        query = query.where(AdjustmentCase.stage == stage)
    if cadre_id is not None:
        query = query.where(AdjustmentCase.cadre_id == cadre_id)
    if case_id is not None:
        query = query.where(AdjustmentCase.id == case_id)
    return await fetch_all(session, query.order_by(AdjustmentCase.id.desc()).limit(LIMIT))


async def steps_of(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[Row]]:
    rows = await fetch_all(session, select(*CaseStep.__table__.c, User.username)
                           .join(User, User.id == CaseStep.actor_id)
                           .where(CaseStep.case_id.in_(case_ids))
                           .order_by(CaseStep.case_id, CaseStep.id))
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.case_id].append(row)
    return grouped


async def findings_of(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = await fetch_all(session, select(CaseFinding.case_id, CaseFinding.finding_id)
                           .where(CaseFinding.case_id.in_(case_ids))
                           .order_by(CaseFinding.finding_id))
    grouped: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        grouped[row.case_id].append(row.finding_id)
    return grouped


async def appeals_of(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, Row]:
    rows = await fetch_all(session, select(*Appeal.__table__.c)
                           .where(Appeal.case_id.in_(case_ids)))
    return {row.case_id: row for row in rows}


async def overdue_case_ids(session: AsyncSession, visible: ColumnElement[bool],
                           now: datetime) -> list[int]:
    """Cases whose accepted appeal is past its decision date."""
    rows = await fetch_all(session, select(Appeal.case_id)
                           .join(AdjustmentCase, AdjustmentCase.id == Appeal.case_id)
                           .join(Cadre, Cadre.id == AdjustmentCase.cadre_id)
                           .where(visible, Appeal.status == AppealStatus.ACCEPTED,
                                  Appeal.due_at < now)
                           .order_by(Appeal.due_at))
    return [row.case_id for row in rows]
