"""Reads of user accounts and their role holdings."""

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PolicyState, RoleAssignment, User
from domain.enums import Role
from domain.principal import Holding, Principal

_PRINCIPAL = (select(User.id, User.username, User.cadre_id, RoleAssignment.role,
                     RoleAssignment.unit_id)
              .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
              .where(User.username == bindparam("username"), User.active.is_(True))
              .order_by(RoleAssignment.id))


# The policy version rides along: the request needs it when the policy channel is not
# trusted, and this statement is its first.
POLICY_VERSION = (select(PolicyState.version).where(PolicyState.id == 1)
                   .scalar_subquery().label("policy_version"))
_PRINCIPAL_OF_TOKEN = (select(User.id, User.username, User.cadre_id, User.roles_version,
                              POLICY_VERSION, RoleAssignment.role, RoleAssignment.unit_id)
                       .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
                       .where(User.id == bindparam("user_id"), User.active.is_(True),
                              User.token_generation == bindparam("generation"))
                       .order_by(RoleAssignment.id))


async def principal(session: AsyncSession, username: str) -> Principal | None:
    """The active user ``username`` with his holdings, in one statement; None if unknown."""
    connection = await session.connection()
    rows = (await connection.execute(_PRINCIPAL, {"username": username})).all()
    return _principal(rows)


async def principal_of_token(session: AsyncSession, user_id: int,
                             generation: int) -> tuple[Principal, int, int] | None:
    """The account a user token names, with his holdings, the roles version they were read
    at and the policy version, in one statement; None when the account is gone, inactive,
    or its tokens were revoked since (another generation)."""
    connection = await session.connection()
    rows = (await connection.execute(_PRINCIPAL_OF_TOKEN,
                                     {"user_id": user_id, "generation": generation})).all()
    principal = _principal(rows)
    if principal is None:
        return None
    return principal, rows[0].roles_version, rows[0].policy_version


async def token_subject(session: AsyncSession, username: str) -> tuple[int, int] | None:
    """(id, token generation) of the active account ``username``; None if there is none."""
    row = (await session.execute(select(User.id, User.token_generation)
                                 .where(User.username == username,
                                        User.active.is_(True)))).first()
    return (row.id, row.token_generation) if row else None


def _principal(rows: Sequence[Row]) -> Principal | None:
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


async def active_admins(session: AsyncSession) -> list[str]:
    """Usernames of the active accounts holding the system admin role."""
    return list(await session.scalars(
        select(User.username).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.ADMIN, User.active.is_(True)).distinct()))
