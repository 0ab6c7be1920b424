"""Answering in the error contract while a dependency is down.

Whatever fails, the client gets a JSON GraphQL body with an ``extensions.code``:
``UNAVAILABLE`` with HTTP 503 and ``Retry-After`` when the database or Redis cannot
serve (`api.faults`), ``INTERNAL`` with HTTP 500 for anything else unexpected. Never
a text/plain 500, never a keep-alive connection closed without an answer.

Failures meet the client at three places, each handled once:
- inside GraphQL execution (a resolver, the commit point): `api.errors` codes the
  error and answers the operation as a whole; `outage_headers` gives that answer
  its 503 status;
- before or around execution (loading the principal, building the context):
  `OutageMiddleware` catches what escapes and answers itself;
- after the answer was sent (releasing the connection): `db.uow` logs and discards.
"""

import logging
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import HTTP_STATUS, INTERNAL_MESSAGE, UNAVAILABLE_MESSAGE, error_body
from api.faults import is_unavailable
from api.settings import Settings
from db.engine import ConnectionLimits

log = logging.getLogger("cadre.outages")
UNAVAILABLE = "UNAVAILABLE"


def connection_limits(settings: Settings) -> ConnectionLimits:
    """The limits on the API's database connections, from the settings."""
    return ConnectionLimits(
        statement_timeout_ms=settings.db_statement_timeout_ms,
        lock_timeout_ms=settings.db_lock_timeout_ms,
        idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
        pool_timeout_seconds=settings.db_pool_timeout_seconds)


def unavailable_response(retry_after_seconds: int) -> JSONResponse:
    """The answer of a request refused because a dependency is down."""
    return JSONResponse(error_body(UNAVAILABLE_MESSAGE, UNAVAILABLE),
                        status_code=HTTP_STATUS[UNAVAILABLE],
                        headers={"Retry-After": str(retry_after_seconds)})


def outage_headers(body: Any, retry_after_seconds: int) -> tuple[int, dict[str, str]] | None:
    """Status and headers for a GraphQL answer refused as a whole with UNAVAILABLE;
    None for any other answer."""
    if not isinstance(body, Mapping) or body.get("data") is not None:
        return None
    errors = body.get("errors") or []
    if not any((error.get("extensions") or {}).get("code") == UNAVAILABLE for error in errors):
        return None
    return HTTP_STATUS[UNAVAILABLE], {"Retry-After": str(retry_after_seconds)}


class OutageMiddleware:
    """Turns an exception escaping the application into a JSON error answer.

    Args:
        app: the application inside.
        retry_after_seconds: what ``Retry-After`` asks a client to wait during an outage.
    """

    def __init__(self, app: ASGIApp, retry_after_seconds: int) -> None:
        self.app = app
        self.retry_after_seconds = retry_after_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as error:  # noqa: BLE001 - every failure is answered in JSON
            if is_unavailable(error):
                log.warning("dependency unavailable: %r", error)
                response = unavailable_response(self.retry_after_seconds)
            else:
                log.error("unexpected failure", exc_info=error)
                response = JSONResponse(error_body(INTERNAL_MESSAGE, "INTERNAL"),
                                        status_code=HTTP_STATUS["INTERNAL"])
            if started:  # the answer is on its way; nothing can be said any more
                return
            await response(scope, receive, send)
