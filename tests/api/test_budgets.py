"""Operation budgets over HTTP: each measure allowed at its limit and refused just above,
per role, per partner token; a refusal answers 400 before validation and execution."""

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from sqlalchemy import text
from strawberry.extensions import SchemaExtension

import api.documents
from api.app import create_app
from api.budgets import OperationBudgets
from api.execution import CompiledExecutionContext
from tests.api.partner_helpers import Partner, in_days, register, sha256, unique, unit_ids
from tests.api.test_sql_statements import ROSTER_PAGE, counting_statements
from tests.conftest import GraphQLClient

#: The users' budget of the application under test: small, so documents stay readable.
LIMITS = {"budget_max_document_bytes": 1000, "budget_max_tokens": 40, "budget_max_depth": 4,
          "budget_max_aliases": 3, "budget_max_root_fields": 3, "budget_max_fields": 41,
          "budget_max_directives": 2, "budget_max_cost": 51,
          "budgets_by_role": {"discipline": {"depth": 6, "aliases": 1}},
          "partner_budget_max_cost": 31}

ME = "{ me { username } }"
PAGE = "query Page($n: Int!) { cadres(first: $n) { totalCount } }"  # cost 1 + n
DEPTH_6 = "{ me { cadre { unit { parent { parent { parent { name } } } } } } }"
TWO_ALIASES = "{ me { a: username b: username } }"
PARTNER_PAGE = "query PartnerPage($n: Int!) { cadres(first: $n) { edges { node { name } } } }"

#: measure → (a document at the limit, one just above, its value, its variables).
AT_AND_ABOVE: dict[str, tuple[str, str, int, dict[str, Any]]] = {
    "documentBytes": (ME + " " * (1000 - len(ME)), ME + " " * (1001 - len(ME)), 1001, {}),
    "tokens": ("{ me { username" + " username" * 34 + " } }",
               "{ me { username" + " username" * 35 + " } }", 41, {}),
    "depth": ("{ me { cadre { unit { parent { name } } } } }",
              "{ me { cadre { unit { parent { parent { name } } } } } }", 5, {}),
    "aliases": ("{ me { a: username b: username c: username } }",
                "{ me { a: username b: username c: username d: username } }", 4, {}),
    "rootFields": ("{ __typename __typename __typename }",
                   "{ __typename __typename __typename __typename }", 4, {}),
    "fields": ("{ me { ...F ...F } } fragment F on Me {" + " username" * 20 + " }",
               "{ me { ...F ...F } } fragment F on Me {" + " username" * 21 + " }", 43, {}),
    "directives": ("{ me { username @skip(if: false) roles @skip(if: false) { role } } }",
                   "{ me { username @skip(if: false) roles @skip(if: false) { role } "
                   "cadre @skip(if: false) { id } } }", 3, {}),
    "cost": (PAGE, PAGE, 52, {"n": 51}),
}
LIMIT = {"documentBytes": 1000, "tokens": 40, "depth": 4, "aliases": 3, "rootFields": 3,
         "fields": 41, "directives": 2, "cost": 51}


@pytest.fixture(scope="module")
async def budgeted(settings) -> AsyncIterator[httpx.AsyncClient]:
    """The application with the small budgets of `LIMITS`, on the test database."""
    app = create_app(settings.model_copy(update=LIMITS))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture(scope="module")
def as_budgeted(budgeted, token) -> Any:
    return lambda username: GraphQLClient(budgeted, token(username))


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body["status"] == 400, body
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OPERATION_TOO_COMPLEX"
    return error["extensions"]


def allowed(body: dict[str, Any]) -> bool:
    return body["status"] == 200 and body.get("data") is not None and not any(
        e["extensions"]["code"] == "OPERATION_TOO_COMPLEX" for e in body.get("errors") or [])


@pytest.mark.parametrize("measure", list(AT_AND_ABOVE))
async def test_an_operation_at_the_limit_is_allowed_and_one_just_above_is_refused(
        as_budgeted, measure):
    at_limit, above, value, variables = AT_AND_ABOVE[measure]
    org = as_budgeted("demo-org")

    at = await org(at_limit, **({"n": variables["n"] - 1} if variables else {}))
    refused = await org(above, **variables)

    assert allowed(at), at
    assert refusal(refused) == {"code": "OPERATION_TOO_COMPLEX", "measure": measure,
                                "value": value, "limit": LIMIT[measure]}


async def test_the_refusal_names_the_measure_value_and_limit_in_its_message(as_budgeted):
    body = await as_budgeted("demo-org")(AT_AND_ABOVE["depth"][1])
    assert body["errors"][0]["message"] == (
        "The operation is too complex: its depth is 5, the limit is 4.")


async def test_a_roles_own_limits_replace_the_defaults_for_that_role(as_budgeted):
    discipline, org = as_budgeted("demo-discipline"), as_budgeted("demo-org")

    assert allowed(await discipline(DEPTH_6))
    assert refusal(await org(DEPTH_6))["limit"] == 4
    assert refusal(await discipline(TWO_ALIASES))["limit"] == 1
    assert allowed(await org(TWO_ALIASES))


async def test_a_user_with_several_roles_gets_the_most_generous_limit_of_each(
        as_budgeted, database):
    username = f"two-roles-{uuid.uuid4().hex[:6]}"
    async with database.begin() as connection:
        await connection.execute(text(
            "INSERT INTO users (username, display_name, active, created_at) "
            "VALUES (:u, '两职', :yes, :now)"),
            {"u": username, "yes": True, "now": datetime.now(UTC)})
        for role in ("org", "discipline"):
            await connection.execute(text(
                "INSERT INTO role_assignments (user_id, role, unit_id) "
                "SELECT id, :role, 1 FROM users WHERE username = :u"),
                {"role": role, "u": username})

    both = as_budgeted(username)

    assert allowed(await both(DEPTH_6))  # discipline's depth
    assert allowed(await both(TWO_ALIASES))  # org's (the default) aliases


async def test_a_refusal_comes_before_validation(as_budgeted):
    body = await as_budgeted("demo-org")("{ me { no { such { field { here { at { all } } } } } } }")
    assert refusal(body)["measure"] == "depth"


async def test_a_document_within_budget_that_does_not_parse_answers_as_before(as_budgeted):
    body = await as_budgeted("demo-org")("{ me { username }")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "Expected Name, found <EOF>" in error["message"]


async def test_a_refusal_issues_no_sql_of_its_own(as_budgeted):
    org = as_budgeted("demo-org")
    await org("{ __typename }")  # the policy loaded, the token verified, once
    with counting_statements() as cheapest:
        await org("{ __typename }")
    with counting_statements() as refused:
        refusal(await org(PAGE, n=5000))

    # Identifying the caller, and nothing more (the unit tree comes cached with the policy,
    # so with a trusted policy channel the cheapest request issues no more either).
    # (a known account: the one statement proving it current, `api.principals`).
    assert len(refused) == 1 and "FROM users" in refused[0], refused
    assert len(cheapest) >= len(refused)


async def test_a_huge_document_is_refused_before_it_is_read(budgeted, token):
    document = "{ " + " ".join(f"a{i}: __typename" for i in range(50_000)) + " }"
    headers = {"Authorization": f"Bearer {token('demo-org')}"}

    started = time.perf_counter()
    response = await budgeted.post("/graphql", json={"query": document}, headers=headers)
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["measure"] == "documentBytes"
    assert elapsed < 0.5, elapsed  # about 20 ms alone; generous for a shared machine


async def test_a_repeated_operation_is_measured_once_per_page_size(as_budgeted, monkeypatch):
    measured: list[Any] = []
    original = api.documents.measure_operation

    def counting(*args: Any) -> Any:
        measured.append(args[3])
        return original(*args)

    monkeypatch.setattr(api.documents, "measure_operation", counting)
    org, query = as_budgeted("demo-org"), PAGE + " # measured once"

    for n in (5, 5, 5, 6, 5):
        assert allowed(await org(query, n=n))

    assert measured == [{"n": 5}, {"n": 6}]


async def test_a_partner_has_the_tighter_partner_budget(as_user, as_budgeted, budgeted):
    secret = await _partner_secret(as_user, PARTNER_PAGE)
    partner = Partner(budgeted, secret)

    at_limit = await partner.run(sha256(PARTNER_PAGE), n=10)  # cost 1 + 3 × 10
    above = await partner.run(sha256(PARTNER_PAGE), n=11)

    assert allowed(at_limit), at_limit
    assert refusal(above) == {"code": "OPERATION_TOO_COMPLEX", "measure": "cost",
                              "value": 34, "limit": 31}
    assert allowed(await as_budgeted("demo-org")(PARTNER_PAGE, n=11))


async def test_a_tokens_own_budget_loosens_or_tightens_the_partner_defaults(as_user,
                                                                           budgeted):
    looser = Partner(budgeted, await _partner_secret(as_user, PARTNER_PAGE, {"cost": 100}))
    tighter = Partner(budgeted, await _partner_secret(as_user, PARTNER_PAGE, {"cost": 10}))

    assert allowed(await looser.run(sha256(PARTNER_PAGE), n=20))
    assert allowed(await tighter.run(sha256(PARTNER_PAGE), n=3))
    assert refusal(await tighter.run(sha256(PARTNER_PAGE), n=4))["limit"] == 10


SET_BUDGET = """mutation Set($t: ID!, $b: OperationBudgetInput) {
  setPartnerTokenBudget(tokenId: $t, budget: $b) { token { id budget { cost } } } }"""


async def test_an_admin_tightens_a_live_token_from_its_next_request_and_lifts_it(as_user,
                                                                                budgeted):
    admin = as_user("demo-admin")
    issued = (await _issue(admin, PARTNER_PAGE, None))["data"]["issuePartnerToken"]
    partner, token_id = Partner(budgeted, issued["secret"]), issued["token"]["id"]
    assert allowed(await partner.run(sha256(PARTNER_PAGE), n=10))

    tightened = await admin(SET_BUDGET, t=token_id, b={"cost": 10})
    refused = await partner.run(sha256(PARTNER_PAGE), n=10)
    lifted = await admin(SET_BUDGET, t=token_id, b=None)

    assert tightened["data"]["setPartnerTokenBudget"]["token"]["budget"] == {"cost": 10}
    assert refusal(refused)["limit"] == 10
    assert lifted["data"]["setPartnerTokenBudget"]["token"]["budget"] is None
    assert allowed(await partner.run(sha256(PARTNER_PAGE), n=10))


async def test_only_the_admin_sets_a_tokens_budget(as_user):
    admin = as_user("demo-admin")
    issued = (await _issue(admin, PARTNER_PAGE, None))["data"]["issuePartnerToken"]

    body = await as_user("demo-org")(SET_BUDGET, t=issued["token"]["id"], b={"cost": 10**6})

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_admin_sees_a_tokens_own_budget(as_user):
    admin = as_user("demo-admin")
    body = await _issue(admin, PARTNER_PAGE, {"depth": 3, "cost": 500})
    token = body["data"]["issuePartnerToken"]["token"]

    listed = await admin("{ partnerTokens { id budget { depth cost aliases } } }")

    assert token["budget"] == {"depth": 3, "cost": 500, "aliases": None}
    assert {"id": token["id"], "budget": token["budget"]} in listed["data"]["partnerTokens"]


async def test_a_token_budget_below_a_minimum_is_refused(as_user):
    body = await _issue(as_user("demo-admin"), PARTNER_PAGE, {"depth": 1})
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT", "budget.depth")


async def test_the_budget_leaves_the_short_query_path_on(as_user, monkeypatch):
    paths: list[bool] = []
    original = CompiledExecutionContext._run_query

    async def spying(self: CompiledExecutionContext) -> Any:
        paths.append(self._has_middleware)
        return await original(self)

    monkeypatch.setattr(CompiledExecutionContext, "_run_query", spying)
    body = await as_user("demo-org")(ROSTER_PAGE, first=5)

    assert len(body["data"]["cadres"]["edges"]) == 5
    assert paths == [False]
    assert OperationBudgets.resolve is SchemaExtension.resolve


# -- the default budgets ----------------------------------------------------------------------

async def test_the_default_budget_admits_the_largest_roster_page_and_graphiql(as_user):
    org = as_user("demo-org")
    assert allowed(await org(ROSTER_PAGE, first=100))
    assert allowed(await org(get_introspection_query(descriptions=True)))


async def test_the_default_budget_refuses_the_unit_tree_nested_eight_deep(as_user):
    tree = "{ units { parent { children { parent { children { parent { children { parent " \
           "{ name } } } } } } } } }"
    assert refusal(await as_user("demo-org")(tree))["measure"] == "cost"


async def _issue(admin: Any, query: str, budget: dict[str, int] | None) -> dict[str, Any]:
    hashes = [await register(admin, query, "budgeted page")]
    return await admin("""mutation Issue($input: IssuePartnerTokenInput!) {
      issuePartnerToken(input: $input) { secret token { id budget { depth cost aliases } } } }""",
                       input={"name": unique("budgeted"), "agency": "统计局",
                              "scopes": ["cadre:basic"],
                              "unitIds": [(await unit_ids(admin))["C-K1"]],
                              "expiresAt": in_days(30), "operations": hashes,
                              "budget": budget})


async def _partner_secret(as_user: Any, query: str,
                          budget: dict[str, int] | None = None) -> str:
    body = await _issue(as_user("demo-admin"), query, budget)
    assert "errors" not in body, body
    return str(body["data"]["issuePartnerToken"]["secret"])
