"""Policy administration and explanations, by the system admin only, on the audit trail."""

import pytest

from tests.api.helpers import errors_by_code

ADD = """mutation A($input: PolicyRuleInput!) { addPolicyRule(input: $input) { version } }"""
REMOVE = """mutation R($input: PolicyRuleInput!) { removePolicyRule(input: $input) { version } }"""
POLICY = "{ policy(ptype: \"p\") { version rules { ptype values } } }"
EXPLAIN = """query E($user: String!, $type: String!, $field: String!, $id: ID) {
  explainAccess(principal: $user, type: $type, field: $field, recordId: $id) {
    granted reason rule role relation } }"""
EXPLAIN_EACH = """query E($user: String!, $type: String!, $field: String!, $id: ID) {
  explainAccess(principal: $user, type: $type, field: $field, recordId: $id) {
    granted reason rule role relation relations { role relation granted reason rule } } }"""
ASSIGN = """mutation G($input: RoleHoldingInput!) { assignRole(input: $input) { username } }"""
REVOKE = """mutation V($input: RoleHoldingInput!) { revokeRole(input: $input) { username } }"""
COMMENTS = "{ cadres(first: 3) { edges { node { evaluations { comment } } } } }"
GRANT_COMMENTS = {"ptype": "p",
                  "values": ["discipline", "jurisdiction", "evaluation:comment", "read"]}


async def test_admin_adds_a_rule_that_takes_effect_at_once_and_removes_it(as_user):
    admin, discipline = as_user("demo-admin"), as_user("demo-discipline")
    before = (await admin(POLICY))["data"]["policy"]["version"]
    assert errors_by_code(await discipline(COMMENTS), "FORBIDDEN")
    added = await admin(ADD, input=GRANT_COMMENTS)
    assert added["data"]["addPolicyRule"]["version"] == before + 1
    assert not errors_by_code(await discipline(COMMENTS), "FORBIDDEN")
    removed = await admin(REMOVE, input=GRANT_COMMENTS)
    assert removed["data"]["removePolicyRule"]["version"] == before + 2
    assert errors_by_code(await discipline(COMMENTS), "FORBIDDEN")


async def test_policy_changes_are_on_the_audit_trail(as_user):
    admin = as_user("demo-admin")
    await admin(ADD, input=GRANT_COMMENTS)
    await admin(REMOVE, input=GRANT_COMMENTS)
    trail = (await admin("""{ auditEvents(filter: {recordType: "PolicyRule"}, first: 100) {
      edges { node { operation actor fields } } } }"""))["data"]["auditEvents"]["edges"]
    operations = [e["node"]["operation"] for e in trail]
    assert {"addPolicyRule", "removePolicyRule"} <= set(operations)
    assert all(e["node"]["actor"] == "demo-admin" for e in trail)


@pytest.mark.parametrize(("rule", "field"), [
    ({"ptype": "x", "values": ["a", "b"]}, "ptype"),
    ({"ptype": "p", "values": ["org", "jurisdiction", "cadre:basic"]}, "values"),
    ({"ptype": "p", "values": ["org", "everywhere", "cadre:basic", "read"]}, "values"),
    ({"ptype": "p", "values": ["org", "jurisdiction", "cadre:basic", "delete"]}, "values"),
    ({"ptype": "g2", "values": ["Cadre.name", "a,b"]}, "values"),
])
async def test_malformed_rules_are_bad_input_and_change_nothing(as_user, rule, field):
    admin = as_user("demo-admin")
    before = (await admin(POLICY))["data"]["policy"]["version"]
    body = await admin(ADD, input=rule)
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == field
    assert (await admin(POLICY))["data"]["policy"]["version"] == before


async def test_duplicates_missing_rules_and_the_lifeline_are_refused(as_user):
    admin = as_user("demo-admin")
    existing = {"ptype": "p", "values": ["org", "jurisdiction", "cadre:basic", "read"]}
    assert errors_by_code(await admin(ADD, input=existing), "CONFLICT")
    assert errors_by_code(await admin(REMOVE, input=GRANT_COMMENTS), "NOT_FOUND")
    lifeline = {"ptype": "p", "values": ["admin", "system", "admin:policy", "write"]}
    assert errors_by_code(await admin(REMOVE, input=lifeline), "CONFLICT")


@pytest.mark.parametrize("account", ["demo-org", "demo-discipline", "demo-cadre"])
async def test_only_the_admin_administers_the_policy(as_user, account):
    user = as_user(account)
    assert errors_by_code(await user(ADD, input=GRANT_COMMENTS), "FORBIDDEN")
    assert errors_by_code(await user(POLICY), "FORBIDDEN")
    assert errors_by_code(await user(EXPLAIN, user="demo-org", type="Cadre", field="name"),
                          "FORBIDDEN")


async def test_explanations_name_the_deciding_rule_and_a_stable_reason(as_user):
    admin = as_user("demo-admin")
    allowed = (await admin(EXPLAIN, user="demo-org", type="Cadre", field="idNumber"))[
        "data"]["explainAccess"]
    assert allowed == {"granted": True, "reason": "ALLOWED",
                       "rule": ["org", "jurisdiction", "cadre:personal", "read"],
                       "role": "org", "relation": "jurisdiction"}
    denied = (await admin(EXPLAIN, user="demo-org", type="Finding", field="informant"))[
        "data"]["explainAccess"]
    assert (denied["granted"], denied["reason"]) == (False, "NOT_GRANTED")
    unknown = (await admin(EXPLAIN, user="demo-org", type="Cadre", field="salary"))[
        "data"]["explainAccess"]
    assert unknown["reason"] == "UNKNOWN_FIELD"


async def test_an_explanation_gives_the_policy_decision_for_each_relation(as_user):
    # given the cadre himself, who stands in the relations self and self_finalised
    admin = as_user("demo-admin")
    # when the admin asks about evaluation comments without naming a record
    body = await admin(EXPLAIN_EACH, user="demo-cadre", type="Evaluation", field="comment")
    # then each relation answers on its own
    each = {(r["relation"], r["granted"]) for r in body["data"]["explainAccess"]["relations"]}
    assert each == {("self", False), ("self_finalised", True)}


@pytest.mark.parametrize("type_name", ["Cadre", "Finding", "AdjustmentCase", "FollowUp",
                                       "Award", "FindingStatement", "FaultToleranceReview"])
async def test_an_explanation_about_a_record_the_admin_may_not_read_says_nothing_of_it(
        as_user, type_name):
    # given records the admin's own policy does not let him read, and an id nobody holds
    admin = as_user("demo-admin")
    own = (await as_user("demo-cadre")("{ me { cadre { id } } }"))["data"]["me"]["cadre"]["id"]
    other = "1" if own != "1" else "2"
    # when he asks about the cadre's own record, another one and a missing one
    answers = [(await admin(EXPLAIN_EACH, user="demo-cadre", type=type_name, field="id",
                            id=record))["data"]["explainAccess"]
               for record in (own, other, "999999", None)]
    # then every answer is the policy-level one: nothing tells which file is whose
    assert answers[0] == answers[1] == answers[2] == answers[3]
    assert "errors" not in await admin(EXPLAIN, user="demo-cadre", type=type_name,
                                       field="id", id="999999")


async def test_forbidden_errors_carry_a_stable_reason(as_user):
    body = await as_user("demo-discipline")(COMMENTS)
    assert errors_by_code(body, "FORBIDDEN")[0]["extensions"]["reason"] == "NOT_GRANTED"


async def test_a_role_change_applies_on_the_next_request(as_user):
    admin, county = as_user("demo-admin"), as_user("demo-org-county")
    count = "{ cadres(first: 0) { totalCount } }"
    before = (await county(count))["data"]["cadres"]["totalCount"]
    holding = {"username": "demo-org-county", "role": "ORG", "unitCode": "C-K2"}
    assert (await admin(ASSIGN, input=holding))["data"]["assignRole"]
    widened = (await county(count))["data"]["cadres"]["totalCount"]
    assert widened > before
    assert errors_by_code(await admin(ASSIGN, input=holding), "CONFLICT")
    assert (await admin(REVOKE, input=holding))["data"]["revokeRole"]
    assert (await county(count))["data"]["cadres"]["totalCount"] == before
    assert errors_by_code(await admin(REVOKE, input=holding), "NOT_FOUND")
    bad = {"username": "demo-org-county", "role": "ORG"}
    assert errors_by_code(await admin(ASSIGN, input=bad), "BAD_USER_INPUT")


async def test_explanations_cover_partner_tokens(as_user):
    from tests.api.partner_helpers import issue, unit_ids

    admin = as_user("demo-admin")
    units = await unit_ids(admin)
    issued = (await issue(admin, [units["C-K1"]], scopes=["cadre:basic"]))["data"][
        "issuePartnerToken"]
    name = f"token:{issued['token']['id']}"
    cadre_in_scope = (await as_user("demo-org-county")("{ cadres(first: 1) { edges { node {"
                                                        " id } } } }"))
    cadre_id = cadre_in_scope["data"]["cadres"]["edges"][0]["node"]["id"]
    basic = (await admin(EXPLAIN, user=name, type="Cadre", field="name", id=cadre_id))[
        "data"]["explainAccess"]
    assert (basic["granted"], basic["role"], basic["relation"]) == (True, "partner", "scope")
    personal = (await admin(EXPLAIN, user=name, type="Cadre", field="idNumber",
                            id=cadre_id))["data"]["explainAccess"]
    assert (personal["granted"], personal["reason"]) == (False, "NOT_GRANTED")
    grades = (await admin(EXPLAIN, user=name, type="Evaluation", field="grade"))[
        "data"]["explainAccess"]
    assert (grades["granted"], grades["reason"]) == (False, "OUTSIDE_TOKEN_SCOPES")


@pytest.mark.parametrize(("user", "type_name", "granted", "reason"), [
    ("demo-org", "FollowUp", True, "ALLOWED"),
    ("demo-org", "Award", True, "ALLOWED"),
    ("demo-discipline", "FaultToleranceReview", True, "ALLOWED"),
    ("demo-cadre", "FindingStatement", True, "ALLOWED"),
    ("demo-cadre", "Award", False, "NOT_GRANTED"),
    ("demo-admin", "FollowUp", False, "NOT_GRANTED"),
])
async def test_explanations_cover_every_record_type(as_user, user, type_name, granted, reason):
    # when the admin asks whether the user may read the id of follow-ups, awards, reviews
    # and statements, then the answer follows the policy (never NOT_IN_SCOPE for a type
    # the user can read)
    body = await as_user("demo-admin")(EXPLAIN, user=user, type=type_name, field="id")
    found = body["data"]["explainAccess"]
    assert (found["granted"], found["reason"]) == (granted, reason)
