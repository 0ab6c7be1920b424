"""Units, as the workflows look them up."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Unit, UnitEvaluation


async def exists(session: AsyncSession, unit_id: int) -> bool:
    return await session.scalar(select(Unit.id).where(Unit.id == unit_id)) is not None


async def get_id(session: AsyncSession, code: str) -> int | None:
    """The id of the unit of ``code``, if any."""
    return await session.scalar(select(Unit.id).where(Unit.code == code))


async def list_existing(session: AsyncSession, unit_ids: Sequence[int]) -> set[int]:
    """Those of ``unit_ids`` that exist."""
    return set(await session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids))))


async def has_grade(session: AsyncSession, unit_id: int, year: int) -> bool:
    """Whether the unit's own grade for ``year`` is recorded."""
    return await session.scalar(select(UnitEvaluation.id).where(
        UnitEvaluation.unit_id == unit_id, UnitEvaluation.year == year)) is not None
