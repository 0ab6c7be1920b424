"""Serving partner tokens: persisted operations only, on the partner's view of the schema.

A partner request names a registered operation by hash (Apollo style:
``extensions.persistedQuery = {"version": 1, "sha256Hash": "…"}``) and carries no
query text. The endpoint finds the operation among those assigned to the token,
checks it against the partner's view (`api.partner_schema`), substitutes its text
and hands the request to a GraphQL view executing on that view of the schema.

Refusals (each a GraphQL error body; the HTTP status is fixed per code):
PERSISTED_QUERY_REQUIRED (403) for query text, FORBIDDEN (403) for a mutation or an
operation reading outside the token's scopes, PERSISTED_QUERY_NOT_FOUND (404) for a
hash that is unknown or not assigned to the token, BAD_USER_INPUT (400) for a body
that is not one JSON operation.
"""

import logging
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from api.context import Context
from api.errors import error_body
from api.guard import Denials
from api.partner_schema import MAX_TOKENS, PartnerSchema, partner_schema
from authz.principal import Principal
from authz.scope import PartnerScope
from authz.tokens import is_operation_hash
from db.queries import tokens as token_queries

log = logging.getLogger("cadre.partners")

STATUS = {"PERSISTED_QUERY_REQUIRED": 403, "FORBIDDEN": 403,
          "PERSISTED_QUERY_NOT_FOUND": 404, "BAD_USER_INPUT": 400}
NOT_FOUND = "No registered operation with this hash is assigned to this token."


class Refusal(Exception):  # noqa: N818 - an answer, not a fault
    """A partner request refused before execution."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def response(self) -> JSONResponse:
        return JSONResponse(error_body(self.message, self.code), status_code=STATUS[self.code])


class PartnerGateway:
    """The partner side of the GraphQL endpoint: one GraphQL view per partner schema view.

    Args:
        schema: the full schema the endpoint serves.
        view_class: the endpoint's GraphQL view (``CadreGraphQL``); partner views extend it.
    """

    def __init__(self, schema: strawberry.Schema, view_class: type[Any]) -> None:
        self.schema = schema
        self.view_class = view_class
        self._views: dict[int, Any] = {}

    async def serve(self, services: Any, request: Request, scope: Scope, receive: Receive,
                    send: Send) -> None:
        """Answer one partner request whose principal is on ``request.state``."""
        principal: Principal = request.state.principal
        policy = await services.policies.current(request.state.uow.session)
        partner = partner_schema(self.schema, policy.compiled, principal.scopes)
        try:
            data = await _operation_request(request)
            query = await _persisted_text(request, principal, partner, data)
        except Refusal as refusal:
            log.info("partner request refused: %s %s (%s)", refusal.code, refusal.message,
                     principal.username)
            await refusal.response()(scope, receive, send)
            return
        body = orjson.dumps({"query": query, "variables": data.get("variables"),
                             "operationName": data.get("operationName")})
        view = self._view(services, partner)
        await view(_as_post(scope, body), _replay(body, receive), send)

    def _view(self, services: Any, partner: PartnerSchema) -> Any:
        view = self._views.get(id(partner.strawberry))
        if view is None or view.schema is not partner.strawberry or view.services is not services:
            if len(self._views) >= 64:
                self._views.clear()
            view = self._views[id(partner.strawberry)] = _partner_view(
                self.view_class, partner.strawberry, services)
        return view


def _partner_view(view_class: type[Any], schema: strawberry.Schema, services: Any) -> Any:
    class PartnerGraphQL(view_class):  # type: ignore[misc, valid-type]
        """The endpoint's view with the partner's scope in the context."""

        async def get_context(self, request: Any, response: Any) -> Context:
            context: Context = await super().get_context(request, response)
            context.scope = PartnerScope(context.principal, context.scope.tree,
                                         context.scope.policy)
            context.denials = Denials(context.scope.ever_readable())
            return context

    return PartnerGraphQL(schema, services)


async def _operation_request(request: Request) -> dict[str, Any]:
    """The request's operation fields, from the query string (GET) or the JSON body."""
    if request.method == "GET":
        params = request.query_params
        return {"query": params.get("query"), "operationName": params.get("operationName"),
                "variables": _json(params.get("variables")),
                "extensions": _json(params.get("extensions"))}
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Refusal("BAD_USER_INPUT", "The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise Refusal("BAD_USER_INPUT", "Send one operation per request, as a JSON object.")
    return data


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Refusal("BAD_USER_INPUT", "A query parameter is not JSON.") from None


async def _persisted_text(request: Request, principal: Principal, partner: PartnerSchema,
                          data: dict[str, Any]) -> str:
    """The text of the assigned operation the request names; `Refusal` otherwise."""
    if data.get("query"):
        if _writes(data["query"]):
            raise Refusal("FORBIDDEN", "Partner tokens may not change records.")
        raise Refusal("PERSISTED_QUERY_REQUIRED",
                      "Partner tokens run registered operations only: send "
                      "extensions.persistedQuery.sha256Hash and no query text.")
    extensions = data.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if sha256 is None:
        raise Refusal("PERSISTED_QUERY_REQUIRED",
                      "Send extensions.persistedQuery.sha256Hash of a registered operation.")
    if persisted.get("version", 1) != 1:  # type: ignore[union-attr]
        raise Refusal("BAD_USER_INPUT", "Only version 1 of persisted queries is supported.")
    if not isinstance(sha256, str) or not is_operation_hash(sha256.lower()):
        raise Refusal("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
    sha256 = sha256.lower()
    assert principal.token_id is not None
    query = await token_queries.assigned_operation(request.state.uow.session,
                                                   principal.token_id, sha256)
    if query is None:
        raise Refusal("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
    problem = partner.vet(sha256, query)
    if problem is not None:
        raise Refusal("FORBIDDEN", problem)
    return query


def _writes(query: Any) -> bool:
    """Whether ad-hoc text is an operation other than a query (a mutation, a subscription)."""
    if not isinstance(query, str):
        return False
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    return any(isinstance(d, OperationDefinitionNode) and d.operation is not OperationType.QUERY
               for d in document.definitions)


def _as_post(scope: Scope, body: bytes) -> Scope:
    """The request's ASGI scope as a JSON POST of ``body`` (its state and user kept)."""
    headers = [(k, v) for k, v in scope["headers"]
               if k not in (b"content-type", b"content-length")]
    headers += [(b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode())]
    return {**scope, "method": "POST", "query_string": b"", "headers": headers}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that delivers ``body`` once, then defers to the real one."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
