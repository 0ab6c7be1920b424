"""Optional tracing with OpenTelemetry, at the ASGI and SQLAlchemy levels.

Install the extra (``pip install 'cadre-records[otel]'``) and configure it with the
standard variables: tracing is on when ``OTEL_SERVICE_NAME`` or
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``…_TRACES_ENDPOINT``) is set and
``OTEL_SDK_DISABLED`` is not ``true``; ``OTEL_TRACES_EXPORTER`` chooses ``otlp``
(default, over HTTP) or ``console``; the exporter reads its own ``OTEL_EXPORTER_OTLP_*``
variables, the resource ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``.

Each request is a server span (the ASGI middleware) with its SQL statements as child
spans. Strawberry's ``OpenTelemetryExtension`` is deliberately not used: its per-field
hook switches off the short query path (roster 54 → 462 ms, measured).
"""

import logging
import os
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware

log = logging.getLogger("cadre.tracing")


def tracing_wanted(environ: dict[str, str] | None = None) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return any(env.get(name) for name in ("OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT",
                                          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def tracing_middleware(engine: AsyncEngine, provider: Any = None) -> list[Middleware]:
    """The ASGI middleware tracing requests, with the engine's statements traced too.

    Args:
        engine: the application's engine.
        provider: a ``TracerProvider`` (tests pass one with an in-memory exporter); None
            builds one from the ``OTEL_*`` variables, or nothing when they ask for none.

    Returns:
        The middleware to put outermost, or none (tracing off, or the extra missing).
    """
    if provider is None and not tracing_wanted():
        return []
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    except ImportError:
        log.warning("OTEL_* variables are set but the otel extra is not installed: "
                    "pip install 'cadre-records[otel]'")
        return []
    provider = provider or _provider_from_environment()
    # Its declared range stops below SQLAlchemy 2.1; its engine events work there unchanged
    # (tests/api/test_tracing.py checks the statement spans).
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider,
                                        skip_dep_check=True)
    return [Middleware(OpenTelemetryMiddleware, tracer_provider=provider,
                       exclude_spans=["receive", "send"])]


def _provider_from_environment() -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    provider = TracerProvider(resource=Resource.create())
    exporter: SpanExporter
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
