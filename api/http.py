"""GraphQL over HTTP: reading one operation from a request, and writing its answer.

The rules follow the GraphQL-over-HTTP specification (the npm `graphql-http` audit
checks them in CI) and bound every request before any work is done for it:

* ``POST`` takes a JSON object (``application/json``) of at most
  ``max_body_bytes``; anything else is refused before it is read whole
  (413 ``PAYLOAD_TOO_LARGE``, 415 ``UNSUPPORTED_MEDIA_TYPE``, 400 ``BAD_REQUEST``).
* ``GET`` runs persisted operations only (``extensions.persistedQuery``, as Apollo
  clients send them); query text by ``GET`` is refused with 405, which also keeps
  every mutation off ``GET``.
* ``Accept: application/graphql-response+json`` gets that media type, and request
  errors (nothing executed) answer 4xx without a ``data`` entry. Plain
  ``application/json`` keeps the older convention: parse, validation and variable
  errors answer 200.
* Every refusal is a JSON GraphQL error body with an ``extensions.code``.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.errors import HTTP_STATUS
from api.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
#: Request errors that the ``application/json`` convention answers with HTTP 200.
LEGACY_OK = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"})


class Refused(Exception):  # noqa: N818 - an answer, not a fault
    """A request refused as a whole, before or instead of execution.

    Args:
        code: the ``extensions.code``; its HTTP status comes from `api.errors.HTTP_STATUS`.
        message: words a client developer can act on.
        headers: extra response headers (``Allow``, ``Retry-After``).
        extensions: more ``extensions`` entries (a budget's measure and limit).
    """

    def __init__(self, code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.headers = headers or {}
        self.extensions = extensions

    def body(self) -> dict[str, Any]:
        return {"data": None, "errors": [{"message": self.message,
                            "extensions": {"code": self.code, **self.extensions}}]}

    def response(self, media_type: str = JSON) -> Response:
        return graphql_response(self.body(), media_type,
                                status=HTTP_STATUS.get(self.code, 400), headers=self.headers)


@dataclass(frozen=True)
class Operation:
    """The GraphQL parameters of one request."""

    method: str
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None

    @property
    def persisted_hash(self) -> str | None:
        """``extensions.persistedQuery.sha256Hash`` when the request names one."""
        persisted = (self.extensions or {}).get("persistedQuery")
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        return sha256.lower() if isinstance(sha256, str) else None

    @property
    def names_persisted(self) -> bool:
        """Whether the request carries ``extensions.persistedQuery`` at all."""
        return isinstance((self.extensions or {}).get("persistedQuery"), dict)

    @property
    def persisted_version(self) -> Any:
        persisted = (self.extensions or {}).get("persistedQuery")
        return persisted.get("version", 1) if isinstance(persisted, dict) else None


def response_media_type(accept: str | None) -> str:
    """The media type of the answer: the GraphQL one when the client lists it (and does
    not refuse it with ``q=0``), else ``application/json``."""
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        if media.strip().lower() == GRAPHQL_RESPONSE:
            q = next((p.split("=", 1)[1] for p in params.split(";")
                      if p.strip().startswith("q=")), "1")
            try:
                return GRAPHQL_RESPONSE if float(q) > 0 else JSON
            except ValueError:
                return JSON
    return JSON


def wants_ide(request: Request) -> bool:
    """A browser opening the endpoint: ``GET``, HTML accepted, no GraphQL parameters."""
    params = request.query_params
    return (request.method == "GET" and "query" not in params and "extensions" not in params
            and "text/html" in request.headers.get("accept", ""))


async def read_operation(request: Request, settings: Settings) -> Operation:
    """The operation a ``GET`` or ``POST`` request carries.

    Raises:
        Refused: a method other than GET and POST, a body that is too large, not JSON or
            not one operation object, ill-typed parameters, query text by GET, or no
            operation at all.
    """
    if request.method == "GET":
        data = _from_query_string(request, settings)
    elif request.method == "POST":
        data = await _from_body(request, settings)
    else:
        raise Refused("METHOD_NOT_ALLOWED", "Use POST (or GET for persisted operations).",
                      headers={"Allow": "GET, POST"})
    operation = _typed(request.method, data)
    if operation.variables is not None and settings.max_variables_bytes < len(
            orjson.dumps(operation.variables)):
        raise Refused("PAYLOAD_TOO_LARGE",
                      f"The variables exceed {settings.max_variables_bytes} bytes.",
                      measure="variables", limit=settings.max_variables_bytes)
    if operation.method == "GET" and operation.query is not None:
        raise Refused("METHOD_NOT_ALLOWED",
                      "Query text is accepted by POST only; GET runs persisted operations "
                      "(extensions.persistedQuery.sha256Hash).", headers={"Allow": "POST"})
    if not operation.query and not operation.names_persisted:
        raise Refused("BAD_REQUEST", "The request carries no GraphQL operation: send "
                                     "{\"query\": \"...\"} as JSON.")
    return operation


def _from_query_string(request: Request, settings: Settings) -> dict[str, Any]:
    if len(request.scope.get("query_string", b"")) > settings.max_body_bytes:
        raise Refused("PAYLOAD_TOO_LARGE",
                      f"The query string exceeds {settings.max_body_bytes} bytes.",
                      measure="body", limit=settings.max_body_bytes)
    params = request.query_params
    data: dict[str, Any] = {"query": params.get("query"),
                            "operationName": params.get("operationName")}
    for name in ("variables", "extensions"):
        text = params.get(name)
        data[name] = _json_parameter(name, text) if text else None
    return data


def _json_parameter(name: str, text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Refused("BAD_REQUEST", f"The {name} parameter is not JSON.") from None


async def _from_body(request: Request, settings: Settings) -> dict[str, Any]:
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in (JSON, GRAPHQL_RESPONSE):
        raise Refused("UNSUPPORTED_MEDIA_TYPE",
                      "Send the operation as a JSON object with Content-Type: "
                      "application/json.")
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused("BAD_REQUEST", "The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise Refused("BAD_REQUEST", "Send one operation per request, as a JSON object.")
    return data


def _too_large(limit: int) -> Refused:
    return Refused("PAYLOAD_TOO_LARGE", f"The request body exceeds {limit} bytes.",
                   measure="body", limit=limit)


def _typed(method: str, data: dict[str, Any]) -> Operation:
    checks = (("query", str), ("operationName", str), ("variables", dict), ("extensions", dict))
    for name, expected in checks:
        value = data.get(name)
        if value is not None and not isinstance(value, expected):
            kind = "a string" if expected is str else "an object"
            raise Refused("BAD_REQUEST", f"The {name} parameter must be {kind} or null.")
    return Operation(method, data.get("query"), data.get("variables"),
                     data.get("operationName"), data.get("extensions"))


def is_request_error(body: dict[str, Any]) -> bool:
    """Whether an answer is a request error: nothing executed, no error at a field path."""
    errors = body.get("errors") or []
    return (body.get("data") is None and bool(errors)
            and all(not error.get("path") for error in errors))


def graphql_response(body: dict[str, Any], media_type: str, *, status: int | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    """The HTTP answer carrying a GraphQL response body.

    Without ``status``: 200 for an executed operation; a request error answers the
    status of its code under the GraphQL media type (and loses its ``data`` entry),
    and 200 under ``application/json`` for parse, validation and variable errors.
    """
    if is_request_error(body):
        code = body["errors"][0].get("extensions", {}).get("code", "BAD_REQUEST")
        if status is None:
            status = 200 if media_type == JSON and code in LEGACY_OK else HTTP_STATUS.get(
                code, 400)
        if media_type == GRAPHQL_RESPONSE:
            body = {key: value for key, value in body.items() if key != "data"}
    return Response(orjson.dumps(body), status_code=status or 200,
                    media_type=f"{media_type}; charset=utf-8", headers=headers)
