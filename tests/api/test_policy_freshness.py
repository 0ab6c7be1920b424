"""No server or worker enforces a policy older than the database's for more than a
bounded window after a change was acknowledged, in every deployment: several workers
without Redis, Redis down, and Redis hung (stopped with its connections open).
Real server processes; a redis-server of the test's own, stopped with SIGSTOP."""

import os
import shutil
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest

from tests.api.processes import redis_server, server

ADD = "mutation A($input: PolicyRuleInput!) { addPolicyRule(input: $input) { version } }"
REMOVE = "mutation R($input: PolicyRuleInput!) { removePolicyRule(input: $input) { version } }"
COMMENTS = "{ cadres(first: 3) { edges { node { evaluations { comment } } } } }"
RULE = {"ptype": "p", "values": ["discipline", "jurisdiction", "evaluation:comment", "read"]}
#: The promise: at most this long after a change was acknowledged.
WINDOW = 2.0
needs_redis = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and shutil.which("redis-server")),
    reason="needs PostgreSQL (TEST_DATABASE_URL) and a redis-server binary")


def _post(url: str, bearer: str, query: str, **variables: object) -> dict:
    response = httpx.post(url, json={"query": query, "variables": variables}, timeout=10,
                          headers={"Authorization": f"Bearer {bearer}"})
    return response.json()


def _reads_comments(url: str, bearer: str) -> bool:
    errors = _post(url, bearer, COMMENTS).get("errors") or []
    return not any(e["extensions"]["code"] == "FORBIDDEN" for e in errors)


def _absent(url: str, admin: str) -> None:
    """Given: the rule not held, whatever an earlier test left (its answer is not asserted)."""
    _post(url, admin, REMOVE, input=RULE)


def _change(url: str, admin: str, query: str) -> float:
    """Make a policy change; the moment its answer (the acknowledgment) arrived."""
    body = _post(url, admin, query, input=RULE)
    assert "errors" not in body, body
    return time.monotonic()


def _seconds_until(check: Callable[[], bool], since: float, limit: float = 10) -> float:
    while not check():
        assert time.monotonic() - since < limit, f"not within {limit} s"
        time.sleep(0.02)
    return time.monotonic() - since


def _channel(url: str) -> str:
    health = httpx.get(url.replace("/graphql", "/healthz"), timeout=5).json()
    return str(health["policyChannel"])


def test_workers_without_redis_never_serve_a_removed_grant(settings, token):
    admin, discipline = token("demo-admin"), token("demo-discipline")
    with server(settings.database_url, workers=2) as url:
        # given the grant in force on every worker
        _absent(url, admin)
        _change(url, admin, ADD)
        assert all(_reads_comments(url, discipline) for _ in range(10))
        # when it is removed, then no request after the acknowledgment reads comments
        _change(url, admin, REMOVE)
        assert not any(_reads_comments(url, discipline) for _ in range(20))


@needs_redis
def test_a_hung_redis_stops_being_trusted_and_a_removal_applies_within_the_window(settings,
                                                                                  token):
    admin, discipline = token("demo-admin"), token("demo-discipline")
    with redis_server() as (redis, port):
        redis_url = f"redis://127.0.0.1:{port}/0"
        with server(settings.database_url, redis_url) as a, \
                server(settings.database_url, redis_url) as b:
            _seconds_until(lambda: _channel(a) == _channel(b) == "listening", time.monotonic())
            _absent(a, admin)
            _change(a, admin, ADD)
            _seconds_until(lambda: _reads_comments(b, discipline), time.monotonic(), WINDOW)
            # when Redis stops answering without closing its connections
            redis.send_signal(signal.SIGSTOP)
            try:
                stopped = time.monotonic()
                # and at once a grant is removed on the other server
                acknowledged = _change(a, admin, REMOVE)
                # then the removal applies within the window, and health stops saying
                # listening within the channel timeout
                window = _seconds_until(lambda: not _reads_comments(b, discipline),
                                        acknowledged)
                silent = _seconds_until(lambda: _channel(b) != "listening", stopped)
                print(f"hung Redis: acknowledged {acknowledged - stopped:.2f} s after the "
                      f"stop, applied {window:.2f} s after that; health silent after "
                      f"{silent:.2f} s")
                assert window <= WINDOW and silent <= WINDOW
            finally:
                redis.send_signal(signal.SIGCONT)
            # Redis answers again: both servers listen again and follow changes at once.
            _seconds_until(lambda: _channel(a) == _channel(b) == "listening", time.monotonic())
            _absent(a, admin)
            acknowledged = _change(a, admin, ADD)
            window = _seconds_until(lambda: _reads_comments(b, discipline), acknowledged)
            assert window <= WINDOW
            acknowledged = _change(a, admin, REMOVE)
            assert _seconds_until(lambda: not _reads_comments(b, discipline),
                                  acknowledged) <= WINDOW


@needs_redis
def test_a_removal_made_while_redis_is_down_applies_at_once_and_after_it_returns(settings,
                                                                               token):
    admin, discipline = token("demo-admin"), token("demo-discipline")
    with redis_server() as (redis, port):
        redis_url = f"redis://127.0.0.1:{port}/0"
        with server(settings.database_url, redis_url) as a, \
                server(settings.database_url, redis_url) as b:
            _seconds_until(lambda: _channel(b) == "listening", time.monotonic())
            _absent(a, admin)
            _change(a, admin, ADD)
            _seconds_until(lambda: _reads_comments(b, discipline), time.monotonic(), WINDOW)
            redis.kill()
            redis.wait()
            _seconds_until(lambda: _channel(b) == "polling", time.monotonic(), WINDOW)
            acknowledged = _change(a, admin, REMOVE)
            assert _seconds_until(lambda: not _reads_comments(b, discipline),
                                  acknowledged) <= WINDOW
            # Redis returns (same port): the server subscribes again, and stays right.
            with redis_server(port):
                _seconds_until(lambda: _channel(b) == "listening", time.monotonic())
                assert not _reads_comments(b, discipline)


@needs_redis
def test_a_change_whose_announcement_never_reached_redis_applies_within_the_window(settings,
                                                                                  token):
    admin, discipline = token("demo-admin"), token("demo-discipline")
    with ExitStack() as stack:
        _, port = stack.enter_context(redis_server())
        _, elsewhere = stack.enter_context(redis_server())
        # given server B listening on Redis, and server A whose Redis is another one (its
        # announcements reach nobody): as when only A is cut off from B's Redis
        b = stack.enter_context(server(settings.database_url, f"redis://127.0.0.1:{port}/0"))
        a = stack.enter_context(server(settings.database_url,
                                       f"redis://127.0.0.1:{elsewhere}/0"))
        _seconds_until(lambda: _channel(b) == "listening", time.monotonic())
        # when A changes the policy twice, then B follows each within the window
        _absent(a, admin)
        acknowledged = _change(a, admin, ADD)
        added = _seconds_until(lambda: _reads_comments(b, discipline), acknowledged)
        acknowledged = _change(a, admin, REMOVE)
        removed = _seconds_until(lambda: not _reads_comments(b, discipline), acknowledged)
        print(f"lost announcements: applied after {added:.2f} s and {removed:.2f} s")
        assert added <= WINDOW and removed <= WINDOW
        assert _channel(b) == "listening"
