"""A partner agency on a scoped token, over HTTP: registered operations only, its units only,
its scopes' fields only, and a schema that shows nothing more."""

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.helpers import nodes
from tests.api.partner_helpers import Partner, issue, register, sha256, subtree_codes, unit_ids

ROSTER = """query PartnerRoster($first: Int!) { cadres(first: $first) { totalCount
  edges { node { id name position unit { code } evaluations { year grade } } } } }"""
ONE = "query PartnerCadre($id: ID!) { cadre(id: $id) { id name position } }"
INTROSPECT = """query PartnerSchema { __schema { mutationType { name }
  types { name fields { name } } } }"""
BY_ROLE = """query PartnerByRole($role: LeadershipRole) {
  cadres(first: 1, filter: {leadershipRole: $role}) { totalCount } }"""
PERSONAL = "query PartnerPersonal { cadres(first: 5) { edges { node { name idNumber } } } }"
FINDINGS = """query PartnerFindings {
  cadres(first: 5) { edges { node { name findings { status } } } } }"""
MUTATION = """mutation { updateCadre(input: {id: "1", version: 1, position: "x"}) {
  cadre { id } } }"""
USER_ROSTER = """query R($first: Int!) { cadres(first: $first) { totalCount
  edges { node { id unit { code } } } } }"""


@dataclass
class Setup:
    partner: Partner
    token_id: str
    secret: str


@pytest.fixture(scope="module")
async def partner(client: Any, as_user: Any) -> Setup:
    """A token for 鹤城区 (C-K1) and its subunits, with cadre:basic and evaluation:grade, and
    the roster, one-cadre, introspection and by-role operations."""
    admin = as_user("demo-admin")
    hashes = [await register(admin, query, name) for query, name in
              ((ROSTER, "roster"), (ONE, "one cadre"), (INTROSPECT, "introspection"),
               (BY_ROLE, "by role"))]
    await register(admin, PERSONAL, "personal")
    await register(admin, FINDINGS, "findings")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]], operations=hashes)
    payload = body["data"]["issuePartnerToken"]
    return Setup(Partner(client, payload["secret"]), payload["token"]["id"], payload["secret"])


async def test_the_partner_reads_names_posts_and_grades_of_cadres_in_its_units(partner,
                                                                               as_user):
    body = await partner.partner.run(sha256(ROSTER), first=100)

    assert body["status"] == 200 and "errors" not in body
    found = nodes(body)
    assert found and all(n["name"] and n["position"] for n in found)
    assert any(e["grade"] and e["year"] for n in found for e in n["evaluations"])
    county = await subtree_codes(as_user("demo-admin"), "C-K1")
    assert {n["unit"]["code"] for n in found} <= county
    same_county = await as_user("demo-org-county")(USER_ROSTER, first=1)
    assert body["data"]["cadres"]["totalCount"] == same_county["data"]["cadres"]["totalCount"]


async def test_a_token_without_subunits_reads_only_its_own_unit(client, as_user):
    admin = as_user("demo-admin")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]], includeSubunits=False,
                       operations=[await register(admin, ROSTER)])
    payload = body["data"]["issuePartnerToken"]

    answer = await Partner(client, payload["secret"]).run(sha256(ROSTER), first=100)

    assert {n["unit"]["code"] for n in nodes(answer)} <= {"C-K1"}
    assert payload["token"]["includeSubunits"] is False


async def test_a_cadre_outside_the_tokens_units_is_absent(partner, as_user):
    others = await as_user("demo-org")(USER_ROSTER, first=100)
    county = await subtree_codes(as_user("demo-admin"), "C-K1")
    outside = next(n["id"] for n in nodes(others) if n["unit"]["code"] not in county)
    inside = next(n["id"] for n in nodes(others) if n["unit"]["code"] in county)

    hidden = await partner.partner.run(sha256(ONE), id=outside)
    missing = await partner.partner.run(sha256(ONE), id="999999")
    shown = await partner.partner.run(sha256(ONE), id=inside)

    assert hidden == missing == {"data": {"cadre": None}, "status": 200}
    assert shown["data"]["cadre"]["id"] == inside


async def test_introspection_shows_only_the_partners_slice(partner):
    body = await partner.partner.run(sha256(INTROSPECT))

    types = {t["name"]: {f["name"] for f in t["fields"] or []}
             for t in body["data"]["__schema"]["types"]}
    assert body["data"]["__schema"]["mutationType"] is None
    assert types["Query"] == {"cadres", "cadre", "units", "unit"}
    assert types["Cadre"] == {"id", "name", "gender", "unit", "position", "rank",
                              "leadershipRole", "status", "version", "evaluations"}
    assert types["Evaluation"] == {"id", "year", "period", "grade"}
    assert not {"Finding", "AuditEvent", "PartnerToken", "UserAccount", "Mutation",
                "AdjustmentCase", "DimensionScores"} & types.keys()


async def test_a_user_sees_by_introspection_only_what_his_roles_can_read(as_user):
    body = await as_user("demo-org")(INTROSPECT)
    types = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Finding", "Mutation", "Cadre"} <= types
    assert not {"PartnerToken", "AuditEvent"} & types


async def test_the_admin_sees_by_introspection_tokens_but_no_cadre_records(as_user):
    body = await as_user("demo-admin")(INTROSPECT)
    types = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"PartnerToken", "AuditEvent"} <= types
    assert not {"Finding", "Evaluation"} & types


async def test_personal_fields_and_findings_cannot_be_assigned_to_the_token(partner, as_user):
    admin = as_user("demo-admin")
    for query in (PERSONAL, FINDINGS):
        body = await admin("""mutation A($t: ID!, $h: [String!]!) {
          allowPartnerOperations(tokenId: $t, hashes: $h) { token { id } } }""",
                           t=partner.token_id, h=[sha256(query)])
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "hashes"


async def test_an_assigned_operation_outside_the_scopes_is_refused_at_run_time(partner,
                                                                               database):
    # As if the policy had narrowed after the operation was assigned.
    async with database.begin() as connection:
        await connection.execute(text("INSERT INTO token_operations (token_id, sha256) "
                                      "VALUES (:t, :h)"),
                                 {"t": int(partner.token_id), "h": sha256(PERSONAL)})

    body = await partner.partner.run(sha256(PERSONAL))

    assert body["status"] == 403 and body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "idNumber" not in error["message"]


async def test_query_text_from_a_partner_is_refused(partner, as_user):
    body = await partner.partner.post({"query": "{ cadres(first: 1) { totalCount } }"})
    with_hash = await partner.partner.post({"query": ROSTER, "variables": {"first": 1},
                                            "extensions": {"persistedQuery": {
                                                "version": 1, "sha256Hash": sha256(ROSTER)}}})
    user = await as_user("demo-org")("{ cadres(first: 1) { totalCount } }")

    for refused in (body, with_hash):
        assert refused["status"] == 403 and refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert user["status"] == 200 and user["data"]["cadres"]["totalCount"] > 0


@pytest.mark.parametrize("sha", ["0" * 64, "not-a-hash", 42], ids=["unknown", "malformed",
                                                                    "not a string"])
async def test_an_unknown_hash_is_not_found(partner, sha):
    body = await partner.partner.run(sha)
    assert body["status"] == 404
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_registered_but_unassigned_hash_answers_as_an_unknown_one(partner, as_user):
    admin = as_user("demo-admin")
    sha = await register(admin, "query Unassigned { units { code } }", "unassigned")
    unassigned = await partner.partner.run(sha)
    unknown = await partner.partner.run("f" * 64)
    assert unassigned == unknown
    assert unassigned["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_request_naming_no_operation_is_refused(partner):
    body = await partner.partner.post({"variables": {}})
    assert body["status"] == 400
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("payload", [[{"query": "{ units { id } }"}], "text"],
                         ids=["batch", "not an object"])
async def test_a_body_that_is_not_one_operation_is_a_bad_request(partner, payload):
    body = await partner.partner.post(payload)
    assert body["status"] == 400
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_partner_mutation_is_forbidden(partner, count_rows):
    before = await count_rows("audit_events")
    body = await partner.partner.post({"query": MUTATION})
    assert body["status"] == 403
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count_rows("audit_events") == before


async def test_errors_give_nobody_suggestions(partner, as_user):
    body = await partner.partner.run(sha256(BY_ROLE), role="DEPUT")
    user = await as_user("demo-org")(BY_ROLE, role="DEPUT")
    typo = await as_user("demo-org")("{ cadres(first: 1) { edges { node { nam } } } }")
    assert body["errors"] and "Did you mean" not in body["errors"][0]["message"]
    assert user["errors"] and "Did you mean" not in user["errors"][0]["message"]
    assert typo["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in typo["errors"][0]["message"]
