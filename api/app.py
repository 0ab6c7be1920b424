"""The Starlette application: authentication, the GraphQL endpoint, the offline IDE.

One request to ``/graphql`` goes through, in order: CORS (only listed origins), the
security headers, the bearer token's signature, the GraphQL-over-HTTP rules and size
limits (`api.http`), the caller's account or partner token, his rate limit, then one
operation on the schema he may see, all within the request deadline. Every answer,
refusals included, is JSON with an ``extensions.code``.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.authentication import AuthenticationError
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.auth import INVALID_TOKEN, BearerTokenBackend, unauthenticated
from api.budgets import OperationTooComplex
from api.context import Context
from api.errors import present
from api.graphiql import ide_page, ide_routes
from api.guard import Denials
from api.headers import SecurityHeaders
from api.health import Health
from api.http import (
    Operation,
    Refused,
    graphql_response,
    read_operation,
    response_media_type,
    wants_ide,
)
from api.metrics import MetricsEndpoint
from api.outages import OutageMiddleware, connection_limits, outage_headers
from api.partner_schema import user_schema
from api.partners import PartnerGateway, partner_scope
from api.planned import answer_by_plan
from api.policy_sync import Freshness, PolicyService
from api.principals import Caller, Principals, Proof
from api.ratelimit import RateLimits, build_rate_limiter, rate_limited_response
from api.schema import build_schema
from api.sealing import background_sealer
from api.settings import Settings, get_settings
from api.telemetry import Telemetry, instrument_engine, note_answer, note_operation
from api.tracing import tracing_middleware
from authz import scope as authz_scope
from authz.tokens import is_operation_hash
from db.engine import create_engine, create_sessionmaker, missing_session_limits
from db.queries import tokens as token_queries
from db.uow import UnitOfWork
from domain.principal import Principal

log = logging.getLogger("cadre.app")
SHUTDOWN_STEP_SECONDS = 5
#: Root fields of introspection; an operation naming one runs on the caller's view.
_INTROSPECTION = frozenset({"__schema", "__type"})


@dataclass
class Services:
    """What the application holds between requests."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    policies: PolicyService
    rate_limits: RateLimits
    principals: Principals


class GraphQLEndpoint:
    """``/graphql``: the IDE for a browser, one operation for everyone else."""

    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.services: Services | None = None
        self.partners = PartnerGateway(schema)

    def start(self, services: Services) -> None:
        self.services = services

    def policies(self) -> PolicyService | None:
        """The policy service, once the server started."""
        return self.services.policies if self.services is not None else None

    def policy_state(self) -> tuple[int, bool] | None:
        """The enforced policy version and whether its channel is trusted (for metrics)."""
        policies = self.policies()
        if policies is None:
            return None
        return policies.loaded.compiled.version, policies.listening

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        media_type = response_media_type(request.headers.get("accept"))
        if wants_ide(request) and self.settings.ide_served:
            response: Response = HTMLResponse(ide_page(self.settings.ide_assets))
        else:
            deadline = self.settings.request_timeout_seconds
            try:
                # The operation holds the deadline off once its commit begins (api.commits):
                # a change that commits is answered as committed.
                async with asyncio.timeout(deadline) as timeout:
                    request.state.deadline = timeout
                    response = await self._answer(request, media_type)
            except TimeoutError:  # the request's log line says TIMEOUT
                response = Refused(
                    "TIMEOUT", f"The request ran longer than {deadline:g} s and was "
                               "cancelled; nothing was written.").response(media_type)
            except Refused as refusal:
                response = refusal.response(media_type)
        await response(scope, receive, send)

    async def _answer(self, request: Request, media_type: str) -> Response:
        services = self.services
        assert services is not None, "application not started"
        if not request.user.is_authenticated:
            return unauthenticated()
        operation = await read_operation(request, self.settings)
        # One transaction, committed once, by the operation, before the answer leaves.
        async with UnitOfWork(services.sessions, deferred=True) as uow:
            caller = await self._caller(request, uow)
            if caller is None:
                return unauthenticated(exc=AuthenticationError(INVALID_TOKEN))
            principal = caller.principal
            request.state.principal = principal  # also for the log line of a refusal
            key = (f"token:{principal.token_id}" if principal.is_partner
                   else f"user:{principal.username}")
            decision = await services.rate_limits.hit(key)
            if not decision.allowed:
                return rate_limited_response(decision)
            request.state.uow = uow
            document: DocumentNode | None = None
            if principal.is_partner:
                context = await self._context(request, uow, caller)
                schema, query = await self.partners.prepare(request, context.policy, operation)
                self._admit(query, operation, principal)
                context.scope = partner_scope(context.scope, principal)
                context.denials = Denials(context.scope.ever_readable())
            else:
                query = await self._query_text(uow, operation)
                try:
                    document = self._admit(query, operation, principal)
                except Refused:
                    # A refusal goes to a caller proven current, or is a 401.
                    if caller.check is not None and await services.principals.verify(
                            uow.session, request.user, caller,
                            policy_version_wanted=False) is None:
                        return unauthenticated(exc=AuthenticationError(INVALID_TOKEN))
                    raise
                if caller.check is not None and not self._proves_itself(document, operation):
                    caller = await services.principals.verify(
                        uow.session, request.user, caller,
                        policy_version_wanted=not services.policies.listening)
                    if caller is None:
                        return unauthenticated(exc=AuthenticationError(INVALID_TOKEN))
                    request.state.principal = principal = caller.principal
                context = await self._context(request, uow, caller)
                schema = self._schema_for(document, context)
            result = None
            if document is not None and schema is self.schema:
                result = await answer_by_plan(schema, document, operation.operation_name,
                                              operation.variables, context)
            if result is None:
                result = await _execute(schema, query, operation, context)
            proof = context.proof
            if proof is not None and proof.fresh is None:  # no statement carried it
                await proof.run(uow.session)
            if proof is not None and not proof.holds(context.policy.compiled.version):
                # The account changed, or the policy did: answer again, as read anew.
                caller = await services.principals.settle(
                    uow.session, request.user, caller, proof.fresh is True,
                    proof.policy_version)
                if caller is None:
                    return unauthenticated(exc=AuthenticationError(INVALID_TOKEN))
                request.state.principal = caller.principal
                context = await self._context(request, uow, caller)
                schema = self._schema_for(document, context)
                result = await _execute(schema, query, operation, context)
            body = _body(result)
            note_answer(body)  # metrics and log line: outcome and denials
            outage = outage_headers(body, self.settings.retry_after_seconds)
            if outage is not None:
                return graphql_response(body, media_type, status=outage[0], headers=outage[1])
            return graphql_response(body, media_type)

    def _admit(self, query: str, operation: Operation,
               principal: Principal) -> DocumentNode | None:
        """The parsed document (None: it does not parse); an operation over the caller's
        budget is refused before any more SQL is spent on it."""
        try:
            return self.schema.admission.admit(  # type: ignore[attr-defined, no-any-return]
                self.schema._schema, query, operation.operation_name, operation.variables,
                principal, self.settings)
        except OperationTooComplex as refusal:
            extensions = dict(refusal.extensions or {})
            raise Refused(extensions.pop("code"), refusal.message, **extensions) from None

    async def _caller(self, request: Request, uow: UnitOfWork) -> Caller | None:
        """The request's principal (`api.principals`); a cached one comes with its account
        check still to prove in the request's transaction: by the operation's own statement
        for a query (`api.principals.Proof`), else by `Principals.verify`."""
        services = self.services
        assert services is not None
        # A cached caller needs no session: a query proves him in its own statement.
        known = services.principals.known(request.user)
        if known is not None:
            return known
        return await services.principals.resolve(uow.session, request.user)

    def _proves_itself(self, document: DocumentNode | None, operation: Operation) -> bool:
        """Whether the operation is a query run by the schema's own executor, which proves
        the caller's account check in its transaction (`api.principals.Proof`)."""
        if document is None or not self.settings.compiled_execution:
            return False
        chosen = get_operation_ast(document, operation.operation_name)
        return chosen is not None and chosen.operation.value == "query"

    async def _context(self, request: Request, uow: UnitOfWork, caller: Caller) -> Context:
        services = self.services
        assert services is not None
        principal = caller.principal
        scope_class = (authz_scope.Scope if services.settings.authz_enabled
                       else authz_scope.UnrestrictedScope)
        # The unit tree comes with the policy, cached per policy version (api.policy_sync).
        proof = None
        if caller.check is not None:  # proven by the operation (and the policy read along)
            proof = Proof(caller.check, policy_version_wanted=not services.policies.listening)
            policy = services.policies.loaded
        else:
            policy = await services.policies.current(uow.session, caller.policy_version)
        scope = authz_scope.scope_of(scope_class, principal, policy.tree, policy.compiled)
        return Context(request=request, settings=services.settings, principal=principal,
                       scope=scope, uow=uow, units=policy.units,
                       denials=Denials(scope.ever_readable()), policies=services.policies,
                       policy=policy, deadline=getattr(request.state, "deadline", None),
                       proof=proof)

    async def _query_text(self, uow: UnitOfWork, operation: Operation) -> str:
        """The request's query text, or the registered operation its hash names."""
        if operation.query:
            return operation.query
        sha256 = operation.persisted_hash
        if operation.persisted_version != 1:
            raise Refused("BAD_USER_INPUT", "Only version 1 of persisted queries is supported.")
        registered = None
        if sha256 is not None and is_operation_hash(sha256):
            registered = await token_queries.registered_operation(uow.session, sha256)
        if registered is None:
            raise Refused("PERSISTED_QUERY_NOT_FOUND",
                          "No registered operation has this hash; send the query text.")
        note_operation(registered.name)  # a bounded metrics label, unlike operationName
        return registered.query

    def _schema_for(self, document: DocumentNode | None,
                    context: Context) -> strawberry.Schema:
        """The full schema, or for introspection the view of what the caller can read."""
        if document is None or not _introspects(document):
            return self.schema
        if not self.settings.introspection_served:
            raise Refused("FORBIDDEN", "Introspection is turned off on this server.")
        if not self.settings.authz_enabled:
            return self.schema
        roles = frozenset(holding.role.value for holding in context.principal.holdings)
        return user_schema(self.schema, context.policy.compiled, roles)


def _introspects(document: DocumentNode) -> bool:
    """Whether an operation of ``document`` selects ``__schema`` or ``__type`` at its root
    (directly or through fragments and inline fragments)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    seen: set[str] = set()

    def selects(selections: Any) -> bool:
        for selection in selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _INTROSPECTION:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if selects(selection.selection_set.selections):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    if selects(fragments[name].selection_set.selections):
                        return True
        return False

    return any(selects(d.selection_set.selections) for d in document.definitions
               if isinstance(d, OperationDefinitionNode))


async def _execute(schema: strawberry.Schema, query: str, operation: Operation,
                   context: Context) -> ExecutionResult:
    return await schema.execute(
        query, variable_values=operation.variables, context_value=context,
        operation_name=operation.operation_name,
        allowed_operation_types=_allowed(operation, query),
        operation_extensions=operation.extensions)


def _allowed(operation: Operation, query: str) -> set[OperationType]:
    """Operation types a request may run: queries only by GET (405 for a mutation)."""
    if operation.method != "GET":
        return {OperationType.QUERY, OperationType.MUTATION}
    try:  # GET runs registered operations only: a known, bounded text
        chosen = get_operation_ast(parse(query, no_location=True), operation.operation_name)
    except GraphQLError:
        chosen = None
    if chosen is not None and chosen.operation.value != "query":
        raise Refused("METHOD_NOT_ALLOWED", "Mutations are accepted by POST only.",
                      headers={"Allow": "POST"})
    return {OperationType.QUERY}


def _body(result: ExecutionResult) -> dict[str, object]:
    body: dict[str, object] = {"data": result.data}
    if result.errors:
        # Errors raised before execution (a syntax error) never reach the ErrorPolicy.
        body["errors"] = [(error if (error.extensions or {}).get("code") else present(error))
                          .formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def database_engine(settings: Settings) -> AsyncEngine:
    """The API's engine: pool sizes, time limits and pgbouncer mode from ``settings``."""
    return create_engine(settings.database_url, pool_size=settings.db_pool_size,
                         max_overflow=settings.db_max_overflow,
                         limits=connection_limits(settings), pgbouncer=settings.db_pgbouncer)


def create_app(settings: Settings | None = None, *, tracer_provider: Any = None) -> Starlette:
    """The application for ``settings`` (read from the environment when omitted); traced
    when the ``OTEL_*`` variables ask for it, or through ``tracer_provider`` (`api.tracing`)."""
    settings = settings or get_settings()
    engine = database_engine(settings)
    sessions = create_sessionmaker(engine)
    endpoint = GraphQLEndpoint(build_schema(guarded=settings.authz_enabled,
                                            compiled=settings.compiled_execution), settings)
    # -- observability: SQL statement and audit counts, probes, metrics
    instrument_engine(engine)
    health = Health(settings, sessions, endpoint.policies)
    metrics_routes = ([Route("/metrics", MetricsEndpoint(engine, endpoint.policy_state).scrape)]
                      if settings.metrics_enabled else [])
    # --

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # -- access freshness: how the policy channel is watched
        freshness = Freshness(settings.policy_heartbeat_seconds,
                              settings.policy_channel_timeout_seconds, settings.policy_poll_seconds)
        policies = PolicyService(engine, sessions, settings.redis_url, freshness)
        await policies.start()
        if settings.db_pgbouncer:
            # The limits cannot travel through pgbouncer: say so if the role lacks them.
            for problem in await missing_session_limits(engine, connection_limits(settings)):
                log.warning("through pgbouncer %s: set it on the database role", problem)
        rate_limits = build_rate_limiter(settings)
        services = Services(settings, engine, sessions, policies, rate_limits, Principals())
        endpoint.start(services)
        sealer = background_sealer(settings, sessions)
        # What start-up built (schema, policy, parsed modules) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it
        # (up to 97 ms per collection, every few thousand requests, measured; the slowest
        # answers under load were those that waited for one).
        gc.collect()
        gc.freeze()
        yield
        # Each step is bounded: a dependency that stopped answering must not hold the exit.
        steps = [rate_limits.aclose, policies.stop, engine.dispose]
        for step in ([sealer.stop] if sealer else []) + steps:
            try:
                async with asyncio.timeout(SHUTDOWN_STEP_SECONDS):
                    await step()
            except TimeoutError:
                log.warning("shutdown step %s took over %s s; skipped",
                            step.__qualname__, SHUTDOWN_STEP_SECONDS)

    backend = BearerTokenBackend(settings)
    return Starlette(
        routes=[
            Route("/graphql", endpoint),  # every method: api.http answers 405 in JSON
            Route("/healthz", health.live),
            Route("/readyz", health.ready),
            *metrics_routes,
            *(ide_routes(settings.ide_assets) if settings.ide_served else []),
        ],
        middleware=[
            *tracing_middleware(engine, tracer_provider),
            # Outermost but for tracing: its request id and clock cover every answer.
            Middleware(Telemetry, engine=engine, policy_state=endpoint.policy_state),
            Middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                       allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type", "Accept",
                                      "X-Request-ID"],
                       expose_headers=["Retry-After", "X-Request-ID"], max_age=600),
            Middleware(SecurityHeaders),
            # Whatever escapes answers JSON: 503 UNAVAILABLE when a dependency is down.
            Middleware(OutageMiddleware, retry_after_seconds=settings.retry_after_seconds),
            Middleware(AuthenticationMiddleware, backend=backend, on_error=unauthenticated),
        ],
        lifespan=lifespan,
    )
