"""Optional tracing: a request is one server span with its SQL statements under it, and the
short query path stays on."""

import httpx
import pytest

from api.app import create_app
from api.tracing import tracing_wanted

pytest.importorskip("opentelemetry.sdk")  # the `otel` extra (installed with `dev`)

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

ROSTER = "{ cadres(first: 5) { edges { node { name unit { name } evaluations { grade } } } } }"


def test_tracing_follows_the_standard_variables():
    assert tracing_wanted({"OTEL_SERVICE_NAME": "cadre-api"})
    assert tracing_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not tracing_wanted({})
    assert not tracing_wanted({"OTEL_SERVICE_NAME": "cadre-api", "OTEL_SDK_DISABLED": "true"})


async def test_a_traced_request_is_a_server_span_with_its_statements(settings, token):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings, tracer_provider=provider)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post("/graphql", json={"query": ROSTER},
                                       headers={"Authorization": f"Bearer {token('demo-org')}"})
    assert response.status_code == 200 and not response.json().get("errors")
    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.kind.name == "SERVER"]
    # (background work, the start-up's policy load or a catch-up, has traces of its own)
    statements = [s for s in spans if s.attributes and "db.statement" in s.attributes
                  and s.context.trace_id == server.context.trace_id]
    assert len(statements) >= 2, [s.name for s in spans]  # the caller, then the page
    # no span per GraphQL field: the short query path needs no per-field hook
    assert len(spans) < 20, [s.name for s in spans]
