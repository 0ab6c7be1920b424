"""The policy a server enforces, kept current across servers.

Each server compiles the policy once per policy version. A change made on one
server bumps the version in the database and is announced on a Redis channel;
every server listening reloads within moments. While a server is not listening
(no subscription yet, or Redis gone), it must not go on enforcing a policy that
may have been narrowed elsewhere, so it reads the version from the database on
every request and reloads when it moved: slower, never wrong. Without Redis at
all a single server keeps its own state, which its own changes update.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from authz.compiled import CompiledPolicy, compile_policy
from authz.policy import load_enforcer, policy_version

log = logging.getLogger("cadre.policy")
CHANNEL = "cadre:policy"
RETRY_SECONDS = 1.0


@dataclass
class LoadedPolicy:
    """The Casbin enforcer (for explanations) and its compiled decisions."""

    enforcer: Any
    compiled: CompiledPolicy


class PolicyService:
    """Holds the current policy; reloads it when its version moves."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                 redis_url: str | None) -> None:
        self._engine = engine
        self._sessions = sessions
        self._redis_url = redis_url
        self._loaded: LoadedPolicy | None = None
        self._listening = False
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> LoadedPolicy:
        assert self._loaded is not None, "policy service not started"
        return self._loaded

    @property
    def listening(self) -> bool:
        return self._listening

    async def start(self) -> None:
        async with self._sessions() as session:
            version = await policy_version(session)
        if version == 0:
            raise RuntimeError("The database holds no policy: run `cadre db upgrade` first.")
        await self._reload(version)
        if self._redis_url:
            self._task = asyncio.create_task(self._listen(), name="policy-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def current(self, session: AsyncSession) -> LoadedPolicy:
        """The policy to enforce for a request running in ``session``."""
        if self._redis_url and not self._listening:
            version = await policy_version(session)
            if version != self.loaded.compiled.version:
                await self._reload(version)
        return self.loaded

    async def changed(self, version: int) -> None:
        """After a committed change on this server: reload here, announce to the others."""
        await self._reload(version)
        if not self._redis_url:
            return
        try:
            await self._publish(str(version))
        except Exception:  # noqa: BLE001 - the others fall back to reading the version
            log.warning("could not announce policy version %s", version, exc_info=True)

    async def _reload(self, version: int) -> None:
        async with self._lock:
            if self._loaded is not None and self._loaded.compiled.version == version:
                return
            enforcer = await load_enforcer(self._engine)
            self._loaded = LoadedPolicy(enforcer, compile_policy(enforcer, version))
            log.info("policy version %s compiled: %s fields", version,
                     len(self._loaded.compiled.fields))

    async def _publish(self, message: str) -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(self._redis_url or "", socket_timeout=1)
        try:
            await client.publish(CHANNEL, message)
        finally:
            await client.aclose()

    async def _listen(self) -> None:
        """Follow the channel; on any failure stop trusting the cache and try again."""
        from redis.asyncio import Redis

        while True:
            client = Redis.from_url(self._redis_url or "", socket_connect_timeout=1,
                                    health_check_interval=5)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    await self._catch_up()  # changes made while we were not listening
                    self._listening = True
                    log.info("listening for policy changes")
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - retried below
                if self._listening:
                    log.warning("policy channel lost; checking the version per request")
                self._listening = False
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                self._listening = False
                await client.aclose()

    async def _catch_up(self) -> None:
        async with self._sessions() as session:
            version = await policy_version(session)
        await self._reload(version)
