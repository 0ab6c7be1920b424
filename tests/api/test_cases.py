"""The adjustment procedure over HTTP: six documented steps, appeals and their refusals."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.api.helpers import errors_by_code
from tests.api.test_mutations import CREATE, cadre_input
from tests.api.test_records import CONFIRM, REPORT, START, finding

CASE_FIELDS = """id stage version disposition notifiedAt appealDeadline findingIds
  cadre { id status position }
  steps { stage actor note documents }
  appeal { id status version dueAt extended outcome overdue }"""
OPEN = f"""mutation O($input: OpenAdjustmentCaseInput!) {{
  openAdjustmentCase(input: $input) {{ case {{ {CASE_FIELDS} }} }} }}"""
ADVANCE = f"""mutation A($input: AdvanceCaseInput!) {{
  advanceCase(input: $input) {{ case {{ {CASE_FIELDS} }} }} }}"""
READ = f"query R($id: ID!) {{ adjustmentCase(id: $id) {{ {CASE_FIELDS} }} }}"
FILE = """mutation F($input: FileAppealInput!) {
  fileAppeal(input: $input) { appeal { id status version } } }"""
ACCEPT = """mutation Ac($input: AppealTransitionInput!) {
  acceptAppeal(input: $input) { appeal { id status version dueAt } } }"""
EXTEND = """mutation Ex($input: ExtendAppealInput!) {
  extendAppeal(input: $input) { appeal { version dueAt extended } } }"""
DECIDE = """mutation De($input: DecideAppealInput!) {
  decideAppeal(input: $input) { appeal { status outcome version } } }"""
OVERDUE = "{ overdueAppeals { id appeal { id overdue } } }"


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def _confirmed_finding(as_user, cadre_id: str) -> str:
    discipline = as_user("demo-discipline")
    reported = (await discipline(REPORT, input=finding(cadre_id)))["data"]["reportFinding"][
        "finding"]
    await discipline(START, input={"id": reported["id"], "version": 1})
    await discipline(CONFIRM, input={"id": reported["id"], "version": 2})
    return reported["id"]


async def _new_cadre_with_finding(as_user) -> tuple[str, str]:
    body = await as_user("demo-org")(CREATE, input=cadre_input(
        unitId="2", rank="DEPUTY_DIVISION_CHIEF"))
    cadre_id = body["data"]["createCadre"]["cadre"]["id"]
    return cadre_id, await _confirmed_finding(as_user, cadre_id)


async def _advance(client, case: dict, stage: str, **extra) -> dict:
    body = await client(ADVANCE, input={"id": case["id"], "version": case["version"],
                                        "stage": stage, **extra})
    assert "errors" not in body, body
    return body["data"]["advanceCase"]["case"]


async def _to_appointment(client, case: dict, disposition: str = "REMOVAL") -> dict:
    case = await _advance(client, case, "PROPOSAL", note="建议免职", documents=["建议书-1"])
    case = await _advance(client, case, "DECISION", documents=["常委会纪要-7"],
                          decision={"disposition": disposition, "notifiedAt": _ago(0)})
    case = await _advance(client, case, "TALK", note="谈话记录：本人表示服从。")
    return await _advance(client, case, "APPOINTMENT", documents=["任免通知-3"])


async def _pretend_notified_days_ago(database, case_id: str, days: int) -> None:
    async with database.begin() as connection:
        moment = datetime.now(UTC) - timedelta(days=days)
        await connection.execute(text("UPDATE adjustment_cases SET notified_at = :at, "
                                      "opened_at = :at WHERE id = :id"),
                                 {"at": moment, "id": int(case_id)})


async def test_a_case_runs_through_every_step_and_the_removal_applies(as_user, database):
    org = as_user("demo-org")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    body = await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id],
                                  "note": "核实认定", "documents": ["核实报告-1"]})
    case = body["data"]["openAdjustmentCase"]["case"]
    assert (case["stage"], case["findingIds"]) == ("VERIFICATION", [finding_id])
    case = await _to_appointment(org, case)
    assert case["cadre"]["status"] == "REMOVED"
    await _pretend_notified_days_ago(database, case["id"], 31)
    case = (await org(READ, id=case["id"]))["data"]["adjustmentCase"]
    closed = await _advance(org, case, "CLOSED", note="申诉期满，办结。")
    assert [s["stage"] for s in closed["steps"]] == [
        "VERIFICATION", "PROPOSAL", "DECISION", "TALK", "APPOINTMENT", "CLOSED"]
    assert all(s["actor"] == "demo-org" for s in closed["steps"])
    assert closed["steps"][2]["documents"] == ["常委会纪要-7"]


async def test_a_stage_cannot_be_skipped(as_user):
    org = as_user("demo-org")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    case = (await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]}))[
        "data"]["openAdjustmentCase"]["case"]
    body = await org(ADVANCE, input={"id": case["id"], "version": 1, "stage": "TALK",
                                     "note": "x"})
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "stage"


async def test_decision_needs_a_disposition_and_talk_needs_a_record(as_user, count_rows):
    org = as_user("demo-org")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    case = (await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]}))[
        "data"]["openAdjustmentCase"]["case"]
    case = await _advance(org, case, "PROPOSAL")
    steps = await count_rows("case_steps")
    body = await org(ADVANCE, input={"id": case["id"], "version": case["version"],
                                     "stage": "DECISION"})
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "decision"
    case = await _advance(org, case, "DECISION", decision={"disposition": "DEMOTION",
                                                            "notifiedAt": _ago(0)})
    body = await org(ADVANCE, input={"id": case["id"], "version": case["version"],
                                     "stage": "TALK"})
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "note"
    assert await count_rows("case_steps") == steps + 1


async def test_a_case_needs_confirmed_findings_of_that_cadre(as_user):
    org = as_user("demo-org")
    cadre_id, _ = await _new_cadre_with_finding(as_user)
    reported = (await as_user("demo-discipline")(REPORT, input=finding(cadre_id)))[
        "data"]["reportFinding"]["finding"]
    body = await org(OPEN, input={"cadreId": cadre_id, "findingIds": [reported["id"]]})
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "findingIds"


async def test_discipline_inspector_reads_but_cannot_move_a_case(as_user):
    org, discipline = as_user("demo-org"), as_user("demo-discipline")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    case = (await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]}))[
        "data"]["openAdjustmentCase"]["case"]
    read = await discipline(READ, id=case["id"])
    assert read["data"]["adjustmentCase"]["stage"] == "VERIFICATION"
    body = await discipline(ADVANCE, input={"id": case["id"], "version": 1,
                                            "stage": "PROPOSAL"})
    assert errors_by_code(body, "FORBIDDEN")


async def test_county_officer_does_not_see_a_case_elsewhere(as_user):
    org = as_user("demo-org")
    body = await org(CREATE, input=cadre_input(unitId="3"))
    cadre_id = body["data"]["createCadre"]["cadre"]["id"]
    finding_id = await _confirmed_finding(as_user, cadre_id)
    case = (await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]}))[
        "data"]["openAdjustmentCase"]["case"]
    county = as_user("demo-org-county")
    assert (await county(READ, id=case["id"]))["data"]["adjustmentCase"] is None
    body = await county(ADVANCE, input={"id": case["id"], "version": 1, "stage": "PROPOSAL"})
    assert errors_by_code(body, "NOT_FOUND")


async def test_closing_inside_the_appeal_window_is_a_conflict(as_user):
    org = as_user("demo-org")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    case = (await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]}))[
        "data"]["openAdjustmentCase"]["case"]
    case = await _to_appointment(org, case)
    body = await org(ADVANCE, input={"id": case["id"], "version": case["version"],
                                     "stage": "CLOSED"})
    assert errors_by_code(body, "CONFLICT")


async def test_of_two_concurrent_transitions_exactly_one_wins(as_user):
    org = as_user("demo-org")
    cadre_id, finding_id = await _new_cadre_with_finding(as_user)
    case = (await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id]}))[
        "data"]["openAdjustmentCase"]["case"]
    results = await asyncio.gather(*(
        org(ADVANCE, input={"id": case["id"], "version": 1, "stage": "PROPOSAL",
                            "note": f"建议{i}"}) for i in range(2)))
    won = [r for r in results if r.get("data") and r["data"]["advanceCase"]]
    lost = [r for r in results if errors_by_code(r, "CONFLICT")]
    assert (len(won), len(lost)) == (1, 1)
    steps = (await org(READ, id=case["id"]))["data"]["adjustmentCase"]["steps"]
    assert [s["stage"] for s in steps] == ["VERIFICATION", "PROPOSAL"]
