"""Health probes: ``/healthz`` (the process answers) and ``/readyz`` (it can serve).

``/healthz`` does no I/O, so a slow database never gets a live server restarted.
``/readyz`` answers 200 only when the database answers within `READY_TIMEOUT_SECONDS`,
its migrations are at the head of the code's migration scripts, and the policy this
server enforces is the database's current version; otherwise 503 naming the failing
checks. Redis is reported but never fails readiness: without it the server still
enforces a fresh policy (it reads the version per request) and limits rates per
process, so taking every server out of service when Redis goes away would turn a
degraded dependency into an outage.
"""

import asyncio
from collections.abc import Callable
from functools import cached_property
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.policy_sync import PolicyService
from api.settings import Settings
from db.migrate import alembic_config
from db.policy_store import policy_version

#: How long the database may take to answer a readiness probe.
READY_TIMEOUT_SECONDS = 1.0


class Health:
    """The two probes of one application.

    Args:
        settings: the application's settings.
        sessions: the application's session factory (its engine and pool).
        policies: the policy service once the server started, else None.
    """

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession],
                 policies: Callable[[], PolicyService | None]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.policies = policies

    @cached_property
    def head_revisions(self) -> set[str]:
        """The heads of the migration scripts shipped with this code."""
        script = ScriptDirectory.from_config(alembic_config(self.settings.database_url))
        return set(script.get_heads())

    async def live(self, _request: Request) -> JSONResponse:
        """Liveness, and how this server learns of policy changes."""
        return JSONResponse({"status": "ok", "policyChannel": self._channel()})

    async def ready(self, _request: Request) -> JSONResponse:
        """Readiness: database, migrations, policy (and Redis, reported)."""
        checks: dict[str, dict[str, Any]] = {}
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                revisions, database_policy = await self._read_database()
            checks["database"] = {"ok": True}
        except Exception as failure:  # noqa: BLE001 - any failure is "not ready"
            # The type only: a driver's message may name hosts or users.
            checks["database"] = {"ok": False, "error": type(failure).__name__}
        else:
            checks["migrations"] = {"ok": revisions == self.head_revisions,
                                    "current": sorted(revisions),
                                    "head": sorted(self.head_revisions)}
            checks["policy"] = self._policy_check(database_policy)
        if self.settings.redis_url:
            channel = self._channel()
            checks["redis"] = {"ok": channel == "listening", "policyChannel": channel,
                               "required": False}
        failing = sorted(name for name, check in checks.items()
                         if not check["ok"] and check.get("required", True))
        if "database" in failing:
            failing += ["migrations", "policy"]  # unknown, so not ready either
        body = {"status": "unready" if failing else "ready", "failing": failing,
                "checks": checks}
        return JSONResponse(body, status_code=503 if failing else 200)

    async def _read_database(self) -> tuple[set[str], int]:
        async with self.sessions() as session:
            revisions = set((await session.scalars(
                text("SELECT version_num FROM alembic_version"))).all())
            return revisions, await policy_version(session)

    def _policy_check(self, database_version: int) -> dict[str, Any]:
        policies = self.policies()
        if policies is None:
            return {"ok": False, "loaded": None, "current": database_version}
        loaded = policies.loaded.compiled.version
        return {"ok": loaded >= database_version, "loaded": loaded,
                "current": database_version}

    def _channel(self) -> str:
        policies = self.policies()
        if not self.settings.redis_url:
            return "off"
        return "listening" if policies is not None and policies.listening else "polling"
