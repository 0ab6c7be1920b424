"""Appeals over HTTP: only the cadre himself, within 30 days; reviewed by someone else."""

from sqlalchemy import text

from tests.api.helpers import errors_by_code
from tests.api.test_cases import (
    ACCEPT,
    DECIDE,
    EXTEND,
    FILE,
    OPEN,
    OVERDUE,
    READ,
    _advance,
    _new_cadre_with_finding,
    _pretend_notified_days_ago,
    _to_appointment,
)

OWN = "{ me { cadre { id status position rank findings { id status } } } }"


async def _own_case(as_user, demo_cadre: dict) -> dict:
    confirmed = [f["id"] for f in demo_cadre["findings"] if f["status"] == "CONFIRMED"]
    body = await as_user("demo-org")(OPEN, input={"cadreId": demo_cadre["id"],
                                                  "findingIds": confirmed[:1]})
    assert "errors" not in body, body
    return await _to_appointment(as_user("demo-org"), body["data"]["openAdjustmentCase"]["case"])


async def test_appeal_procedure_from_filing_to_revocation(as_user, database, reviewer):
    cadre_user, org, other = as_user("demo-cadre"), as_user("demo-org"), as_user(reviewer)
    before = (await cadre_user(OWN))["data"]["me"]["cadre"]

    # Past the 30 days the appeal is refused, naming the deadline; the case then closes.
    late = await _own_case(as_user, before)
    await _pretend_notified_days_ago(database, late["id"], 31)
    body = await cadre_user(FILE, input={"caseId": late["id"], "grounds": "不服"})
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "deadline"
    late = (await org(READ, id=late["id"]))["data"]["adjustmentCase"]
    await _advance(org, late, "CLOSED")

    # Within the window: only the cadre himself files, once.
    before = (await cadre_user(OWN))["data"]["me"]["cadre"]
    case = await _own_case(as_user, before)
    assert errors_by_code(await org(FILE, input={"caseId": case["id"], "grounds": "代为申诉"}),
                          "FORBIDDEN")
    filed = await cadre_user(FILE, input={"caseId": case["id"], "grounds": "事实认定有误。"})
    appeal = filed["data"]["fileAppeal"]["appeal"]
    assert appeal["status"] == "FILED"
    again = await cadre_user(FILE, input={"caseId": case["id"], "grounds": "再次申诉"})
    assert errors_by_code(again, "CONFLICT")
    assert (await org(READ, id=case["id"]))["data"]["adjustmentCase"]["stage"] == "APPEAL"

    # Accepted: due in 60 days; one extension only.
    accepted = (await other(ACCEPT, input={"id": appeal["id"], "version": 1}))["data"][
        "acceptAppeal"]["appeal"]
    assert accepted["status"] == "ACCEPTED"
    extended = (await other(EXTEND, input={"id": appeal["id"], "version": 2, "days": 10}))[
        "data"]["extendAppeal"]["appeal"]
    assert extended["extended"] is True
    twice = await other(EXTEND, input={"id": appeal["id"], "version": 3, "days": 5})
    assert errors_by_code(twice, "CONFLICT")

    # The person who recorded the decision may not decide the appeal.
    refused = await org(DECIDE, input={"id": appeal["id"], "version": 3, "outcome": "REVOKED"})
    assert errors_by_code(refused, "FORBIDDEN")
    decided = await other(DECIDE, input={"id": appeal["id"], "version": 3, "outcome": "REVOKED",
                                         "note": "撤销原决定"})
    assert decided["data"]["decideAppeal"]["appeal"]["outcome"] == "REVOKED"

    after = (await cadre_user(OWN))["data"]["me"]["cadre"]
    assert (after["status"], after["position"], after["rank"]) == (
        before["status"], before["position"], before["rank"])
    closed = (await org(READ, id=case["id"]))["data"]["adjustmentCase"]
    assert closed["stage"] == "CLOSED"


async def test_a_cadre_cannot_appeal_in_another_cadres_case(as_user):
    org = as_user("demo-org")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    opened = await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]})
    case = await _to_appointment(org, opened["data"]["openAdjustmentCase"]["case"])
    body = await as_user("demo-cadre")(FILE, input={"caseId": case["id"], "grounds": "不服"})
    assert errors_by_code(body, "NOT_FOUND")


async def test_an_accepted_appeal_past_its_due_date_is_listed_overdue(
        as_user, database, reviewer):
    cadre_user, other = as_user("demo-cadre"), as_user(reviewer)
    before = (await cadre_user(OWN))["data"]["me"]["cadre"]
    case = await _own_case(as_user, before)
    appeal = (await cadre_user(FILE, input={"caseId": case["id"], "grounds": "不服"}))[
        "data"]["fileAppeal"]["appeal"]
    await other(ACCEPT, input={"id": appeal["id"], "version": 1})
    async with database.begin() as connection:  # sixty days pass
        await connection.execute(text("UPDATE appeals SET due_at = accepted_at WHERE id = :id"),
                                 {"id": int(appeal["id"])})
    overdue = (await as_user("demo-org")(OVERDUE))["data"]["overdueAppeals"]
    assert appeal["id"] in [c["appeal"]["id"] for c in overdue]
    assert all(c["appeal"]["overdue"] for c in overdue)
    # Close it for the other tests: uphold.
    await other(DECIDE, input={"id": appeal["id"], "version": 2, "outcome": "UPHELD"})
