"""Cadres, as the workflows read and write them."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cadre


async def holder_of(session: AsyncSession, id_number: str) -> int | None:
    """The id of the cadre holding ``id_number``, whoever may see him."""
    return await session.scalar(select(Cadre.id).where(Cadre.id_number == id_number))
