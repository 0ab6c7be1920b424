"""User accounts, as the workflows read and write them."""

from typing import Any

from sqlalchemy import Row, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import RoleAssignment, User
from domain.enums import Role


async def get_id(session: AsyncSession, username: str, *, active: bool | None = None,
                 lock: bool = False) -> int | None:
    """The id of account ``username`` (only if its ``active`` flag is as given); ``lock``
    takes its row lock."""
    query = select(User.id).where(User.username == username)
    if active is not None:
        query = query.where(User.active.is_(active))
    if lock:
        query = query.with_for_update()
    found = await session.scalar(query)
    return int(found) if found is not None else None


async def raise_token_generation(session: AsyncSession, username: str) -> Row | None:
    """Raise the account's token generation; ``(id, token_generation)`` as raised, if any."""
    result = await session.execute(
        update(User).where(User.username == username)
        .values(token_generation=User.token_generation + 1)
        .returning(User.id, User.token_generation))
    return result.first()


async def deactivate(session: AsyncSession, user_id: int) -> None:
    """Mark the account inactive and raise its token generation."""
    await session.execute(update(User).where(User.id == user_id)
                          .values(active=False, token_generation=User.token_generation + 1))


def _holding(user_id: int, role: Role, unit_id: int | None) -> Any:
    unit = (RoleAssignment.unit_id.is_(None) if unit_id is None
            else RoleAssignment.unit_id == unit_id)
    return and_(RoleAssignment.user_id == user_id, RoleAssignment.role == role, unit)


async def list_roles(session: AsyncSession, user_id: int) -> list[Role]:
    """The roles the account holds, over any unit."""
    return list(await session.scalars(select(RoleAssignment.role)
                                      .where(RoleAssignment.user_id == user_id)))


async def holds(session: AsyncSession, user_id: int, role: Role, unit_id: int | None) -> bool:
    return await session.scalar(select(RoleAssignment.id)
                                .where(_holding(user_id, role, unit_id))) is not None


async def remove_holding(session: AsyncSession, user_id: int, role: Role,
                         unit_id: int | None) -> int:
    """Withdraw the holding; the number of rows removed."""
    result = await session.execute(delete(RoleAssignment)
                                   .where(_holding(user_id, role, unit_id)))
    return int(result.rowcount)  # type: ignore[attr-defined]
