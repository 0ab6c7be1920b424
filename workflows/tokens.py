"""Partner tokens and persisted operations, administered by the system administrator.

Each change commits once, with its audit event; the secret of a token is returned to
the caller once and stored only as a hash (`authz.tokens.hash_secret`).
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from authz import tokens
from authz.scope import Scope
from db.models import PartnerToken, PersistedOperation, TokenOperation
from db.queries import tokens as token_queries
from db.repositories import tokens as token_repository
from db.repositories import units
from db.repositories.records import flush_unique
from db.uow import UnitOfWork
from domain import limits
from domain.budgets import check_limits
from domain.errors import Conflict, InvalidInput, NotFound

#: Why a partner with the given scopes may not run an operation's text (None: he may).
OperationCheck = Callable[[str, frozenset[str]], str | None]
#: Why an operation's text is not valid against the schema (None: it is).
SchemaCheck = Callable[[str], str | None]

TOKEN_FIELDS = ["name", "agency", "scopes", "unit_ids", "include_subunits", "expires_at",
                "operations"]
MAX_TEXT, MAX_QUERY, MAX_ITEMS = limits.TOKEN_NAME, limits.OPERATION_TEXT, limits.LIST_ITEMS


def _text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise InvalidInput(f"Give {field} in 1 to {limit} characters.", field=field)
    return text


async def issue_partner_token(uow: UnitOfWork, scope: Scope, *, name: str, agency: str,
                              scopes: Sequence[str], unit_ids: Sequence[int],
                              include_subunits: bool, expires_at: datetime,
                              operations: Sequence[str], check: OperationCheck,
                              now: datetime,
                              budget: Mapping[str, int | None] | None = None) -> tuple[int, str]:
    """Issue a token for a partner agency; returns its id and its secret (shown once).

    Raises:
        Forbidden: the caller is not the system administrator.
        InvalidInput: a bad name, agency, scope, expiry, operation or budget limit (named
            in ``field``).
        NotFound: a unit or an operation does not exist.
        Conflict: a token of that name exists.
    """
    uow.authorize(scope, scope.global_grants, TOKEN_FIELDS)
    uow.authorize(scope, scope.global_grants, ["budget"], audited=False)
    name, agency = _text(name, "name"), _text(agency, "agency")
    granted = tokens.check_scopes(scopes)
    tokens.check_expiry(expires_at, now)
    limits = check_limits(budget or {})
    units = await _existing_units(uow, unit_ids)
    hashes = await checked_operations(uow, operations, granted, check)
    if await token_repository.name_taken(uow.session, name):
        raise Conflict("A token of that name exists.", field="name")
    secret = tokens.new_secret()
    token = PartnerToken(name=name, agency=agency, secret_hash=tokens.hash_secret(secret),
                         scopes=sorted(granted), unit_ids=units,
                         include_subunits=include_subunits, expires_at=expires_at,
                         created_by=scope.principal.user_id, created_at=now,
                         budget=limits or None)
    uow.session.add(token)
    await flush_unique(uow.session, "A token of that name exists.", "name")
    uow.session.add_all(TokenOperation(token_id=token.id, sha256=h) for h in hashes)
    await uow.session.flush()
    if limits:
        uow.authorize(scope, scope.global_grants, ["budget"])
    await uow.complete([token.id], at=now)
    return token.id, secret


async def revoke_partner_token(uow: UnitOfWork, scope: Scope, token_id: int,
                               now: datetime) -> int:
    """Revoke a token; the next request presenting it is refused, on every server.

    Raises:
        NotFound: no such token. Conflict: it is revoked already.
    """
    uow.authorize(scope, scope.global_grants, ["revoked_at"])
    await _token(uow, token_id)
    if not await token_repository.revoke(uow.session, token_id, now):
        raise Conflict("The token is revoked already.", field="id")
    await uow.complete([token_id], at=now)
    return token_id


async def register_persisted_operation(uow: UnitOfWork, scope: Scope, *, name: str,
                                       query: str, check: SchemaCheck, now: datetime) -> str:
    """Register an operation partners may be allowed to run; returns its SHA-256 hash.

    Raises:
        InvalidInput: a bad name, or text that does not parse or validate (field ``query``).
        Conflict: the same text is registered already.
    """
    uow.authorize(scope, scope.global_grants, ["name", "query"])
    name = _text(name, "name")
    if not query.strip() or len(query) > MAX_QUERY:
        raise InvalidInput(f"Give the operation in 1 to {MAX_QUERY} characters.", field="query")
    problem = check(query)
    if problem is not None:
        raise InvalidInput(problem, field="query")
    sha256 = tokens.operation_hash(query)
    clash = "This operation is registered already."
    if await uow.session.get(PersistedOperation, sha256) is not None:
        raise Conflict(clash, field="query")
    uow.session.add(PersistedOperation(sha256=sha256, name=name, query=query,
                                       created_by=scope.principal.user_id, created_at=now))
    await flush_unique(uow.session, clash, "query")
    # The trail holds integer record ids; the operation is named by its fields instead.
    await uow.complete([], at=now)
    return sha256


async def allow_partner_operations(uow: UnitOfWork, scope: Scope, token_id: int,
                                   hashes: Sequence[str], check: OperationCheck,
                                   now: datetime) -> int:
    """Let a token run more persisted operations (those it may run already stay).

    Raises:
        NotFound: no such token, or an unregistered operation.
        InvalidInput: an operation reads outside the token's scopes or is not a query.
        Conflict: the token is revoked.
    """
    uow.authorize(scope, scope.global_grants, ["operations"])
    token = await _token(uow, token_id, "tokenId")
    if token.revoked_at is not None:
        raise Conflict("The token is revoked.", field="tokenId")
    wanted = await checked_operations(uow, hashes, frozenset(token.scopes), check,
                                       field="hashes")
    held = await token_queries.assigned_hashes(uow.session, token_id)
    uow.session.add_all(TokenOperation(token_id=token_id, sha256=h)
                        for h in wanted if h not in held)
    await flush_unique(uow.session, "The operations changed meanwhile; try again.", "hashes")
    await uow.complete([token_id], at=now)
    return token_id


async def set_partner_token_budget(uow: UnitOfWork, scope: Scope, token_id: int,
                                   budget: Mapping[str, int | None] | None,
                                   now: datetime) -> int:
    """Give a token its own operation limits, replacing those it had (none: the partner
    defaults apply again); the next request with the token meets them, on every server.

    Raises:
        NotFound: no such token.
        InvalidInput: an unknown measure or a limit below its minimum (``budget.<measure>``).
    """
    uow.authorize(scope, scope.global_grants, ["budget"])
    token = await _token(uow, token_id, "tokenId")
    token.budget = check_limits(budget or {}) or None
    await uow.complete([token_id], at=now)
    return token_id


async def _token(uow: UnitOfWork, token_id: int, field: str = "id") -> PartnerToken:
    token = await uow.session.get(PartnerToken, token_id)
    if token is None:
        raise NotFound(f"No partner token with id {token_id}.", field=field)
    return token


async def _existing_units(uow: UnitOfWork, unit_ids: Sequence[int]) -> list[int]:
    wanted = sorted(set(unit_ids))
    if not wanted or len(wanted) > MAX_ITEMS:
        raise InvalidInput(f"Give 1 to {MAX_ITEMS} units.", field="unitIds")
    found = await units.list_existing(uow.session, wanted)
    missing = [u for u in wanted if u not in found]
    if missing:
        raise NotFound(f"No unit with id {missing[0]}.", field="unitIds")
    return wanted


async def checked_operations(uow: UnitOfWork, hashes: Sequence[str], scopes: frozenset[str],
                              check: OperationCheck, field: str = "operations") -> list[str]:
    """The registered operations ``hashes``, each one a partner with ``scopes`` may run."""
    wanted = sorted({h.strip().lower() for h in hashes})
    if not wanted:
        return []
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput(f"Give at most {MAX_ITEMS} operations.", field=field)
    malformed = [h for h in wanted if not tokens.is_operation_hash(h)]
    if malformed:
        raise InvalidInput(f"'{malformed[0]}' is not a SHA-256 or SHA-1 hash.", field=field)
    registered = {op.sha256: op for op in await token_queries.list_operations(uow.session,
                                                                              wanted)}
    for sha256 in wanted:
        operation = registered.get(sha256)
        if operation is None:
            raise NotFound(f"No registered operation with hash {sha256}.", field=field)
        problem = check(operation.query, scopes)
        if problem is not None:
            raise InvalidInput(f"Operation '{operation.name}': {problem}", field=field)
    return wanted
