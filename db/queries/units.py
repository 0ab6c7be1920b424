"""Reads of the unit tree."""

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Unit
from db.queries import fetch_all

_ALL = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id).order_by(Unit.id)


async def list_all(session: AsyncSession) -> Sequence[Row]:
    return await fetch_all(session, _ALL)
