"""The policy what-if: what a change would change, for whom and on how many records; applied
only with the version of the reviewed report; on the audit trail."""

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.helpers import errors_by_code

IMPACT = """query I($changes: [PolicyChangeInput!]!) { policyImpact(changes: $changes) {
  impactVersion policyVersion
  fields { role relation partnerTokenId field before after writableBefore writableAfter records }
  records { role relation partnerTokenId type becomeVisible becomeHidden } } }"""
APPLY = """mutation A($input: ApplyPolicyChangesInput!) { applyPolicyChanges(input: $input) {
  version impact { impactVersion fields { role relation field before after } } } }"""
ADD = """mutation A($input: PolicyRuleInput!) { addPolicyRule(input: $input) { version } }"""
REMOVE = """mutation R($input: PolicyRuleInput!) { removePolicyRule(input: $input) { version } }"""
POLICY = "{ policy(ptype: \"p\") { version } }"
PHONE = "query P($id: ID!) { cadre(id: $id) { phone } }"
TRAIL = """query T($since: DateTime!) {
  auditEvents(filter: {recordType: "PolicyRule", from: $since}, first: 5) {
  edges { node { operation fields } } } }"""
ORG_PERSONAL = ["org", "jurisdiction", "cadre:personal", "read"]
REMOVE_ORG_PERSONAL = [{"change": "REMOVE", "ptype": "p", "values": ORG_PERSONAL}]
ADD_ORG_PERSONAL = [{"change": "ADD", "ptype": "p", "values": ORG_PERSONAL}]
PARTNER_BASIC = [{"change": "REMOVE", "ptype": "p",
                  "values": ["partner", "scope", "cadre:basic", "read"]}]
#: A field group no rule grants: adding it moves the policy version and nothing else.
BUMP = {"ptype": "g2", "values": ["Cadre.name", "impact:stale-review"]}
COMMENT = {"ptype": "p", "values": ["discipline", "jurisdiction", "evaluation:comment", "read"]}


def by_field(impact: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in impact["fields"]
            if f["role"] == role and f["relation"] == "jurisdiction"}


async def test_removing_the_org_read_of_personal_data_masks_phone_and_id_and_denies_birth_date(
        as_user):
    body = await as_user("demo-admin")(IMPACT, changes=REMOVE_ORG_PERSONAL)
    impact = body["data"]["policyImpact"]
    org = by_field(impact, "org")
    assert {name: (f["before"], f["after"]) for name, f in org.items()} == {
        "Cadre.phone": ("READ", "MASKED"), "Cadre.idNumber": ("READ", "MASKED"),
        "Cadre.birthDate": ("READ", "DENIED")}
    # demo-org holds the org role over the whole city: every cadre is reached.
    city = (await as_user("demo-org")("{ cadres(first: 1) { totalCount } }"))
    assert org["Cadre.phone"]["records"] == city["data"]["cadres"]["totalCount"]
    assert impact["records"] == []  # rows stay visible: Cadre.id is untouched
    assert by_field(impact, "discipline") == {}


async def test_removing_the_partner_read_of_basics_hides_cadres_from_each_token(as_user):
    admin = as_user("demo-admin")
    from tests.api.partner_helpers import issue, unit_ids
    await issue(admin, [(await unit_ids(admin))["C-K1"]])
    impact = (await admin(IMPACT, changes=PARTNER_BASIC))["data"]["policyImpact"]
    hidden = [r for r in impact["records"] if r["partnerTokenId"] and r["type"] == "Cadre"]
    assert hidden and all(r["becomeHidden"] > 0 and r["becomeVisible"] == 0 for r in hidden)
    assert all(f["after"] == "DENIED" for f in impact["fields"] if f["partnerTokenId"])
    [role] = [r for r in impact["records"] if r["role"] == "partner"
              and not r["partnerTokenId"] and r["type"] == "Cadre"]
    assert role["becomeHidden"] >= max(r["becomeHidden"] for r in hidden)


async def test_a_reviewed_change_applies_with_its_version_and_shows_the_masked_phone(as_user):
    admin, org = as_user("demo-admin"), as_user("demo-org")
    since = datetime.now(UTC).isoformat()
    version = (await admin(IMPACT, changes=REMOVE_ORG_PERSONAL))["data"]["policyImpact"][
        "impactVersion"]
    applied = await admin(APPLY, input={"changes": REMOVE_ORG_PERSONAL,
                                        "impactVersion": version})
    assert "errors" not in applied, applied
    try:
        masked = await org(PHONE, id="1")
        assert "****" in masked["data"]["cadre"]["phone"]
        assert masked["extensions"]["masked"] == [{"field": "Cadre.phone", "count": 1}]
        trail = (await admin(TRAIL, since=since))["data"]["auditEvents"]["edges"][0]["node"]
        assert trail["operation"] == "applyPolicyChanges"
        assert any("Cadre.phone READ->MASKED" in line for line in trail["fields"])
    finally:
        back = (await admin(IMPACT, changes=ADD_ORG_PERSONAL))["data"]["policyImpact"]
        restored = await admin(APPLY, input={"changes": ADD_ORG_PERSONAL,
                                             "impactVersion": back["impactVersion"]})
    assert "errors" not in restored
    assert "****" not in (await org(PHONE, id="1"))["data"]["cadre"]["phone"]


async def test_a_stale_or_different_version_is_a_conflict_and_writes_nothing(as_user):
    admin = as_user("demo-admin")
    version = (await admin(IMPACT, changes=REMOVE_ORG_PERSONAL))["data"]["policyImpact"][
        "impactVersion"]
    other = (await admin(IMPACT, changes=PARTNER_BASIC))["data"]["policyImpact"]
    before = (await admin(POLICY))["data"]["policy"]["version"]
    different = await admin(APPLY, input={"changes": PARTNER_BASIC, "impactVersion": version})
    assert errors_by_code(different, "CONFLICT")[0]["extensions"]["field"] == "impactVersion"
    # when the policy moves after the review (a rule only this test uses)
    assert "errors" not in await admin(ADD, input=BUMP)
    try:
        stale = await admin(APPLY, input={"changes": PARTNER_BASIC,
                                          "impactVersion": other["impactVersion"]})
    finally:
        await admin(REMOVE, input=BUMP)
        if "errors" not in stale:  # keep the session's policy whole for the other tests
            await admin(ADD, input={"ptype": "p", "values": PARTNER_BASIC[0]["values"]})
    assert errors_by_code(stale, "CONFLICT")
    assert (await admin(POLICY))["data"]["policy"]["version"] == before + 2


async def test_add_and_remove_put_their_impact_on_the_audit_trail(as_user):
    admin = as_user("demo-admin")
    since = datetime.now(UTC).isoformat()
    await admin(ADD, input=COMMENT)
    await admin(REMOVE, input=COMMENT)
    [added, removed] = [e["node"] for e in
                        (await admin(TRAIL, since=since))["data"]["auditEvents"]["edges"]]
    assert (added["operation"], removed["operation"]) == ("addPolicyRule", "removePolicyRule")
    assert "discipline/jurisdiction Evaluation.comment DENIED->READ" in " | ".join(
        added["fields"])
    assert "discipline/jurisdiction Evaluation.comment READ->DENIED" in " | ".join(
        removed["fields"])


@pytest.mark.parametrize("account", ["demo-org", "demo-discipline"])
async def test_only_the_admin_sees_or_applies_an_impact(as_user, account):
    user = as_user(account)
    assert errors_by_code(await user(IMPACT, changes=REMOVE_ORG_PERSONAL), "FORBIDDEN")
    refused = await user(APPLY, input={"changes": REMOVE_ORG_PERSONAL, "impactVersion": "1-x"})
    assert errors_by_code(refused, "FORBIDDEN")


@pytest.mark.parametrize(("changes", "code"), [
    ([{"change": "REMOVE", "ptype": "p", "values": ["org", "jurisdiction", "nothing", "read"]}],
     "NOT_FOUND"),
    ([{"change": "ADD", "ptype": "p", "values": ORG_PERSONAL}], "CONFLICT"),
    ([{"change": "ADD", "ptype": "p", "values": ["org", "jurisdiction", "x"]}], "BAD_USER_INPUT"),
    ([], "BAD_USER_INPUT"),
])
async def test_a_change_that_cannot_apply_gets_a_typed_error(as_user, changes, code):
    assert errors_by_code(await as_user("demo-admin")(IMPACT, changes=changes), code)
