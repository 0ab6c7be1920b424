"""Every "at most one" rule holds under 20 concurrent calls spread over two real server
processes on PostgreSQL: one call succeeds, the others answer CONFLICT, never INTERNAL,
and the database holds one row."""

import asyncio
import os
from collections import Counter
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import text

from tests.api.processes import server
from tests.api.test_cases import OPEN, _new_cadre_with_finding
from tests.api.test_policy_admin import ADD, ASSIGN, REMOVE

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="races are shown on PostgreSQL (TEST_DATABASE_URL)")
CALLS = 20


@pytest.fixture(scope="module")
def servers(settings):
    with ExitStack() as stack:
        yield [stack.enter_context(server(settings.database_url)) for _ in range(2)]


async def _race(servers: list[str], bearer: str, query: str, variables: dict) -> Counter:
    """The error codes (or "OK") of CALLS identical calls fired at once at both servers."""
    headers = {"Authorization": f"Bearer {bearer}"}
    async with httpx.AsyncClient(timeout=30) as http:
        responses = await asyncio.gather(*(
            http.post(servers[i % len(servers)], headers=headers,
                      json={"query": query, "variables": variables})
            for i in range(CALLS)))
    outcomes: Counter = Counter()
    for response in responses:
        errors = response.json().get("errors")
        outcomes[errors[0]["extensions"]["code"] if errors else "OK"] += 1
    return outcomes


async def _count(database, sql: str, **params) -> int:
    async with database.connect() as connection:
        return int((await connection.execute(text(sql), params)).scalar_one())


async def test_twenty_concurrent_openings_for_one_cadre_open_one_case(
        as_user, token, servers, database):
    # given a cadre with a confirmed finding and no case
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    # when 20 openings on that finding race
    outcomes = await _race(servers, token("demo-org"), OPEN,
                           {"input": {"cadreId": cadre_id, "findingIds": [finding_id]}})
    # then one opened it and the others were told it exists
    assert outcomes == {"OK": 1, "CONFLICT": CALLS - 1}
    assert await _count(database, "SELECT count(*) FROM adjustment_cases "
                        "WHERE cadre_id = :id", id=int(cadre_id)) == 1


async def test_twenty_concurrent_additions_of_one_rule_store_it_once(token, servers,
                                                                     database, as_user):
    # given a rule the policy does not hold (the cadre reading informants: never granted)
    rule = {"ptype": "p", "values": ["cadre", "self", "finding:informant", "read"]}
    # when 20 additions of it race
    outcomes = await _race(servers, token("demo-admin"), ADD,
                           {"input": rule})
    # then it is stored once, and the others were told so
    assert outcomes == {"OK": 1, "CONFLICT": CALLS - 1}
    assert await _count(database, "SELECT count(*) FROM casbin_rule WHERE ptype = 'p' AND "
                        "v0 = 'cadre' AND v2 = 'finding:informant' AND v3 = 'read'") == 1
    assert "errors" not in await as_user("demo-admin")(REMOVE, input=rule)


@pytest.mark.parametrize(("role", "unit_code"), [("CADRE", None), ("ORG", "C-K3")])
async def test_twenty_concurrent_assignments_of_one_role_store_it_once(
        token, servers, database, account, role, unit_code):
    # given an account without roles
    username = await account("racer", [])
    # when 20 assignments of the same holding race (unit-less roles included)
    outcomes = await _race(servers, token("demo-admin"), ASSIGN,
                           {"input": {"username": username, "role": role,
                                      "unitCode": unit_code}})
    # then one holds and the rest answer CONFLICT, never INTERNAL
    assert outcomes == {"OK": 1, "CONFLICT": CALLS - 1}
    assert await _count(database, "SELECT count(*) FROM role_assignments r JOIN users u "
                        "ON u.id = r.user_id WHERE u.username = :name", name=username) == 1


async def test_concurrent_admin_and_data_roles_never_end_on_one_account(token, servers,
                                                                        database, account):
    # given an account without roles
    username = await account("contested", [])
    headers = {"Authorization": f"Bearer {token('demo-admin')}"}
    holdings = [{"username": username, "role": "ADMIN"},
                {"username": username, "role": "ORG", "unitCode": "C"}]
    # when the admin role and a data role are assigned 20 times at once, interleaved
    async with httpx.AsyncClient(timeout=30) as http:
        responses = await asyncio.gather(*(
            http.post(servers[i % 2], headers=headers,
                      json={"query": ASSIGN, "variables": {"input": holdings[i % 2]}})
            for i in range(CALLS)))
    codes = Counter((r.json().get("errors") or [{"extensions": {"code": "OK"}}])[0][
        "extensions"]["code"] for r in responses)
    # then one assignment won, the rest were refused by a rule, and the account holds one
    assert codes["OK"] == 1 and codes["OK"] + codes["FORBIDDEN"] + codes["CONFLICT"] == CALLS
    assert await _count(database, "SELECT count(*) FROM role_assignments r JOIN users u "
                        "ON u.id = r.user_id WHERE u.username = :name", name=username) == 1
