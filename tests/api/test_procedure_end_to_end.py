"""The whole procedure, as each role over HTTP: finding → case → six steps → appeal →
upheld → follow-up → reinstatement candidate, every step on an intact audit trail."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from db.audit import seal_pending, verify
from db.engine import create_sessionmaker
from tests.api.helpers import errors_by_code
from tests.api.test_appeals import OWN
from tests.api.test_cases import (
    ACCEPT,
    DECIDE,
    FILE,
    OPEN,
    READ,
    _confirmed_finding,
    _to_appointment,
)
from tests.api.test_mutations import CREATE, cadre_input
from tests.api.test_records import RECORD, evaluation

FOLLOW_UPS = """query F($unit: ID!) { followUps(unitId: $unit) {
  id cadreId caseId nextCheckDue overdue checks { note } } }"""
RECHECK = """mutation C($input: RecordRecheckInput!) {
  recordRecheck(input: $input) { followUp { id nextCheckDue checks { note } } } }"""
REINSTATE = """query R($unit: ID!) { reinstatementCandidates(unitId: $unit) {
  cadre { id name } rank reasons } }"""
TRAIL = """query T($id: ID!) { auditEvents(filter: {recordId: $id}, first: 100) {
  totalCount edges { node { actor operation recordType recordIds } } } }"""


async def _account_for(database, cadre_id: str) -> str:
    username = f"cadre-{cadre_id}"
    async with database.begin() as connection:
        await connection.execute(text(
            "INSERT INTO users (username, display_name, cadre_id, active, created_at) "
            "VALUES (:name, '本人', :cadre, :yes, :now)"),
            {"name": username, "cadre": int(cadre_id), "yes": True, "now": datetime.now(UTC)})
        await connection.execute(text(
            "INSERT INTO role_assignments (user_id, role, unit_id) SELECT id, 'cadre', NULL "
            "FROM users WHERE username = :name"), {"name": username})
    return username


async def _let_a_year_pass(database, case_id: str, finding_id: str) -> None:
    """Time passes: the appointment and the finding move 400 days into the past."""
    past = datetime.now(UTC) - timedelta(days=400)
    async with database.begin() as connection:
        await connection.execute(text("UPDATE adjustment_cases SET appointed_at = :at "
                                      "WHERE id = :id"), {"at": past, "id": int(case_id)})
        await connection.execute(text("UPDATE findings SET reported_at = :at WHERE id = :id"),
                                 {"at": past - timedelta(days=30), "id": int(finding_id)})


async def test_the_procedure_runs_end_to_end_on_an_intact_trail(
        as_user, database, reviewer, settings, audit_key, signature_ok):
    org, admin = as_user("demo-org"), as_user("demo-admin")

    # The organization department files the cadre; discipline inspection confirms a finding.
    created = await org(CREATE, input=cadre_input(unitId="2", rank="DEPUTY_DIVISION_CHIEF"))
    cadre_id = created["data"]["createCadre"]["cadre"]["id"]
    finding_id = await _confirmed_finding(as_user, cadre_id)

    # Six documented steps: verification to appointment, then the appeal.
    opened = await org(OPEN, input={"cadreId": cadre_id, "findingIds": [finding_id],
                                    "documents": ["核实报告"]})
    case = await _to_appointment(org, opened["data"]["openAdjustmentCase"]["case"])
    assert case["cadre"]["status"] == "REMOVED"
    himself = as_user(await _account_for(database, cadre_id))
    assert (await himself(OWN))["data"]["me"]["cadre"]["id"] == cadre_id
    appeal = (await himself(FILE, input={"caseId": case["id"], "grounds": "请求复核。"}))[
        "data"]["fileAppeal"]["appeal"]
    other = as_user(reviewer)
    await other(ACCEPT, input={"id": appeal["id"], "version": 1})
    decided = await other(DECIDE, input={"id": appeal["id"], "version": 2, "outcome": "UPHELD",
                                         "note": "维持原决定"})
    assert decided["data"]["decideAppeal"]["appeal"]["outcome"] == "UPHELD"
    closed = (await org(READ, id=case["id"]))["data"]["adjustmentCase"]
    assert [s["stage"] for s in closed["steps"]] == [
        "VERIFICATION", "PROPOSAL", "DECISION", "TALK", "APPOINTMENT", "APPEAL", "CLOSED"]

    # Follow-up: the file opened at APPOINTMENT; a re-check moves the next one on.
    files = (await org(FOLLOW_UPS, unit="2"))["data"]["followUps"]
    [own_file] = [f for f in files if f["cadreId"] == cadre_id]
    checked = await org(RECHECK, input={"followUpId": own_file["id"], "note": "思想稳定。"})
    assert checked["data"]["recordRecheck"]["followUp"]["nextCheckDue"] > own_file[
        "nextCheckDue"]

    # Coming back up: once the cooling-off is over and the grades since are good.
    before = (await org(REINSTATE, unit="2"))["data"]["reinstatementCandidates"]
    assert cadre_id not in [c["cadre"]["id"] for c in before]
    await _let_a_year_pass(database, case["id"], finding_id)
    year = datetime.now(UTC).year
    recorded = await org(RECORD, input=evaluation(cadre_id, year=year, grade="GOOD"))
    assert "errors" not in recorded, recorded
    after = (await org(REINSTATE, unit="2"))["data"]["reinstatementCandidates"]
    [candidate] = [c for c in after if c["cadre"]["id"] == cadre_id]
    assert candidate["reasons"]

    # Every step is on the trail, the trail is whole, and only the admin reads it.
    trail = (await admin(TRAIL, id=case["id"]))["data"]["auditEvents"]
    operations = [e["node"]["operation"] for e in trail["edges"]]
    assert operations.count("advanceCase") == 4
    assert {"openAdjustmentCase", "fileAppeal", "decideAppeal"} <= set(operations)
    assert (await org(TRAIL, id=case["id"]))["data"]["auditEvents"]["totalCount"] == 0
    # and once sealed, every event sits in a signed checkpoint
    await seal_pending(create_sessionmaker(database), audit_key)
    async with create_sessionmaker(database)() as session:
        outcome = await verify(session, signature_ok)
    assert outcome.broken is None and outcome.events > 0 and outcome.unsealed == 0


async def test_nobody_can_change_the_trail_through_the_api(as_user):
    body = await as_user("demo-admin")(
        'mutation { deleteAuditEvent(id: "1") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert not errors_by_code(body, "INTERNAL")
