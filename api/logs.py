"""Logs: one JSON line per event on stdout, one line per GraphQL request.

structlog renders every line; the standard library's loggers (ours, uvicorn's,
SQLAlchemy's) go through the same renderer, so an operator reads one format. Lines
written while a request runs carry its ``request_id``.

The request line names who asked (account id and roles, or partner token id), what
(the bounded operation label), and how it ended (outcome code, HTTP status, duration,
SQL statements). It never carries a field value, a token, a query text or variables:
nothing from the request body is read into it.
"""

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import structlog

LogFormat = Literal["json", "console"]
_access = structlog.get_logger("cadre.request")
#: Whether lines are JSON (`configure_logging`): the request line is then written directly.
_json_lines = False


def configure_logging(log_format: LogFormat = "json", level: int = logging.INFO) -> None:
    """Render structlog's and the standard library's log records as JSON (or, for a
    developer's terminal, as aligned console text) on stdout."""
    global _json_lines
    _json_lines = log_format == "json"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (structlog.processors.JSONRenderer(_dumps) if log_format == "json"
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a logger obtained before this call must follow it too.
        cache_logger_on_first_use=False)
    handler = _StdoutHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Casbin prints its whole model at INFO on every policy load.
    logging.getLogger("casbin").setLevel(logging.WARNING)


def _dumps(event: Any, **_options: Any) -> str:
    # orjson: a request's line renders in a few microseconds; ``default=str`` for the
    # odd object a library logs.
    return orjson.dumps(event, default=str).decode()


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a record is emitted (a test's capture, a
    redirected stream), not to the one present at configuration."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def request_line(record: Any, principal: Any, status: int, seconds: float) -> None:
    """Log the line of one GraphQL request (a `api.telemetry.RequestRecord`).

    As JSON it is rendered here, with the keys and timestamp structlog's chain gives every
    other line: going through that chain and the standard library's handler cost a tenth
    of a roster request (profiled), for a line whose shape never varies.
    """
    line: dict[str, Any] = {"request_id": record.request_id, "operation": record.operation,
                            "outcome": record.outcome, "status": status,
                            "duration_ms": round(seconds * 1000, 2),
                            "sql_statements": record.statements}
    if principal is not None and getattr(principal, "is_partner", False):
        line["partner_token_id"] = principal.token_id
    elif principal is not None:
        line["account_id"] = principal.user_id
        line["roles"] = sorted({holding.role.value for holding in principal.holdings})
    if not (_json_lines and _REQUESTS.isEnabledFor(logging.INFO)):
        _access.info("request", **line)
        return
    line = {**structlog.contextvars.get_contextvars(), **line, "event": "request",
            "level": "info", "logger": "cadre.request",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    stream = sys.stdout
    stream.write(_dumps(line) + "\n")
    stream.flush()


_REQUESTS = logging.getLogger("cadre.request")
