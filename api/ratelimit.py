"""Rate limits per user and per partner token, shared across servers through Redis.

Every limiter runs GCRA (the generic cell rate algorithm): a key may spend ``limit``
hits at once and then earns one hit back every ``window / limit`` seconds. Against a
fixed window it never lets a client spend two budgets across a window boundary, and
its state is one number per key. The Redis limiter runs the same arithmetic in one
Lua script on Redis's clock, so every server draws on one budget whatever its own
clock says.

Rate limiting is not an access control: when Redis is down, each server falls back
to its own in-memory budget (a client spread over N servers may then get up to N
times its share) rather than refusing or stalling every request.
"""

import logging
import math
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.responses import JSONResponse

from api.errors import error_body
from api.settings import Settings

log = logging.getLogger("cadre.ratelimit")

#: Socket timeouts of the rate-limit Redis client: a limiter that waits longer than
#: this costs more than the per-process budget it would fall back to.
REDIS_TIMEOUT_SECONDS = 0.2
REDIS_PREFIX = "cadre:ratelimit:"
PARTNER_KEY_PREFIX = "token:"
USER_KEY_PREFIX = "user:"
MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one hit.

    Attributes:
        allowed: whether the request may go on.
        retry_after: seconds until the next hit would be allowed (0 when allowed).
        remaining: hits still allowed right now after this one (``sys.maxsize`` when
            unlimited).
    """

    allowed: bool
    retry_after: float
    remaining: int


class RateLimiter(Protocol):
    """Counts a hit against a key's budget and says whether it is allowed."""

    async def hit(self, key: str) -> Decision:
        """Spend one hit of ``key``'s budget, if any is left."""
        ...


def _interval(limit: int, window_seconds: float) -> float:
    if limit < 1 or window_seconds <= 0:
        raise ValueError("a rate limit needs limit >= 1 and a positive window")
    return window_seconds / limit


class UnlimitedRateLimiter:
    """Allows everything: a limit of 0 in the settings."""

    async def hit(self, key: str) -> Decision:
        """Always allowed."""
        return Decision(allowed=True, retry_after=0.0, remaining=sys.maxsize)


class MemoryRateLimiter:
    """GCRA in this process's memory.

    Memory stays bounded: a key whose budget is full again holds no information and is
    dropped, and at most ``max_keys`` keys are kept (beyond that the least recently
    hit key is forgotten, which only gives it a fresh budget).

    Args:
        limit: hits allowed per window (and at once).
        window_seconds: the window.
        clock: monotonic seconds; injected by tests.
        max_keys: the most keys remembered at once.
    """

    def __init__(self, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self._interval = _interval(limit, window_seconds)
        self._clock = clock
        self._max_keys = max_keys
        # key -> theoretical arrival time (when the key's budget is full again), ordered
        # from the least to the most recently hit so that stale keys sit at the front.
        self._tat: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tat)

    async def hit(self, key: str) -> Decision:
        """Spend one hit of ``key``'s budget, if any is left."""
        now = self._clock()
        tat = max(self._tat.pop(key, now), now)
        self._evict(now)
        new_tat = tat + self._interval
        wait = new_tat - now - self.window
        # A float rounding error must not refuse the last hit of a budget.
        if wait > 1e-9:
            self._tat[key] = tat
            return Decision(allowed=False, retry_after=wait, remaining=0)
        self._tat[key] = new_tat
        remaining = int((self.window - (new_tat - now)) / self._interval + 1e-9)
        return Decision(allowed=True, retry_after=0.0, remaining=remaining)

    def _evict(self, now: float) -> None:
        # Keys run from the least to the most recently hit and a key idle for a whole
        # window is always stale, so walking from the front to the first live key drops
        # every idle key: memory holds the keys hit within the last window, and the
        # walk costs O(1) amortized per hit.
        while self._tat:
            key, tat = next(iter(self._tat.items()))
            if tat > now and len(self._tat) < self._max_keys:
                break
            del self._tat[key]


# KEYS[1]: the key; ARGV[1]: microseconds between two hits; ARGV[2]: the window in
# microseconds (limit * ARGV[1]). Returns {allowed, retry_after_us, remaining}.
# TIME inside a script is safe from Redis 5 on (effects replication) and makes Redis
# the one clock of every server. The TAT is written with %.0f because Lua's tostring
# would turn a 16-digit microsecond count into a lossy 1.7e+15.
GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - now - window
if wait > 0 then
  return {0, wait, 0}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat),
           'PX', math.ceil((new_tat - now) / 1000))
return {1, 0, math.floor((window - (new_tat - now)) / interval)}
"""


class RedisRateLimiter:
    """GCRA in Redis, one atomic script call per hit, so servers share one budget.

    A key lives in Redis only until its budget is full again (``PX``), so Redis holds
    nothing for idle keys.

    Args:
        redis_client: an asyncio Redis client (short socket timeouts, no retries: see
            :func:`redis_client`).
        limit: hits allowed per window (and at once).
        window_seconds: the window.
        prefix: prepended to every key in Redis.
    """

    def __init__(self, redis_client: Redis, limit: int, window_seconds: float,
                 prefix: str = REDIS_PREFIX) -> None:
        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix
        # Whole microseconds; the window is limit intervals exactly so that rounding
        # the interval can never grant a hit more or less than ``limit``.
        self._interval_us = max(1, round(_interval(limit, window_seconds) * 1_000_000))
        self._window_us = self._interval_us * limit
        self._script = redis_client.register_script(GCRA_SCRIPT)

    async def hit(self, key: str) -> Decision:
        """Spend one hit of ``key``'s budget, if any is left.

        Raises:
            redis.exceptions.RedisError: when Redis errs or does not answer in time.
        """
        allowed, wait_us, remaining = await self._script(
            keys=[self.prefix + key], args=[self._interval_us, self._window_us])
        return Decision(allowed=bool(allowed), retry_after=int(wait_us) / 1_000_000,
                        remaining=int(remaining))


class FallbackRateLimiter:
    """Redis first; this process's memory while Redis errs or is slow.

    During an outage Redis is asked again at most once per ``retry_seconds`` (the other
    hits go straight to memory, so a Redis that stopped answering costs one timeout
    per interval, not one per request), and used again as soon as it answers. Each
    outage is logged once when it starts and once when it ends.

    Args:
        primary: the shared limiter (Redis).
        fallback: the per-process limiter, with the same limit.
        retry_seconds: how long to leave Redis alone after a failure.
        clock: monotonic seconds; injected by tests.
    """

    def __init__(self, primary: RateLimiter, fallback: MemoryRateLimiter,
                 retry_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.primary = primary
        self.fallback = fallback
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._down = False
        self._next_try = 0.0

    @property
    def degraded(self) -> bool:
        """Whether the last attempt at Redis failed."""
        return self._down

    async def hit(self, key: str) -> Decision:
        """Spend one hit of ``key``'s budget, from Redis when it answers. Never raises
        for a Redis failure."""
        now = self._clock()
        if self._down and now < self._next_try:
            return await self.fallback.hit(key)
        # Claimed before awaiting so that concurrent requests don't all probe at once.
        self._next_try = now + self._retry_seconds
        try:
            decision = await self.primary.hit(key)
        except (RedisError, OSError, TimeoutError) as fault:
            if not self._down:
                self._down = True
                log.warning("rate limits: Redis unavailable (%s); limiting per process "
                            "until it answers", fault)
            return await self.fallback.hit(key)
        if self._down:
            self._down = False
            log.warning("rate limits: Redis answers again; limits are shared again")
        return decision


class RateLimits:
    """The user and the partner budgets behind one :meth:`hit`.

    Keys ``token:<id>`` draw on the partner budget, every other key (``user:<name>``)
    on the user budget.

    Args:
        users: the limiter of user keys.
        partners: the limiter of partner-token keys.
        redis_client: the client both use, closed by :meth:`aclose`.
    """

    def __init__(self, users: RateLimiter, partners: RateLimiter,
                 redis_client: Redis | None = None) -> None:
        self.users = users
        self.partners = partners
        self._redis = redis_client

    async def hit(self, key: str) -> Decision:
        """Spend one hit of ``key``'s budget, if any is left."""
        limiter = self.partners if key.startswith(PARTNER_KEY_PREFIX) else self.users
        return await limiter.hit(key)

    async def aclose(self) -> None:
        """Close the Redis connections, if any."""
        if self._redis is not None:
            await self._redis.aclose()


def redis_client(url: str, timeout: float = REDIS_TIMEOUT_SECONDS) -> Redis:
    """An asyncio client for rate limits: short timeouts and no retries (redis-py
    retries 10 times by default), because a late answer is worth less than the
    fallback. Connects lazily: nothing is attempted until the first hit."""
    client: Redis = Redis.from_url(url, socket_timeout=timeout,
                                        socket_connect_timeout=timeout,
                                        retry=Retry(NoBackoff(), 0))
    return client


def _limiter(per_minute: int, client: Redis | None) -> RateLimiter:
    if per_minute == 0:
        return UnlimitedRateLimiter()
    memory = MemoryRateLimiter(per_minute, MINUTE)
    if client is None:
        return memory
    return FallbackRateLimiter(RedisRateLimiter(client, per_minute, MINUTE), memory)


def build_rate_limiter(settings: Settings) -> RateLimits:
    """The rate limits of ``settings``: shared through Redis (falling back to memory)
    when ``redis_url`` is set, per process otherwise; a limit of 0 is unlimited."""
    client = redis_client(settings.redis_url) if settings.redis_url else None
    return RateLimits(users=_limiter(settings.rate_limit_per_minute, client),
                      partners=_limiter(settings.partner_rate_limit_per_minute, client),
                      redis_client=client)


def rate_limited_response(decision: Decision) -> JSONResponse:
    """HTTP 429 for a refused hit: ``Retry-After`` in whole seconds (at least 1) and a
    ``RATE_LIMITED`` error carrying the same number in ``extensions.retryAfter``."""
    seconds = max(1, math.ceil(decision.retry_after))
    unit = "second" if seconds == 1 else "seconds"
    body = error_body(f"Too many requests: retry in {seconds} {unit}.", "RATE_LIMITED")
    body["errors"][0]["extensions"]["retryAfter"] = seconds
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(seconds)})
