"""Separation of duties in the procedure, over HTTP: each refusal is FORBIDDEN (or
CONFLICT) naming its rule, writes nothing, and has an allowed twin."""

from tests.api.helpers import errors_by_code
from tests.api.test_cases import (
    ACCEPT,
    ADVANCE,
    DECIDE,
    EXTEND,
    FILE,
    OPEN,
    READ,
    _confirmed_finding,
    _to_appointment,
)
from tests.api.test_mutations import CREATE, UPDATE, cadre_input

CADRE_UNIT = "{ cadre(id: $id) { unit { code } } }"
UNIT_OF = "query U($id: ID!) " + CADRE_UNIT


async def _cadre(as_user, unit_id: str = "2") -> tuple[str, str]:
    body = await as_user("demo-org")(CREATE, input=cadre_input(
        unitId=unit_id, rank="DEPUTY_DIVISION_CHIEF"))
    cadre_id = body["data"]["createCadre"]["cadre"]["id"]
    return cadre_id, await _confirmed_finding(as_user, cadre_id)


async def _appealed(as_user, account, *, unit_id: str = "2",
                    extra_roles: tuple = ()) -> tuple[str, dict, dict]:
    """A cadre whose case demo-org carried out, and his appeal; (appellant, case, appeal)."""
    cadre_id, finding_id = await _cadre(as_user, unit_id)
    appellant = await account("appellant",
                              [("cadre", None), *extra_roles], cadre_id=int(cadre_id))
    org = as_user("demo-org")
    opened = await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]})
    case = await _to_appointment(org, opened["data"]["openAdjustmentCase"]["case"])
    filed = await as_user(appellant)(FILE, input={"caseId": case["id"], "grounds": "不服"})
    assert "errors" not in filed, filed
    return appellant, case, filed["data"]["fileAppeal"]["appeal"]


def _reason(body: dict) -> str:
    return errors_by_code(body, "FORBIDDEN")[0]["extensions"]["reason"]


async def _appeal_of(as_user, case_id: str) -> dict:
    return (await as_user("demo-org")(READ, id=case_id))["data"]["adjustmentCase"]["appeal"]


async def test_the_officer_who_recorded_the_decision_may_not_accept_the_appeal(
        as_user, account, reviewer):
    # given an appeal against a decision demo-org recorded
    _, case, appeal = await _appealed(as_user, account)
    # when demo-org accepts it, then FORBIDDEN names the rule and nothing changes
    refused = await as_user("demo-org")(ACCEPT, input={"id": appeal["id"], "version": 1})
    assert _reason(refused) == "RECORDED_THE_DECISION"
    assert (await _appeal_of(as_user, case["id"]))["status"] == "FILED"
    # twin: another officer accepts it
    accepted = await as_user(reviewer)(ACCEPT, input={"id": appeal["id"], "version": 1})
    assert accepted["data"]["acceptAppeal"]["appeal"]["status"] == "ACCEPTED"


async def test_the_officer_who_recorded_the_decision_may_not_extend_or_decide_the_appeal(
        as_user, account, reviewer):
    # given an accepted appeal against a decision demo-org recorded
    _, case, appeal = await _appealed(as_user, account)
    other, org = as_user(reviewer), as_user("demo-org")
    await other(ACCEPT, input={"id": appeal["id"], "version": 1})
    # when demo-org extends or decides it, then FORBIDDEN and the appeal is unchanged
    extend = {"id": appeal["id"], "version": 2, "days": 10}
    assert _reason(await org(EXTEND, input=extend)) == "RECORDED_THE_DECISION"
    decide = {"id": appeal["id"], "version": 2, "outcome": "UPHELD"}
    assert _reason(await org(DECIDE, input=decide)) == "RECORDED_THE_DECISION"
    unchanged = await _appeal_of(as_user, case["id"])
    assert (unchanged["version"], unchanged["extended"]) == (2, False)
    # twin: the other officer extends and decides
    assert (await other(EXTEND, input=extend))["data"]["extendAppeal"]["appeal"]["extended"]
    decided = await other(DECIDE, input={**decide, "version": 3})
    assert decided["data"]["decideAppeal"]["appeal"]["outcome"] == "UPHELD"


async def test_an_appellant_holding_the_org_role_may_not_review_his_own_appeal(
        as_user, account, reviewer):
    # given an appellant who also holds the org role over the whole city
    appellant, case, appeal = await _appealed(as_user, account, extra_roles=(("org", 1),))
    himself, other = as_user(appellant), as_user(reviewer)
    # when he accepts his own appeal, then FORBIDDEN (OWN_CASE), nothing written
    refused = await himself(ACCEPT, input={"id": appeal["id"], "version": 1})
    assert _reason(refused) == "OWN_CASE"
    assert (await _appeal_of(as_user, case["id"]))["status"] == "FILED"
    # twin: someone else accepts it; he may neither extend nor decide it as REVOKED
    await other(ACCEPT, input={"id": appeal["id"], "version": 1})
    assert _reason(await himself(EXTEND, input={"id": appeal["id"], "version": 2,
                                                "days": 5})) == "OWN_CASE"
    revoke = {"id": appeal["id"], "version": 2, "outcome": "REVOKED"}
    assert _reason(await himself(DECIDE, input=revoke)) == "OWN_CASE"
    assert (await _appeal_of(as_user, case["id"]))["status"] == "ACCEPTED"
    decided = await other(DECIDE, input=revoke)
    assert decided["data"]["decideAppeal"]["appeal"]["outcome"] == "REVOKED"


async def test_nobody_opens_or_advances_a_case_about_himself(as_user, account):
    # given a cadre who also holds the org role over the whole city
    cadre_id, finding_id = await _cadre(as_user)
    officer = as_user(await account("officer", [("org", 1)],
                                    cadre_id=int(cadre_id)))
    # when he opens a case about himself, then FORBIDDEN (OWN_CASE)
    opening = {"cadreId": cadre_id, "findingIds": [finding_id]}
    assert _reason(await officer(OPEN, input=opening)) == "OWN_CASE"
    # twin: demo-org opens it; he may not advance it, demo-org may
    case = (await as_user("demo-org")(OPEN, input=opening))["data"]["openAdjustmentCase"]["case"]
    step = {"id": case["id"], "version": case["version"], "stage": "PROPOSAL", "note": "建议"}
    assert _reason(await officer(ADVANCE, input=step)) == "OWN_CASE"
    assert (await as_user("demo-org")(READ, id=case["id"]))["data"]["adjustmentCase"][
        "stage"] == "VERIFICATION"
    advanced = await as_user("demo-org")(ADVANCE, input=step)
    assert advanced["data"]["advanceCase"]["case"]["stage"] == "PROPOSAL"


async def test_a_case_whose_appeal_is_not_decided_cannot_be_closed(as_user, account, reviewer):
    # given an appeal accepted but not decided
    _, case, appeal = await _appealed(as_user, account)
    other, org = as_user(reviewer), as_user("demo-org")
    await other(ACCEPT, input={"id": appeal["id"], "version": 1})
    current = (await org(READ, id=case["id"]))["data"]["adjustmentCase"]
    # when the department closes the case, then CONFLICT and the case stays in APPEAL
    close = {"id": case["id"], "version": current["version"], "stage": "CLOSED"}
    refused = await org(ADVANCE, input=close)
    assert errors_by_code(refused, "CONFLICT")[0]["extensions"]["field"] == "stage"
    assert (await org(READ, id=case["id"]))["data"]["adjustmentCase"]["stage"] == "APPEAL"
    # twin: deciding the appeal closes it
    await other(DECIDE, input={"id": appeal["id"], "version": 2, "outcome": "UPHELD"})
    assert (await org(READ, id=case["id"]))["data"]["adjustmentCase"]["stage"] == "CLOSED"


async def _moved_into_the_county(as_user, account) -> tuple[str, dict]:
    """An appeal by a cadre of 2nd county (C-K2), since moved into 鹤城区 (C-K1)."""
    _, case, appeal = await _appealed(as_user, account, unit_id="3")
    org = as_user("demo-org")
    cadre = case["cadre"]
    version = (await org("query V($id: ID!) { cadre(id: $id) { version } }", id=cadre["id"]))[
        "data"]["cadre"]["version"]
    moved = await org(UPDATE, input={"id": cadre["id"], "version": version, "unitId": "2"})
    assert "errors" not in moved, moved
    return cadre["id"], appeal


async def test_a_revocation_may_not_restore_a_post_outside_the_reviewers_jurisdiction(
        as_user, account):
    # given an appeal the county's officer reviews, whose cadre came from another county
    cadre_id, appeal = await _moved_into_the_county(as_user, account)
    county = as_user("demo-org-county")
    assert "errors" not in await county(ACCEPT, input={"id": appeal["id"], "version": 1})
    # when he revokes the decision, then FORBIDDEN: restoring the post writes to C-K2
    refused = await county(DECIDE, input={"id": appeal["id"], "version": 2,
                                          "outcome": "REVOKED"})
    assert _reason(refused) == "NOT_GRANTED"
    assert errors_by_code(refused, "FORBIDDEN")[0]["extensions"]["field"] == "Cadre.unit"
    # and nothing was written: the cadre is still in C-K1
    assert (await as_user("demo-org")(UNIT_OF, id=cadre_id))["data"]["cadre"]["unit"][
        "code"] == "C-K1"


async def test_a_revocation_restores_the_post_where_the_reviewer_may_write(
        as_user, account, reviewer):
    # given the same kind of appeal, reviewed by an officer over the whole city
    cadre_id, appeal = await _moved_into_the_county(as_user, account)
    other = as_user(reviewer)
    await other(ACCEPT, input={"id": appeal["id"], "version": 1})
    # when he revokes the decision
    decided = await other(DECIDE, input={"id": appeal["id"], "version": 2,
                                         "outcome": "REVOKED"})
    # then the cadre is back in the unit he held before the case
    assert decided["data"]["decideAppeal"]["appeal"]["outcome"] == "REVOKED"
    assert (await as_user("demo-org")(UNIT_OF, id=cadre_id))["data"]["cadre"]["unit"][
        "code"] == "C-K2"
