"""What `cadre token issue-partner`, `cadre partner register-operations` and
`cadre export-schema --scopes/--role` do."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from graphql import print_schema
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.partner_schema import partner_schema, partner_view, schema_problem
from api.schema import build_schema
from api.schema_views import filter_schema, readable_view, role_readable
from api.user_cli import acting_admin
from api.writes import WRITES
from authz import tokens
from authz.compiled import CompiledPolicy, compile_policy
from authz.policy import memory_enforcer
from authz.scope import Scope, UnitTree
from db.engine import create_engine, create_sessionmaker
from db.models import PartnerToken, Unit
from db.policy_store import load_enforcer, policy_version
from db.uow import UnitOfWork
from domain.enums import Role
from domain.errors import InvalidInput, NotFound
from workflows import manifests
from workflows import tokens as token_flows


async def issue_partner(database_url: str, *, name: str, agency: str, scopes: Sequence[str],
                        unit_codes: Sequence[str], include_subunits: bool, days: int,
                        operations: Sequence[str], by: str | None) -> str:
    """Issue a partner token as the admin ``by`` (the only admin when None); its secret.

    Raises:
        DomainError: the workflow's refusals, an unknown unit code or admin account.
    """
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as uow:
            admin = await acting_admin(uow.session, by)
            unit_ids = await _unit_ids(uow.session, unit_codes)
            version = await policy_version(uow.session)
            policy = compile_policy(await load_enforcer(engine), version)
            schema = build_schema()
            now = datetime.now(UTC)

            def check(query: str, granted: frozenset[str]) -> str | None:
                view = partner_schema(schema, policy, granted)
                return view.vet(tokens.operation_hash(query), query)

            uow.declare(WRITES["issuePartnerToken"])
            _, secret = await token_flows.issue_partner_token(
                uow, Scope(admin, UnitTree([]), policy), name=name, agency=agency,
                scopes=scopes, unit_ids=unit_ids, include_subunits=include_subunits,
                expires_at=now + timedelta(days=days), operations=operations, check=check,
                now=now)
            return secret
    finally:
        await engine.dispose()


async def register_operations(database_url: str, *, manifest: str, token_name: str | None,
                              by: str | None) -> list[str]:
    """Register a manifest's operations as the admin ``by`` (the only admin when None), and
    let the partner token ``token_name`` run them; the ids registered.

    Raises:
        DomainError: the workflow's refusals, an unknown token or admin account.
    """
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as uow:
            admin = await acting_admin(uow.session, by)
            token_id = None
            if token_name is not None:
                token_id = await uow.session.scalar(
                    select(PartnerToken.id).where(PartnerToken.name == token_name))
                if token_id is None:
                    raise NotFound(f"No partner token named {token_name}.", field="token")
            version = await policy_version(uow.session)
            policy = compile_policy(await load_enforcer(engine), version)
            schema = build_schema()

            def check(query: str, granted: frozenset[str]) -> str | None:
                view = partner_schema(schema, policy, granted)
                return view.vet(tokens.operation_hash(query), query)

            uow.declare(WRITES["registerPersistedOperations"])
            return await manifests.register_manifest(
                uow, Scope(admin, UnitTree([]), policy), manifest=manifest,
                check=lambda query: schema_problem(schema._schema, query), token_id=token_id,
                check_for_token=check, now=datetime.now(UTC))
    finally:
        await engine.dispose()


async def _unit_ids(session: AsyncSession, codes: Sequence[str]) -> list[int]:
    found = dict((await session.execute(
        select(Unit.code, Unit.id).where(Unit.code.in_(list(codes))))).all())
    for code in codes:
        if code not in found:
            raise NotFound(f"No unit with code {code}.", field="unit")
    return [found[code] for code in codes]


def view_sdl(*, scopes: str | None = None, role: str | None = None) -> str:
    """The SDL of the default policy's view for partner ``scopes`` (comma-separated) or for
    a user ``role``: the types and fields it can ever read.

    Raises:
        InvalidInput: unknown scopes or role.
    """
    policy: CompiledPolicy = compile_policy(memory_enforcer(), 1)
    full = build_schema(guarded=False)._schema
    if scopes is not None:
        granted = tokens.check_scopes(s for s in scopes.split(",") if s.strip())
        view = partner_view(full, policy, granted)
    else:
        roles = sorted(r.value for r in Role)
        if role not in roles:
            raise InvalidInput(f"Unknown role '{role}'; the roles are {', '.join(roles)}.",
                               field="role")
        view = filter_schema(full, readable_view(role_readable(policy, role), policy.fields),
                             roots=None, mutations=True)
    return print_schema(view) + "\n"
