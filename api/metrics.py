"""Prometheus metrics: what the API answered, what it refused, and the state it runs in.

Every label takes values from a closed set, never from client text: the operation is
the name under which it was registered when the request ran a persisted operation by
its hash, else ``anonymous``; the outcome is ``ok`` or an ``extensions.code`` of
`api.errors`; a denied field is a ``Type.field`` of the schema; a measure is a budget
measure or ``body``/``variables``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``cadre serve --workers N`` sets one up), each
worker writes its values there and ``GET /metrics`` adds them up, as prometheus-client
documents for several processes. Gauges are then summed over live workers (pool use)
or their maximum taken (policy version), and refreshed by every request and scrape.
"""

import atexit
import os
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

#: ``() -> (policy version, channel listening)``; None before the server started.
PolicyState = Callable[[], tuple[int, bool] | None]
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
#: Seconds; from a cached roster page (a few ms) to the request deadline (10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("cadre_requests_total", "GraphQL requests answered.",
                   ["operation", "outcome"])
LATENCY = Histogram("cadre_request_duration_seconds", "Time to answer a GraphQL request.",
                    ["operation", "outcome"], buckets=LATENCY_BUCKETS)
DENIALS = Counter("cadre_field_denials_total",
                  "Field values answered null with FORBIDDEN, per Type.field.", ["field"])
REFUSALS = Counter("cadre_refusals_total",
                   "Requests refused by a limit: OPERATION_TOO_COMPLEX (by measure), "
                   "PAYLOAD_TOO_LARGE (body or variables), TIMEOUT, RATE_LIMITED.",
                   ["code", "measure"])
RATE_LIMITED = Counter("cadre_rate_limited_total",
                       "Requests refused by a rate limit, per budget (user or partner).",
                       ["budget"])
AUDIT_EVENTS = Counter("cadre_audit_events_total", "Audit events committed.")
POLICY_VERSION = Gauge("cadre_policy_version", "Policy version this server enforces.",
                       multiprocess_mode="livemax")
POLICY_CHANNEL = Gauge("cadre_policy_channel_listening",
                       "1 while the Redis policy channel is proven healthy, else 0 "
                       "(polling, or no Redis).", multiprocess_mode="livemin")
POOL_IN_USE = Gauge("cadre_db_pool_in_use", "Database connections checked out.",
                    multiprocess_mode="livesum")
POOL_WAITING = Gauge("cadre_db_pool_waiting", "Requests waiting for a pooled connection.",
                     multiprocess_mode="livesum")
#: The refusals that are a limit at work (the other codes are the caller's mistakes).
LIMIT_CODES = frozenset({"OPERATION_TOO_COMPLEX", "PAYLOAD_TOO_LARGE", "TIMEOUT",
                         "RATE_LIMITED"})

if MULTIPROCESS:
    # A dead worker's live gauges would otherwise be summed forever.
    atexit.register(multiprocess.mark_process_dead, os.getpid())


def read_pool(engine: AsyncEngine) -> None:
    """Set the pool gauges from the engine's pool (no I/O: the pool's own counters)."""
    pool = engine.sync_engine.pool
    checked_out = getattr(pool, "checkedout", None)
    POOL_IN_USE.set(checked_out() if checked_out is not None else 0)
    POOL_WAITING.set(_waiting(pool))


def _waiting(pool: Any) -> int:
    # SQLAlchemy counts no waiters; its async queue pool waits on an asyncio.Queue, whose
    # getters are the waiting checkouts (SQLAlchemy is pinned, so this stays true).
    queue = getattr(getattr(pool, "_pool", None), "_queue", None)
    return len(getattr(queue, "_getters", ()) or ())


def read_policy(version: int, listening: bool) -> None:
    """Set the policy gauges."""
    POLICY_VERSION.set(version)
    POLICY_CHANNEL.set(1 if listening else 0)


def exposition() -> Response:
    """The metrics in Prometheus text format, of every worker in multi-process mode."""
    registry = REGISTRY
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class MetricsEndpoint:
    """``GET /metrics``: refreshes the gauges of this worker, then answers the metrics.

    Args:
        engine: the application's engine, whose pool is read.
        policy_state: the policy's version and channel state, when the server started.
    """

    def __init__(self, engine: AsyncEngine, policy_state: PolicyState) -> None:
        self.engine = engine
        self.policy_state = policy_state

    async def scrape(self, _request: Request) -> Response:
        """The metrics, this worker's gauges read first."""
        refresh(self.engine, self.policy_state)
        return exposition()


def refresh(engine: AsyncEngine, policy_state: PolicyState) -> None:
    """Read the gauges of this process."""
    read_pool(engine)
    state = policy_state()
    if state is not None:
        read_policy(*state)
