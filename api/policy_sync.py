"""The policy a server enforces, and the unit tree, kept current across servers and workers.

Each server compiles the policy once per policy version, and reads the unit tree with
it: a write to the units raises the version too (a database trigger), so the tree is
cached for as long as the policy is and no request reads it. A change made on one
server bumps the version in the database and is announced on a Redis channel.
A server trusts its compiled policy only while the channel is *proven* healthy:
Redis answered a ping sent at most ``channel_timeout`` ago. Redis delivers a
connection's replies in order, so the pong of a ping sent at time *t* arrives after
every announcement acknowledged before *t*, and those were applied first. Otherwise
(no Redis, Redis down, hung or partitioned, not subscribed yet) the server reads the
version from the database on every request and reloads when it moved: slower,
never stale. A poll every ``poll_seconds`` also catches a change whose announcement
never reached Redis. Versions only rise, so a reload never goes back.

Bounds (measured by tests/api/test_policy_freshness.py): a server with a healthy
channel applies a change within milliseconds; one whose Redis stops answering
without closing its connections, within ``channel_timeout`` (1 s by default); one
without Redis, from the next request on.
"""

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.types.units import UnitIndex
from authz.compiled import CompiledPolicy, compile_policy
from authz.scope import UnitTree
from db.policy_store import load_enforcer, policy_version
from db.queries import units as unit_queries

log = logging.getLogger("cadre.policy")
CHANNEL = "cadre:policy"
RETRY_SECONDS = 0.5


@dataclass
class LoadedPolicy:
    """The Casbin enforcer (for explanations), its compiled decisions, and the unit tree
    as it stood at the same version (never older)."""

    enforcer: Any
    compiled: CompiledPolicy
    units: UnitIndex
    tree: UnitTree


@dataclass(frozen=True)
class Freshness:
    """How the channel is watched (from settings)."""

    heartbeat: float = 0.25
    channel_timeout: float = 1.0
    poll: float = 1.0


class ChannelSilent(Exception):
    """Redis has not answered within the timeout: the connection is dropped and renewed."""


class PolicyService:
    """Holds the current policy; reloads it when its version moves."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                 redis_url: str | None, freshness: Freshness | None = None) -> None:
        self._engine = engine
        self._sessions = sessions
        self._redis_url = redis_url
        self._freshness = freshness or Freshness()
        self._loaded: LoadedPolicy | None = None
        #: When a ping was sent whose pong came back (monotonic seconds); -inf: never.
        self._channel_proven_at = -math.inf
        self._tasks: list[asyncio.Task[None]] = []
        self._announcing: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> LoadedPolicy:
        assert self._loaded is not None, "policy service not started"
        return self._loaded

    @property
    def listening(self) -> bool:
        """Whether the channel answered recently enough to be trusted."""
        age = time.monotonic() - self._channel_proven_at
        return self._redis_url is not None and age <= self._freshness.channel_timeout

    async def start(self) -> None:
        async with self._sessions() as session:
            version = await policy_version(session)
        if version == 0:
            raise RuntimeError("The database holds no policy: run `cadre db upgrade` first.")
        await self._reload(version)
        if self._redis_url:
            self._tasks = [asyncio.create_task(self._listen(), name="policy-listener"),
                           asyncio.create_task(self._poll(), name="policy-poller")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def current(self, session: AsyncSession, version: int | None = None) -> LoadedPolicy:
        """The policy to enforce for a request running in ``session``; ``version`` is the
        database's when the request already read it in its transaction."""
        if not self.listening:
            if version is None:
                version = await policy_version(session)
            if version > self.loaded.compiled.version:
                await self._reload(version)
        return self.loaded

    async def changed(self, version: int) -> None:
        """After a committed change on this server: reload here, announce to the others."""
        await self._reload(version)
        if self._redis_url:
            # Announced in the background: a hung Redis must not hold the answer back, and
            # the others do not depend on the announcement (they read or poll the version).
            task = asyncio.create_task(self._announce(version), name="policy-announce")
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)

    async def _announce(self, version: int) -> None:
        try:
            await asyncio.wait_for(announce(self._redis_url or "", version),
                                   self._freshness.channel_timeout)
        except Exception:  # noqa: BLE001 - the others read the version or poll it
            log.warning("could not announce policy version %s", version, exc_info=True)

    async def _reload(self, version: int) -> None:
        async with self._lock:
            if self._loaded is not None and self._loaded.compiled.version >= version:
                return
            enforcer = await load_enforcer(self._engine)
            async with self._sessions() as session:
                units = UnitIndex(await unit_queries.list_all(session))
            tree = UnitTree(units.edges())
            self._loaded = LoadedPolicy(enforcer, compile_policy(enforcer, version), units, tree)
            log.info("policy version %s compiled: %s fields", version,
                     len(self._loaded.compiled.fields))

    async def _catch_up(self) -> None:
        async with self._sessions() as session:
            version = await policy_version(session)
        await self._reload(version)

    async def _poll(self) -> None:
        """Read the version now and then, whatever the channel says."""
        while True:
            await asyncio.sleep(self._freshness.poll)
            try:
                await self._catch_up()
            except Exception:  # noqa: BLE001 - requests read it themselves meanwhile
                log.warning("policy version poll failed", exc_info=True)

    async def _listen(self) -> None:
        """Follow the channel; on any failure or silence stop trusting it and start again."""
        from redis.asyncio import Redis

        while True:
            client = Redis.from_url(self._redis_url or "", socket_connect_timeout=1,
                                    socket_timeout=self._freshness.channel_timeout)
            try:
                async with client.pubsub() as pubsub:
                    await self._follow(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as failure:  # noqa: BLE001 - retried below
                if self.listening:
                    log.warning("policy channel lost (%s); checking the version per request",
                                type(failure).__name__)
            finally:
                self._channel_proven_at = -math.inf
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.aclose(), 1)
            await asyncio.sleep(RETRY_SECONDS)

    async def _follow(self, pubsub: Any) -> None:
        """Subscribe, catch up, then apply announcements and prove the channel by pings.

        Raises:
            ChannelSilent: Redis did not answer the subscription or a ping in time.
        """
        timeout = self._freshness.channel_timeout
        waiting_since = time.monotonic()  # for the subscription's confirmation first
        ping_sent_at: float | None = None
        await asyncio.wait_for(pubsub.subscribe(CHANNEL), timeout)
        subscribed = False
        while True:
            now = time.monotonic()
            if subscribed and ping_sent_at is None \
                    and now - self._channel_proven_at >= self._freshness.heartbeat:
                ping_sent_at = waiting_since = now
                await asyncio.wait_for(pubsub.ping(), timeout)
            if (not subscribed or ping_sent_at is not None) and now - waiting_since > timeout:
                raise ChannelSilent(f"no answer from Redis for {timeout} s")
            message = await pubsub.get_message(timeout=self._freshness.heartbeat / 2)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "subscribe":
                # Subscribed before reading: nothing announced from here on is missed.
                subscribed = True
                await self._catch_up()
                self._channel_proven_at = waiting_since
                log.info("listening for policy changes")
            elif kind == "message":
                await self._catch_up()
            elif kind == "pong" and ping_sent_at is not None:
                self._channel_proven_at, ping_sent_at = ping_sent_at, None


async def announce(redis_url: str, version: int) -> None:
    """Tell every server listening on ``redis_url`` that the policy version rose to
    ``version``; they read it from the database and reload. For a writer outside the API
    (units, say): unannounced, its change waits for each server's next poll.
    """
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    try:
        await client.publish(CHANNEL, str(version))
    finally:
        await client.aclose()
