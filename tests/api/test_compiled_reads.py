"""The compiled read path: one statement for a query's data, the resolver path for the rest."""

from typing import Any

from tests.api.test_sql_statements import counting_statements
from tests.conftest import uses_sqlite

ROSTER = """query Roster($first: Int!) { cadres(first: $first) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id name unit { name } evaluations { year grade score }
                        findings { status item { code title } } } } } }"""
WITH_PARENT = "{ cadres(first: 3) { edges { node { id unit { name parent { code } } } } } }"
WITH_COMMENT = "{ cadres(first: 3) { edges { node { id evaluations { year comment } } } } }"
JSON_FUNCTIONS = ("json_build_object", "json_object")


def _data_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if any(f in s for f in JSON_FUNCTIONS)]


async def _raw(client: Any, token: Any, account: str, query: str, **variables: Any) -> bytes:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token(account)}"})
    assert response.status_code == 200
    return response.content


async def test_the_roster_reads_its_data_in_one_statement(as_user):
    org = as_user("demo-org")
    await org(ROSTER, first=5)  # the plan is compiled by the first request
    with counting_statements() as statements:
        body = await org(ROSTER, first=20)
    assert len(body["data"]["cadres"]["edges"]) == 20
    assert body["data"]["cadres"]["pageInfo"]["hasNextPage"] is True
    assert len(_data_statements(statements)) == 1
    # The rest identify the caller and his policy (cached by the request path in time).
    assert len(statements) <= 3, statements


async def test_a_field_the_compiler_does_not_know_runs_on_the_resolver_path(as_user):
    org = as_user("demo-org")
    with counting_statements() as statements:
        body = await org(WITH_PARENT)
    assert _data_statements(statements) == []
    units = [edge["node"]["unit"] for edge in body["data"]["cadres"]["edges"]]
    assert all(unit["parent"] is None or unit["parent"]["code"] for unit in units)
    assert "errors" not in body


async def test_an_argument_the_resolver_refuses_is_refused_as_it_does(as_user):
    with counting_statements() as statements:
        body = await as_user("demo-org")(ROSTER, first=-1)
    assert _data_statements(statements) == []
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "first"


async def test_an_answer_without_denials_is_the_databases_json_text(client, token):
    raw = await _raw(client, token, "demo-org", WITH_COMMENT)
    if not uses_sqlite():  # PostgreSQL writes `"key" : value`; orjson never does
        assert b'"cadres" : ' in raw
    assert b'"errors"' not in raw


async def test_an_answer_with_denials_is_the_databases_json_text_with_its_errors(client,
                                                                                 token):
    raw = await _raw(client, token, "demo-discipline", WITH_COMMENT)
    if not uses_sqlite():
        assert b'"cadres" : ' in raw
    assert b'"comment" : null' in raw or b'"comment":null' in raw
    assert b'"deniedCount"' in raw


async def test_a_page_with_denials_is_read_once_for_its_data_and_their_skeleton(as_user):
    # A second pass over the page has PostgreSQL materialize it (bench/roster.py, the
    # denied comment's cost to PostgreSQL per request: 119 µs with two passes, 106 in one).
    discipline = as_user("demo-discipline")
    await discipline(WITH_COMMENT)  # the plan is compiled by the first request
    with counting_statements() as statements:
        body = await discipline(WITH_COMMENT)
    assert body["errors"][0]["extensions"]["deniedCount"] > 0
    [statement] = _data_statements(statements)
    assert statement.count("FROM w0") == 1, statement


async def test_a_key_longer_than_a_column_name_is_answered_whole(as_user):
    # PostgreSQL keeps 63 bytes of a column name: an object with a longer key is built
    # by json_build_object instead of as a row (api.compiler._Json.object).
    org, key = as_user("demo-org"), "k" * 70
    query = ("{ cadres(first: 3) { edges { node { KEY: name evaluations { year KEY: grade } "
             "} } } }").replace("KEY", key)
    await org(query)  # the plan is compiled by the first request
    with counting_statements() as statements:
        body = await org(query)
    assert len(_data_statements(statements)) == 1
    named = await org("{ cadres(first: 3) { edges { node { name evaluations { year grade } "
                      "} } } }")
    assert [edge["node"][key] for edge in body["data"]["cadres"]["edges"]] == \
        [edge["node"]["name"] for edge in named["data"]["cadres"]["edges"]]
    assert [[evaluation[key] for evaluation in edge["node"]["evaluations"]]
            for edge in body["data"]["cadres"]["edges"]] == \
        [[evaluation["grade"] for evaluation in edge["node"]["evaluations"]]
         for edge in named["data"]["cadres"]["edges"]]
