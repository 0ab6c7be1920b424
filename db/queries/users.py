"""Reads of user accounts and their role holdings."""

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Holding, Principal
from db.models import RoleAssignment, User

_PRINCIPAL = (select(User.id, User.username, User.cadre_id, RoleAssignment.role,
                     RoleAssignment.unit_id)
              .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
              .where(User.username == bindparam("username"), User.active.is_(True))
              .order_by(RoleAssignment.id))


async def principal(session: AsyncSession, username: str) -> Principal | None:
    """The active user ``username`` with his holdings, in one statement; None if unknown."""
    connection = await session.connection()
    rows = (await connection.execute(_PRINCIPAL, {"username": username})).all()
    if not rows:
        return None
    first = rows[0]
    holdings = tuple(Holding(row.role, row.unit_id) for row in rows if row.role is not None)
    return Principal(user_id=first.id, username=first.username, holdings=holdings,
                     cadre_id=first.cadre_id)


async def list_all(session: AsyncSession) -> Sequence[User]:
    return (await session.execute(select(User).order_by(User.id))).scalars().all()


async def holdings_of(session: AsyncSession, user_ids: Sequence[int]) -> list[list[Row]]:
    grouped: dict[int, list[Row]] = {uid: [] for uid in user_ids}
    result = await session.execute(
        select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.unit_id)
        .where(RoleAssignment.user_id.in_(user_ids)).order_by(RoleAssignment.id))
    for row in result:
        grouped[row.user_id].append(row)
    return [grouped[uid] for uid in user_ids]
