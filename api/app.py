"""The Starlette application: authentication, the GraphQL endpoint, the offline IDE."""

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.authentication import AuthenticationError
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import INVALID_TOKEN, BearerTokenBackend, load_principal, unauthenticated
from api.context import Context
from api.graphiql import ide_page, ide_routes
from api.guard import Denials
from api.partners import PartnerGateway
from api.policy_sync import Freshness, PolicyService
from api.ratelimit import RateLimits, build_rate_limiter, rate_limited_response
from api.schema import build_schema
from api.settings import Settings, get_settings
from api.types.units import UnitIndex
from authz import scope as authz_scope
from db.engine import create_engine, create_sessionmaker
from db.queries import units as unit_queries
from db.uow import UnitOfWork

log = logging.getLogger("cadre.app")


@dataclass
class Services:
    """What the application holds between requests."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    policies: PolicyService
    rate_limits: RateLimits


class CadreGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context; the IDE page is served separately."""

    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        super().__init__(schema, graphql_ide=None)
        self.services = services

    # orjson: about three times faster than the json module on a roster page (measured).
    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = self.services
        principal = request.state.principal
        uow: UnitOfWork = request.state.uow
        units = UnitIndex(await unit_queries.list_all(uow.session))
        tree = authz_scope.UnitTree(units.edges())
        scope_class = (authz_scope.Scope if services.settings.authz_enabled
                       else authz_scope.UnrestrictedScope)
        policy = await services.policies.current(uow.session)
        scope = scope_class(principal, tree, policy.compiled)
        return Context(request=request, settings=services.settings, principal=principal,
                       scope=scope, uow=uow, units=units,
                       denials=Denials(scope.ever_readable()), policies=services.policies,
                       policy=policy)


class GraphQLEndpoint:
    """``GET /graphql`` without a query serves the IDE; everything else needs a user or a
    partner token, within its rate limit."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.schema = schema
        self.view: CadreGraphQL | None = None
        self.services: Services | None = None
        self.partners = PartnerGateway(schema, CadreGraphQL)

    def start(self, services: Services) -> None:
        self.services = services
        self.view = CadreGraphQL(self.schema, services)

    async def health(self, _request: Request) -> Response:
        """Liveness, and how this server learns of policy changes."""
        channel = "off"
        if self.services is not None and self.services.settings.redis_url:
            channel = "listening" if self.services.policies.listening else "polling"
        return JSONResponse({"status": "ok", "policyChannel": channel})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.view is not None and self.services is not None, "application not started"
        request = Request(scope, receive)
        if request.method == "GET" and "query" not in request.query_params:
            await HTMLResponse(ide_page())(scope, receive, send)
            return
        async with UnitOfWork(self.services.sessions) as uow:
            principal = await load_principal(uow.session, request.user)
            if principal is None:
                refusal = (unauthenticated(exc=AuthenticationError(INVALID_TOKEN))
                           if request.user.is_authenticated else unauthenticated())
                await refusal(scope, receive, send)
                return
            key = (f"token:{principal.token_id}" if principal.is_partner
                   else f"user:{principal.username}")
            decision = await self.services.rate_limits.hit(key)
            if not decision.allowed:
                await rate_limited_response(decision)(scope, receive, send)
                return
            request.state.uow = uow
            request.state.principal = principal
            if principal.is_partner:  # persisted operations only, on the partner's view
                await self.partners.serve(self.services, request, scope, receive, send)
                return
            await self.view(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    """The application for ``settings`` (read from the environment when omitted)."""
    settings = settings or get_settings()
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    endpoint = GraphQLEndpoint(build_schema(guarded=settings.authz_enabled,
                                            compiled=settings.compiled_execution))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # -- access freshness: how the policy channel is watched
        freshness = Freshness(settings.policy_heartbeat_seconds,
                              settings.policy_channel_timeout_seconds, settings.policy_poll_seconds)
        policies = PolicyService(engine, sessions, settings.redis_url, freshness)
        await policies.start()
        rate_limits = build_rate_limiter(settings)
        services = Services(settings, engine, sessions, policies, rate_limits)
        endpoint.start(services)
        yield
        await rate_limits.aclose()
        await policies.stop()
        await engine.dispose()

    backend = BearerTokenBackend(settings)
    return Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Route("/healthz", endpoint.health),
            *ide_routes(settings.ide_assets),
        ],
        middleware=[Middleware(AuthenticationMiddleware, backend=backend,
                               on_error=unauthenticated)],
        lifespan=lifespan,
    )
