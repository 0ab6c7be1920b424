"""A known caller's query on the compiled path is one SQL statement: the plan's statement
carries the caller's account check (and the policy version when the policy channel is not
trusted). A change to the account, its roles or the policy, made elsewhere, still applies
at the very next request: the answer computed for the stale caller is dropped and the
operation runs again for the caller read anew."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from api.app import create_app
from api.compiler import RUNS
from api.settings import Settings
from db.audit import stored
from db.models import AuditEvent
from domain.audit import content_matches
from tests.api.test_sql_statements import counting_statements
from tests.conftest import uses_sqlite

PAGE = """query Page($first: Int!) { cadres(first: $first) { totalCount edges { node {
  id name unit { name } evaluations { year grade score }
  findings { status item { code title } } } } } }"""
AUDITED_PAGE = "{ cadres(first: 3) { edges { node { id idNumber } } } }"
COMMENTS = "{ cadres(first: 3) { edges { node { evaluations { comment } } } } }"
AUDITED_WITH_COMMENTS = """{ cadres(first: 3) { edges { node { id idNumber
  evaluations { comment } } } } }"""
RULE = {"ptype": "p", "values": ["discipline", "jurisdiction", "evaluation:comment", "read"]}
ADD = "mutation A($input: PolicyRuleInput!) { addPolicyRule(input: $input) { version } }"
REMOVE = "mutation R($input: PolicyRuleInput!) { removePolicyRule(input: $input) { version } }"


async def _served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The application, its policy channel untrusted (no Redis): each statement reads the
    policy version along."""
    async for http in _served(settings.model_copy(update={"redis_url": None})):
        yield http


@pytest.fixture
async def other_server(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second server on the same database, where changes are made."""
    async for http in _served(settings.model_copy(update={"redis_url": None})):
        yield http


async def _post(http: httpx.AsyncClient, bearer: str, query: str,
                **variables: Any) -> tuple[int, dict[str, Any]]:
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": f"Bearer {bearer}"})
    return response.status_code, response.json()


async def _sql(database: Any, statement: str, **values: Any) -> None:
    async with database.begin() as connection:
        await connection.execute(text(statement), values)


def _forbidden(body: dict[str, Any]) -> bool:
    return any(e["extensions"]["code"] == "FORBIDDEN" for e in body.get("errors") or ())


async def test_a_known_callers_roster_page_is_one_statement(server, token, account):
    # given an account the server has read once
    bearer = token(await account("one-statement", [("org", 1)]))
    status, first = await _post(server, bearer, PAGE, first=20)
    assert status == 200 and len(first["data"]["cadres"]["edges"]) == 20
    planned = RUNS["planned"]
    # when it asks for the page again
    with counting_statements() as statements:
        status, body = await _post(server, bearer, PAGE, first=20)
    # then one statement answered it, on a plan, checking the account along
    assert status == 200 and body == first
    assert RUNS["planned"] == planned + 1
    assert len(statements) == 1, statements
    assert "users" in statements[0] and "cadres" in statements[0]


async def test_audited_fields_add_only_the_audit_append(server, token, account):
    bearer = token(await account("audited-one", [("org", 1)]))
    await _post(server, bearer, AUDITED_PAGE)
    with counting_statements() as statements:
        status, body = await _post(server, bearer, AUDITED_PAGE)
    assert status == 200 and len(body["data"]["cadres"]["edges"]) == 3
    plan, *appended = statements
    assert "FROM cadres" in plan and "users" in plan, plan
    if uses_sqlite():
        # the plan's statement, then the append of the audited read's event: nothing else
        assert appended and all("audit" in s for s in appended), appended
    else:
        # on PostgreSQL the plan's statement appends the event itself (api.recorded_reads)
        assert appended == [] and "INSERT INTO audit_events" in plan, statements
    # twin: the same page without the audited field is the plan's statement alone
    with counting_statements() as statements:
        await _post(server, bearer, PAGE, first=3)
    assert len(statements) == 1, statements


async def test_a_deactivation_refuses_the_next_compiled_request(server, token, account,
                                                                database):
    username = await account("compiled-deactivated", [("org", 1)])
    bearer = token(username)
    assert (await _post(server, bearer, PAGE, first=5))[0] == 200
    assert (await _post(server, bearer, PAGE, first=5))[0] == 200  # known: proven along
    await _sql(database, "UPDATE users SET active = :no WHERE username = :name",
               no=False, name=username)
    with counting_statements() as statements:
        status, _ = await _post(server, bearer, PAGE, first=5)
    assert status == 401
    assert not any("INSERT" in s for s in statements), statements
    # twin: active again, the same token is served again
    await _sql(database, "UPDATE users SET active = :yes WHERE username = :name",
               yes=True, name=username)
    assert (await _post(server, bearer, PAGE, first=5))[0] == 200


async def test_revoked_tokens_are_refused_at_the_next_compiled_request(server, token, account,
                                                                       database):
    username = await account("compiled-revoked", [("org", 1)])
    bearer = token(username)
    assert (await _post(server, bearer, PAGE, first=5))[0] == 200
    assert (await _post(server, bearer, PAGE, first=5))[0] == 200
    await _sql(database, "UPDATE users SET token_generation = token_generation + 1 "
                         "WHERE username = :name", name=username)
    assert (await _post(server, bearer, PAGE, first=5))[0] == 401
    # twin: a token of the new generation is served
    assert (await _post(server, token(username, fresh=True), PAGE, first=5))[0] == 200


async def test_a_role_change_applies_at_the_next_compiled_request(server, token, account,
                                                                  database):
    # given an org officer of one county, known to the server
    username = await account("compiled-moved", [("org", 2)])
    bearer = token(username)
    await _post(server, bearer, PAGE, first=5)
    county = (await _post(server, bearer, PAGE, first=5))[1]["data"]["cadres"]["totalCount"]
    # when his role is moved to the whole city by SQL
    await _sql(database, "UPDATE role_assignments SET unit_id = 1 WHERE user_id = "
                         "(SELECT id FROM users WHERE username = :name)", name=username)
    # then the very next page counts the city
    city = (await _post(server, bearer, PAGE, first=5))[1]["data"]["cadres"]["totalCount"]
    assert city > county
    # and when the role is deleted, the next page is empty
    await _sql(database, "DELETE FROM role_assignments WHERE user_id = "
                         "(SELECT id FROM users WHERE username = :name)", name=username)
    status, body = await _post(server, bearer, PAGE, first=5)
    assert status == 200 and body["data"]["cadres"]["totalCount"] == 0


async def test_a_newer_policy_read_along_is_planned_again(server, other_server, token):
    admin, discipline = token("demo-admin"), token("demo-discipline")
    await _post(other_server, admin, REMOVE, input=RULE)  # given: the rule not held
    await _post(server, discipline, COMMENTS)
    status, body = await _post(server, discipline, COMMENTS)
    assert status == 200 and _forbidden(body)
    try:
        # when another server adds the grant (this one is not told: no Redis)
        status, added = await _post(other_server, admin, ADD, input=RULE)
        assert status == 200 and "errors" not in added, added
        planned = RUNS["planned"]
        # then the next request reads the newer version along and is planned again
        status, body = await _post(server, discipline, COMMENTS)
        assert status == 200 and not _forbidden(body), body
        assert RUNS["planned"] == planned + 2
    finally:
        await _post(other_server, admin, REMOVE, input=RULE)
    # twin: the removal applies the same way
    status, body = await _post(server, discipline, COMMENTS)
    assert _forbidden(body)


async def _events_of(database: Any, username: str) -> list[Any]:
    events = AuditEvent.__table__
    async with database.connect() as connection:
        return list((await connection.execute(
            select(events).where(events.c.actor == username).order_by(events.c.id))).all())


async def test_an_audited_answer_records_exactly_the_ids_it_returned(server, token, account,
                                                                     database):
    # given an org officer reading identity numbers, his account known to the server
    username = await account("compiled-recorded", [("org", 1)])
    bearer = token(username)
    await _post(server, bearer, PAGE, first=1)
    # when he reads a page with identity numbers
    status, body = await _post(server, bearer, AUDITED_PAGE)
    # then one read event names the cadres whose number he was shown, and verifies
    assert status == 200
    shown = sorted(int(edge["node"]["id"]) for edge in body["data"]["cadres"]["edges"]
                   if edge["node"]["idNumber"] is not None)
    [event] = await _events_of(database, username)
    assert (event.operation, event.record_type, event.fields) == ("read", "Cadre",
                                                                  ["idNumber"])
    assert event.record_ids == shown
    assert content_matches(stored(event))
    # twin: the page without the audited field records nothing
    await _post(server, bearer, PAGE, first=3)
    assert len(await _events_of(database, username)) == 1


async def test_an_audited_answer_with_a_denied_field_records_its_read_and_the_denial(
        server, token, account, database):
    # given a discipline inspector, who reads identity numbers but no evaluator's comment
    username = await account("compiled-recorded-denied", [("discipline", 1)])
    bearer = token(username)
    await _post(server, bearer, PAGE, first=1)
    # when he reads a page with both
    status, body = await _post(server, bearer, AUDITED_WITH_COMMENTS)
    # then the comments are null, their denial reported once, and his read recorded
    assert status == 200
    nodes = [edge["node"] for edge in body["data"]["cadres"]["edges"]]
    comments = [e["comment"] for node in nodes for e in node["evaluations"]]
    assert comments and set(comments) == {None}
    [denial] = body["errors"]
    assert denial["extensions"]["field"] == "Evaluation.comment"
    assert denial["extensions"]["deniedCount"] == len(comments)
    [event] = await _events_of(database, username)
    assert event.record_ids == sorted(int(node["id"]) for node in nodes if node["idNumber"])


async def test_an_answer_dropped_for_a_changed_account_records_no_read(server, token, account,
                                                                       database):
    # given an officer known to the server, then deactivated behind its back
    username = await account("compiled-recorded-dropped", [("org", 1)])
    bearer = token(username)
    assert (await _post(server, bearer, PAGE, first=1))[0] == 200
    await _sql(database, "UPDATE users SET active = :no WHERE username = :name",
               no=False, name=username)
    # when his token asks for identity numbers
    status, _ = await _post(server, bearer, AUDITED_PAGE)
    # then he is refused, and no read is on the record: nothing was shown
    assert status == 401
    assert await _events_of(database, username) == []
