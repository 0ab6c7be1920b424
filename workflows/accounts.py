"""User accounts, created by the system admin (through the API or the `cadre` command)."""

from datetime import datetime

from authz.scope import Scope
from db.models import User
from db.repositories import users
from db.repositories.records import flush_unique
from db.uow import UnitOfWork
from domain import duties
from domain.errors import InvalidInput, NotFound

NAME_MAX = 64


async def ensure_account(uow: UnitOfWork, scope: Scope, username: str,
                         display_name: str | None, cadre_id: int | None,
                         now: datetime) -> int:
    """The id of account ``username``, creating it (on the audit trail) when absent.

    Raises:
        Forbidden: the caller may not administer accounts.
        InvalidInput: an empty or over-long username.
        Conflict: another account was created with that name, or holds that cadre file.
    """
    uow.authorize(scope, scope.global_grants, ["username", "cadre_id"])
    name = username.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(f"A username is 1 to {NAME_MAX} characters.", field="username")
    found = await users.get_id(uow.session, name)
    if found is not None:
        return found
    user = User(username=name, display_name=display_name or name, cadre_id=cadre_id,
                active=True, created_at=now)
    uow.session.add(user)
    await flush_unique(uow.session, "An account of that name or for that cadre exists.",
                       "username")
    uow.note([user.id], at=now)
    return user.id


async def revoke_user_tokens(uow: UnitOfWork, scope: Scope, username: str,
                             now: datetime) -> int:
    """Refuse every token issued so far to ``username``, on every server from the next
    request on (each request reads the account's token generation); returns the new one.

    Raises:
        Forbidden: the caller may not administer accounts.
        NotFound: no account of that name.
    """
    uow.authorize(scope, scope.global_grants, ["token_generation"])
    row = await users.raise_token_generation(uow.session, username)
    if row is None:
        raise NotFound(f"No user {username}.", field="username")
    await uow.complete([row.id], at=now)
    return int(row.token_generation)


async def deactivate_account(uow: UnitOfWork, scope: Scope, username: str,
                             now: datetime) -> None:
    """Deactivate an account: its tokens fail from the next request on, on every server,
    and stay refused should it be activated again (its token generation rises too).

    Raises:
        Forbidden: the caller may not administer accounts, or names his own account.
        NotFound: no active account of that name.
    """
    uow.authorize(scope, scope.global_grants, ["active", "token_generation"])
    user_id = await users.get_id(uow.session, username, active=True)
    if user_id is None:
        raise NotFound(f"No active user {username}.", field="username")
    duties.check_not_own_account(scope.principal.user_id, user_id)
    await users.deactivate(uow.session, user_id)
    await uow.complete([user_id], at=now)
