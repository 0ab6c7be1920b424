"""Reads of the unit tree."""

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Unit

_COLUMNS = (Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id)


async def edges(session: AsyncSession) -> list[tuple[int, int | None]]:
    """(unit id, parent id) for every unit."""
    result = await session.execute(select(Unit.id, Unit.parent_id))
    return [(row.id, row.parent_id) for row in result]


async def list_all(session: AsyncSession) -> Sequence[Row]:
    return (await session.execute(select(*_COLUMNS).order_by(Unit.id))).all()


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Row]:
    result = await session.execute(select(*_COLUMNS).where(Unit.id.in_(ids)))
    return {row.id: row for row in result}


async def children_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {i: [] for i in ids}
    result = await session.execute(
        select(*_COLUMNS).where(Unit.parent_id.in_(ids)).order_by(Unit.id))
    for row in result:
        found[row.parent_id].append(row)
    return found
