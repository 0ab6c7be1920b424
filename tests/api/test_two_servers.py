"""Two real server processes sharing PostgreSQL and Redis: a policy change made on one
takes effect on the other within 2 seconds, also while Redis is away."""

import os
import shutil
import time

import httpx
import pytest

from tests.api.processes import REDIS_PORTS, free_port, redis_server, server

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and shutil.which("redis-server")),
    reason="needs PostgreSQL (TEST_DATABASE_URL) and a redis-server binary")

COMMENTS = {"query": "{ cadres(first: 3) { edges { node { evaluations { comment } } } } }"}
RULE = {"ptype": "p", "values": ["discipline", "jurisdiction", "evaluation:comment", "read"]}
ADD = "mutation A($input: PolicyRuleInput!) { addPolicyRule(input: $input) { version } }"
REMOVE = "mutation R($input: PolicyRuleInput!) { removePolicyRule(input: $input) { version } }"
DEADLINE = 2.0


def _post(url: str, token: str, body: dict) -> dict:
    response = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"},
                          timeout=5)
    return response.json()


def _denied(url: str, token: str) -> bool:
    errors = _post(url, token, COMMENTS).get("errors") or []
    return any(e["extensions"]["code"] == "FORBIDDEN" for e in errors)


def _within_deadline(check, expected: bool) -> float:  # noqa: ANN001
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE:
        if check() == expected:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not {expected} within {DEADLINE} s")


def test_a_policy_change_on_one_server_reaches_the_other_within_two_seconds(settings, token):
    admin, discipline = token("demo-admin"), token("demo-discipline")
    redis_port = free_port(REDIS_PORTS)
    with redis_server(redis_port) as (redis_process, _):
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        with server(settings.database_url, redis_url) as a, \
                server(settings.database_url, redis_url) as b:
            _within_channel(a, "listening")
            _within_channel(b, "listening")
            assert _denied(b, discipline)
            _post(a, admin, {"query": ADD, "variables": {"input": RULE}})
            _within_deadline(lambda: _denied(b, discipline), False)
            _post(a, admin, {"query": REMOVE, "variables": {"input": RULE}})
            _within_deadline(lambda: _denied(b, discipline), True)

            # Redis goes away: B must not keep a stale, wider policy (fail closed).
            redis_process.kill()
            redis_process.wait()
            _within_channel(b, "polling")
            _post(a, admin, {"query": ADD, "variables": {"input": RULE}})
            _within_deadline(lambda: _denied(b, discipline), False)
            _post(a, admin, {"query": REMOVE, "variables": {"input": RULE}})
            _within_deadline(lambda: _denied(b, discipline), True)

            # Redis returns: the same servers listen again.
            with redis_server(redis_port):
                _within_channel(a, "listening", seconds=5)
                _within_channel(b, "listening", seconds=5)
                _post(a, admin, {"query": ADD, "variables": {"input": RULE}})
                _within_deadline(lambda: _denied(b, discipline), False)
                _post(a, admin, {"query": REMOVE, "variables": {"input": RULE}})
                _within_deadline(lambda: _denied(b, discipline), True)


def _within_channel(url: str, state: str, seconds: float = 3) -> None:
    health = url.replace("/graphql", "/healthz")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if httpx.get(health, timeout=1).json()["policyChannel"] == state:
            return
        time.sleep(0.05)
    raise AssertionError(f"{health} not {state} within {seconds} s")


PARTNER_QUERY = "query TwoServers { cadres(first: 1) { edges { node { name } } } }"


def test_a_token_revoked_on_one_server_is_refused_by_the_other_within_two_seconds(settings,
                                                                                  token):
    from tests.api.partner_helpers import ISSUE, REGISTER, REVOKE, in_days, sha256, unique

    admin = token("demo-admin")
    redis_port = free_port(REDIS_PORTS)
    with redis_server(redis_port):
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        with server(settings.database_url, redis_url) as a, \
                server(settings.database_url, redis_url) as b:
            _post(a, admin, {"query": REGISTER,
                             "variables": {"input": {"name": "two-servers",
                                                     "query": PARTNER_QUERY}}})
            issued = _post(a, admin, {"query": ISSUE, "variables": {"input": {
                "name": unique("two-servers"), "agency": "统计局", "scopes": ["cadre:basic"],
                "unitIds": ["2"], "expiresAt": in_days(30),
                "operations": [sha256(PARTNER_QUERY)]}}})["data"]["issuePartnerToken"]
            secret, token_id = issued["secret"], issued["token"]["id"]
            persisted = {"extensions": {"persistedQuery": {
                "version": 1, "sha256Hash": sha256(PARTNER_QUERY)}}}

            def refused() -> bool:
                response = httpx.post(b, json=persisted, timeout=5,
                                      headers={"Authorization": f"Bearer {secret}"})
                return response.status_code == 401

            assert not refused()
            _post(a, admin, {"query": REVOKE, "variables": {"id": token_id}})
            _within_deadline(refused, True)
