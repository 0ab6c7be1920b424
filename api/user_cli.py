"""What `cadre user add` does: the same audited workflows as the API's assignRole.

The command acts as an admin account (``--by``, or the only active one). On a fresh
database, before any admin exists, it acts as the machine's operator, who has shell
access to the server anyway; every change is on the audit trail under that name.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.writes import ADD_USER, WRITES
from authz.compiled import compile_policy
from authz.scope import Scope, UnitTree
from db.engine import create_engine, create_sessionmaker
from db.policy_store import load_enforcer, policy_version
from db.queries import users as user_queries
from db.uow import UnitOfWork
from domain.enums import Role
from domain.errors import InvalidInput, NotFound
from domain.principal import Holding, Principal
from workflows import accounts
from workflows import policy as policy_workflows

#: The actor of commands run before any admin account exists (user id 0 is no account).
OPERATOR = Principal(user_id=0, username="cli:operator", holdings=(Holding(Role.ADMIN, None),))


async def add_user(database_url: str, *, username: str, role: Role, unit_code: str | None,
                   cadre_id: int | None, display_name: str | None, by: str | None) -> None:
    """Create the account if absent and let it hold ``role``, as the admin ``by``.

    Raises:
        DomainError: the workflows' refusals (own account, incompatible roles, a role
            already held, an unknown unit or admin account).
    """
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as uow:
            actor = await acting_admin(uow.session, by, OPERATOR)
            policy = compile_policy(await load_enforcer(engine),
                                    await policy_version(uow.session))
            scope = Scope(actor, UnitTree([]), policy)
            now = datetime.now(UTC)
            uow.declare(ADD_USER)
            await accounts.ensure_account(uow, scope, username, display_name, cadre_id, now)
            uow.declare(WRITES["assignRole"])
            await policy_workflows.assign_role(uow, scope, username, role, unit_code, now)
    finally:
        await engine.dispose()


async def acting_admin(session: AsyncSession, username: str | None,
                       fallback: Principal | None = None) -> Principal:
    """The admin account a command acts as: ``username``, else the only active admin, else
    ``fallback`` on a database with no admin yet (refused when there is none).

    Raises:
        InvalidInput: no username and not exactly one active admin (without a fallback).
        NotFound: ``username`` is no active admin account.
    """
    if username is None:
        names = await user_queries.active_admins(session)
        if not names and fallback is not None:
            return fallback
        if len(names) != 1:
            raise InvalidInput(f"{len(names)} active admin accounts: name the acting one "
                               "with --by.", field="by")
        username = names[0]
    principal = await user_queries.principal(session, username)
    if principal is None or not principal.holds(Role.ADMIN):
        raise NotFound(f"No active admin account {username}.", field="by")
    return principal
