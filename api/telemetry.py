"""What one request did, seen from the outside: its id, its metrics, its one log line.

`Telemetry` wraps the whole application (outermost middleware), so its clock and its
``X-Request-ID`` cover every answer, refusals by any layer included. Inside, the
request's `RequestRecord` (a context variable) collects what only the inner layers
know: the GraphQL endpoint notes the answer's body and the registered operation's
name, and the engine's ``before_cursor_execute`` listener counts SQL statements.
Nothing here is a per-field hook: the short query path (`api.execution`) stays on.
"""

import re
import time
import uuid
from collections import Counter as Tally
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import logs, metrics

ANONYMOUS = "anonymous"
REQUEST_ID_HEADER = b"x-request-id"
#: A client's request id is kept when it is printable ASCII of at most 64 characters.
_WELL_FORMED_ID = re.compile(r"[\x21-\x7e]{1,64}")
_AUDIT_INSERT = "INSERT INTO audit_events"


@dataclass
class RequestRecord:
    """What the layers of one request learnt about it."""

    request_id: str
    operation: str = ANONYMOUS
    outcome: str = "ok"
    #: ``extensions.measure`` of a refusal by a size or budget limit.
    measure: str = ""
    denials: Tally[str] = field(default_factory=Tally)
    statements: int = 0
    #: Audit events inserted in the open transaction, and their count at each savepoint.
    audit_pending: int = 0
    audit_marks: list[int] = field(default_factory=list)
    noted: bool = False


_current: ContextVar[RequestRecord | None] = ContextVar("cadre_request", default=None)


def note_operation(name: str) -> None:
    """Name the request by the registered operation it runs (a bounded label)."""
    record = _current.get()
    if record is not None:
        record.operation = name


def note_answer(body: Mapping[str, Any]) -> None:
    """Take the outcome, refusal measure and field denials from a GraphQL answer body."""
    record = _current.get()
    if record is not None:
        _take_answer(record, body)


def _take_answer(record: RequestRecord, body: Mapping[str, Any]) -> None:
    record.noted = True
    errors = body.get("errors") or []
    if not errors:
        return
    extensions = errors[0].get("extensions") or {}
    record.outcome = str(extensions.get("code", "INTERNAL"))
    record.measure = str(extensions.get("measure", ""))
    for error in errors:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "FORBIDDEN" and error.get("path"):
            record.denials[str(extensions.get("field", ""))] += int(
                extensions.get("deniedCount", 1))


def instrument_engine(engine: AsyncEngine) -> None:
    """Count each request's SQL statements, and the audit events the engine commits.

    Audit events are counted when their transaction commits: an insert rolled back with
    its transaction or savepoint (a refused mutation field) never counts. Only requests
    write audit events on the API's engine, so only requests are tallied.
    """
    sync_engine = engine.sync_engine

    # The tallies live on the request's record, not on the connection: an invalidated
    # connection refuses even a look at its ``info`` while it rolls back.
    def on_statement(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        record = _current.get()
        if record is not None:
            record.statements += 1
            if statement.startswith(_AUDIT_INSERT):
                record.audit_pending += 1

    def on_savepoint(_connection: Any, _name: str) -> None:
        record = _current.get()
        if record is not None:
            record.audit_marks.append(record.audit_pending)

    def on_savepoint_rollback(_connection: Any, _name: str, _context: Any) -> None:
        record = _current.get()
        if record is not None and record.audit_marks:
            record.audit_pending = record.audit_marks.pop()

    def on_savepoint_release(_connection: Any, _name: str, _context: Any) -> None:
        record = _current.get()
        if record is not None and record.audit_marks:
            record.audit_marks.pop()

    def on_commit(_connection: Any) -> None:
        record = _current.get()
        if record is not None and record.audit_pending:
            metrics.AUDIT_EVENTS.inc(record.audit_pending)
            record.audit_pending = 0

    def on_rollback(_connection: Any) -> None:
        record = _current.get()
        if record is not None:
            record.audit_pending = 0
            record.audit_marks.clear()

    event.listen(sync_engine, "before_cursor_execute", on_statement)
    event.listen(sync_engine, "savepoint", on_savepoint)
    event.listen(sync_engine, "rollback_savepoint", on_savepoint_rollback)
    event.listen(sync_engine, "release_savepoint", on_savepoint_release)
    event.listen(sync_engine, "commit", on_commit)
    event.listen(sync_engine, "rollback", on_rollback)


class Telemetry:
    """Outermost middleware: request id, metrics and the access log line of ``/graphql``.

    Args:
        app: the application inside.
        engine: the application's engine (with several workers, each request refreshes its
            pool gauges: a scrape reaches one worker only).
        policy_state: the policy's version and channel state, once the server started.
    """

    def __init__(self, app: ASGIApp, engine: AsyncEngine,
                 policy_state: metrics.PolicyState) -> None:
        self.app = app
        self.engine = engine
        self.policy_state = policy_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        if scope["path"] != "/graphql":  # health probes and scrapes: an id, no line
            await self.app(scope, receive, _with_header(send, header))
            return
        record = RequestRecord(request_id)
        token = _current.set(record)
        started = time.perf_counter()
        status = 500
        chunks: list[bytes] = []

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            elif message["type"] == "http.response.body" and not record.noted:
                chunks.append(message.get("body", b""))
            await send(message)

        # Lines logged meanwhile (a fault's traceback) name the request too.
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_observed)
        finally:
            structlog.contextvars.reset_contextvars(**bound)
            _current.reset(token)
            if not chunks and not record.noted:  # nothing was answered at all
                record.outcome = "INTERNAL"
            elif not record.noted:  # answered outside execution: a small refusal body
                _read_body(record, b"".join(chunks))
            seconds = time.perf_counter() - started
            principal = scope.get("state", {}).get("principal")
            _count(record, principal, seconds)
            if metrics.MULTIPROCESS:  # a scrape reads only the worker it reaches
                metrics.refresh(self.engine, self.policy_state)
            logs.request_line(record, principal, status, seconds)


def _read_body(record: RequestRecord, body: bytes) -> None:
    try:
        decoded = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        decoded = {}
    _take_answer(record, decoded if isinstance(decoded, dict) else {})


def _count(record: RequestRecord, principal: Any, seconds: float) -> None:
    labels = (record.operation, record.outcome)
    metrics.REQUESTS.labels(*labels).inc()
    metrics.LATENCY.labels(*labels).observe(seconds)
    for type_field, count in record.denials.items():
        metrics.DENIALS.labels(type_field).inc(count)
    if record.outcome in metrics.LIMIT_CODES:
        metrics.REFUSALS.labels(record.outcome, record.measure).inc()
    if record.outcome == "RATE_LIMITED":
        partner = getattr(principal, "is_partner", False)
        metrics.RATE_LIMITED.labels("partner" if partner else "user").inc()


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                break
            if _WELL_FORMED_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def _with_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), header]
        await send(message)

    return send_with_header
