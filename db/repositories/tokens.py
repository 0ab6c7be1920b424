"""Partner tokens, as the workflows write them (the reads of the API: `db.queries.tokens`)."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PartnerToken


async def name_taken(session: AsyncSession, name: str) -> bool:
    return await session.scalar(select(PartnerToken.id)
                                .where(PartnerToken.name == name)) is not None


async def revoke(session: AsyncSession, token_id: int, now: datetime) -> bool:
    """Revoke the token unless it is revoked already; whether this call revoked it."""
    result = await session.execute(
        update(PartnerToken).where(PartnerToken.id == token_id,
                                   PartnerToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
