"""Adjustment cases and their appeals, as the workflows read and write them (the case view
the API reads is `db.queries.cases`)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AdjustmentCase, Appeal, Cadre, Finding, FollowUp
from domain.enums import CaseStage, FindingStatus


async def list_confirmed_findings(session: AsyncSession, cadre_id: int,
                                  finding_ids: Sequence[int]) -> set[int]:
    """Those of ``finding_ids`` that are confirmed findings against the cadre."""
    return set(await session.scalars(
        select(Finding.id).where(Finding.id.in_(finding_ids), Finding.cadre_id == cadre_id,
                                 Finding.status == FindingStatus.CONFIRMED)))


async def get_open_case_id(session: AsyncSession, cadre_id: int) -> int | None:
    """The id of the cadre's case not yet closed, if any."""
    return await session.scalar(
        select(AdjustmentCase.id).where(AdjustmentCase.cadre_id == cadre_id,
                                        AdjustmentCase.stage != CaseStage.CLOSED))


async def keep_previous_post(session: AsyncSession, case_id: int, cadre: Any) -> None:
    """Keep on the case the post the cadre holds before the decision is carried out."""
    await session.execute(
        update(AdjustmentCase).where(AdjustmentCase.id == case_id)
        .values(previous_unit_id=cadre.unit_id, previous_position=cadre.position,
                previous_rank=cadre.rank, previous_status=cadre.status))


async def get_appeal(session: AsyncSession, appeal_id: int,
                     visible: ColumnElement[bool]) -> Appeal | None:
    """The appeal if its case's cadre satisfies ``visible`` (the caller's row filter)."""
    return await session.scalar(
        select(Appeal).join(AdjustmentCase, AdjustmentCase.id == Appeal.case_id)
        .join(Cadre, Cadre.id == AdjustmentCase.cadre_id)
        .where(Appeal.id == appeal_id, visible))


async def close_follow_ups(session: AsyncSession, case_id: int, now: datetime) -> None:
    await session.execute(update(FollowUp).where(FollowUp.case_id == case_id)
                          .values(closed_at=now))


def case_view(values: Any, cadre_unit_id: int) -> SimpleNamespace:
    """A case as the case reads give it (`db.queries.cases.CASE_COLUMNS`), from a row or a
    mapping of the columns written (those not given are None)."""
    get = values.get if isinstance(values, Mapping) else (lambda name: getattr(values, name))
    return SimpleNamespace(**{column.name: get(column.name)
                              for column in AdjustmentCase.__table__.c},
                           cadre_unit_id=cadre_unit_id)
