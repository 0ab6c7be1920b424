"""Rate limits: the in-memory GCRA, the shared Redis one, the fallback, the 429 answer.

The Redis tests run against the real server named by REDIS_URL and are skipped without
it; each run writes under its own key prefix and deletes its keys afterwards.
"""

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from api.ratelimit import (
    Decision,
    FallbackRateLimiter,
    MemoryRateLimiter,
    RateLimits,
    RedisRateLimiter,
    UnlimitedRateLimiter,
    build_rate_limiter,
    rate_limited_response,
    redis_client,
)
from api.settings import Settings

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL,
                                 reason="REDIS_URL is not set: no Redis to test against")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(**values: Any) -> Settings:
    # REDIS_URL may be set in the environment of the test run: always say it here.
    values.setdefault("REDIS_URL", None)
    return Settings(env="test", **values)


# -- in memory ---------------------------------------------------------------------------

async def test_memory_allows_limit_hits_then_refuses_until_the_budget_refills() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(3, 60, clock=clock)

    decisions = [await limiter.hit("user:a") for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    refused = decisions[-1]
    assert refused.retry_after == pytest.approx(20)  # one hit earned back every 60/3 s
    clock.now += 19.9
    assert not (await limiter.hit("user:a")).allowed
    clock.now += 0.1
    assert (await limiter.hit("user:a")).allowed


async def test_memory_allows_a_whole_budget_again_after_the_window() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(3, 60, clock=clock)
    for _ in range(4):
        await limiter.hit("user:a")

    clock.now += 60

    assert [(await limiter.hit("user:a")).allowed for _ in range(4)] == [True, True, True,
                                                                          False]


async def test_memory_keys_have_independent_budgets() -> None:
    limiter = MemoryRateLimiter(1, 60, clock=FakeClock())

    assert (await limiter.hit("user:a")).allowed
    assert not (await limiter.hit("user:a")).allowed
    assert (await limiter.hit("user:b")).allowed
    assert (await limiter.hit("token:7")).allowed


async def test_memory_forgets_keys_whose_budget_is_full_again() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(5, 60, clock=clock)
    for number in range(1000):
        await limiter.hit(f"user:{number}")
    assert len(limiter) == 1000

    clock.now += 12  # one hit refilled: every key's budget is whole again
    await limiter.hit("user:late")

    assert len(limiter) == 1


async def test_memory_keeps_at_most_max_keys() -> None:
    limiter = MemoryRateLimiter(5, 60, clock=FakeClock(), max_keys=10)

    for number in range(50):
        assert (await limiter.hit(f"user:{number}")).allowed

    assert len(limiter) == 10


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        MemoryRateLimiter(0, 60)


async def test_unlimited_always_allows() -> None:
    decision = await UnlimitedRateLimiter().hit("user:a")

    assert decision == Decision(allowed=True, retry_after=0.0, remaining=sys.maxsize)


# -- the factory and the two budgets -------------------------------------------------------

async def test_partner_tokens_and_users_draw_on_their_own_budgets() -> None:
    limits = build_rate_limiter(settings(rate_limit_per_minute=3,
                                         partner_rate_limit_per_minute=1))

    assert isinstance(limits, RateLimits)
    assert isinstance(limits.users, MemoryRateLimiter)
    assert isinstance(limits.partners, MemoryRateLimiter)
    assert [(await limits.hit("token:7")).allowed for _ in range(2)] == [True, False]
    assert [(await limits.hit("user:a")).allowed for _ in range(4)] == [True, True, True,
                                                                         False]
    await limits.aclose()


async def test_a_limit_of_zero_is_unlimited() -> None:
    limits = build_rate_limiter(settings(rate_limit_per_minute=0,
                                         partner_rate_limit_per_minute=0))

    assert isinstance(limits.users, UnlimitedRateLimiter)
    assert all([(await limits.hit("user:a")).allowed for _ in range(1000)])
    assert (await limits.hit("token:1")).allowed


async def test_with_a_redis_url_the_limits_are_shared_with_a_fallback() -> None:
    limits = build_rate_limiter(settings(REDIS_URL=CLOSED_PORT_URL))

    assert isinstance(limits.users, FallbackRateLimiter)
    assert isinstance(limits.partners, FallbackRateLimiter)
    assert limits.users.fallback.limit == 600
    assert limits.partners.fallback.limit == 120
    await limits.aclose()


def test_the_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADRE_RATE_LIMIT_PER_MINUTE", "30")
    monkeypatch.setenv("CADRE_PARTNER_RATE_LIMIT_PER_MINUTE", "0")

    read = Settings(env="test")

    assert (read.rate_limit_per_minute, read.partner_rate_limit_per_minute) == (30, 0)


# -- the 429 answer ------------------------------------------------------------------------

@pytest.mark.parametrize(("retry_after", "seconds", "message"), [
    (0.1, 1, "Too many requests: retry in 1 second."),
    (0.0, 1, "Too many requests: retry in 1 second."),
    (20.2, 21, "Too many requests: retry in 21 seconds."),
])
def test_rate_limited_response(retry_after: float, seconds: int, message: str) -> None:
    response = rate_limited_response(Decision(allowed=False, retry_after=retry_after,
                                              remaining=0))

    assert response.status_code == 429
    assert response.headers["retry-after"] == str(seconds)
    assert response.headers["content-type"] == "application/json"
    assert json.loads(bytes(response.body)) == {
        "data": None,
        "errors": [{"message": message,
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds}}],
    }


# -- falling back to memory ----------------------------------------------------------------

async def test_without_redis_the_fallback_answers_from_memory_quickly(
        caplog: pytest.LogCaptureFixture) -> None:
    client = redis_client(CLOSED_PORT_URL)
    # retry_seconds=0: every hit tries Redis first, so each one pays the failure.
    limiter = FallbackRateLimiter(RedisRateLimiter(client, 2, 60), MemoryRateLimiter(2, 60),
                                  retry_seconds=0)
    decisions = []
    with caplog.at_level(logging.WARNING, logger="cadre.ratelimit"):
        for _ in range(3):
            started = time.perf_counter()
            decisions.append(await limiter.hit("user:a"))
            assert time.perf_counter() - started < 0.5
    await client.aclose()

    assert [d.allowed for d in decisions] == [True, True, False]
    assert limiter.degraded
    assert len(caplog.records) == 1  # once per outage, not once per request
    assert "Redis unavailable" in caplog.records[0].getMessage()


async def test_a_redis_that_does_not_answer_times_out_into_the_fallback() -> None:
    connections: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # accepts, reads nothing, answers nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = redis_client(f"redis://127.0.0.1:{port}/0")
    limiter = FallbackRateLimiter(RedisRateLimiter(client, 2, 60), MemoryRateLimiter(2, 60))
    try:
        started = time.perf_counter()
        decision = await limiter.hit("user:a")
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()

    assert decision.allowed and limiter.degraded
    assert elapsed < 0.5


class FlakyLimiter:
    """A primary that fails while ``down`` and counts the hits it was asked for."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    async def hit(self, key: str) -> Decision:
        self.calls += 1
        if self.down:
            raise RedisConnectionError("connection refused")
        return Decision(allowed=True, retry_after=0.0, remaining=41)


async def test_the_fallback_uses_redis_again_once_it_answers(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    primary = FlakyLimiter()
    limiter = FallbackRateLimiter(primary, MemoryRateLimiter(5, 60, clock=clock),
                                  retry_seconds=1.0, clock=clock)

    with caplog.at_level(logging.WARNING, logger="cadre.ratelimit"):
        first = await limiter.hit("user:a")
        await limiter.hit("user:a")  # within retry_seconds: Redis is left alone
        assert (first.remaining, primary.calls) == (4, 1)
        clock.now += 1.0
        await limiter.hit("user:a")  # asked again, still down
        assert primary.calls == 2
        primary.down = False
        clock.now += 1.0
        recovered = await limiter.hit("user:a")

    assert recovered.remaining == 41 and not limiter.degraded
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "rate limits: Redis unavailable (connection refused)",
        "rate limits: Redis answers again",
    ]


# -- against the real Redis ----------------------------------------------------------------

class Servers:
    """Limiters on their own clients, as separate servers would have, writing under a
    prefix of this test only; ``admin`` reads Redis directly."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"cadre:test:ratelimit:{uuid.uuid4().hex}:"
        self.admin = Redis.from_url(url)
        self.clients: list[Redis] = [self.admin]

    def limiter(self, limit: int, window: float) -> RedisRateLimiter:
        client = redis_client(self.url)
        self.clients.append(client)
        return RedisRateLimiter(client, limit, window, prefix=self.prefix)

    async def close(self) -> None:
        keys = [key async for key in self.admin.scan_iter(match=self.prefix + "*")]
        if keys:
            await self.admin.delete(*keys)
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    assert REDIS_URL
    servers = Servers(REDIS_URL)
    try:
        yield servers
    finally:
        await servers.close()


@needs_redis
async def test_redis_servers_share_one_budget(servers: Servers) -> None:
    one, two = servers.limiter(3, 60), servers.limiter(3, 60)

    assert (await one.hit("user:a")).remaining == 2
    assert (await two.hit("user:a")).remaining == 1
    assert (await one.hit("user:a")).remaining == 0
    refused = await two.hit("user:a")
    assert not refused.allowed
    assert 19 < refused.retry_after <= 20
    assert not (await one.hit("user:a")).allowed
    assert (await two.hit("user:b")).allowed  # another key, another budget


@needs_redis
async def test_redis_budget_refills_with_time(servers: Servers) -> None:
    limiter = servers.limiter(2, 1)
    admin, key = servers.admin, servers.prefix + "user:a"

    assert [(await limiter.hit("user:a")).allowed for _ in range(3)] == [True, True, False]
    refused = await limiter.hit("user:a")
    assert 0 < refused.retry_after <= 0.5
    # The key expires when its budget is whole again, so idle keys cost Redis nothing.
    assert 0 < await admin.pttl(key) <= 1000

    await asyncio.sleep(refused.retry_after + 0.05)
    assert (await limiter.hit("user:a")).allowed
    await asyncio.sleep(1.05)
    assert await admin.exists(key) == 0
    assert [(await limiter.hit("user:a")).allowed for _ in range(3)] == [True, True, False]


@needs_redis
async def test_the_fallback_uses_a_redis_that_answers(servers: Servers,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    limiter = FallbackRateLimiter(servers.limiter(1, 60), MemoryRateLimiter(1, 60))
    other_server = servers.limiter(1, 60)

    with caplog.at_level(logging.WARNING, logger="cadre.ratelimit"):
        assert (await limiter.hit("token:7")).allowed
        # The budget was spent in Redis, not in this process's memory.
        assert not (await other_server.hit("token:7")).allowed

    assert not limiter.degraded and not caplog.records


@needs_redis
async def test_rate_limits_from_settings_share_through_redis() -> None:
    assert REDIS_URL
    key = f"user:test-{uuid.uuid4().hex}"
    one = build_rate_limiter(settings(REDIS_URL=REDIS_URL, rate_limit_per_minute=2))
    two = build_rate_limiter(settings(REDIS_URL=REDIS_URL, rate_limit_per_minute=2))
    try:
        assert [(await server.hit(key)).allowed for server in (one, two, one)] == [True,
                                                                                    True,
                                                                                    False]
    finally:
        admin = Redis.from_url(REDIS_URL)
        await admin.delete(f"cadre:ratelimit:{key}")
        await admin.aclose()
        await one.aclose()
        await two.aclose()
