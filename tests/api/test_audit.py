"""The documentary record (纪实) over HTTP: changes and audited reads leave events; the
system administrator reads the trail; a failed audit write fails the request."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from db.audit import seal_pending, verify
from db.engine import create_engine, create_sessionmaker
from tests.api.helpers import errors_by_code, nodes
from tests.api.test_mutations import CREATE, cadre_input
from tests.api.test_records import REPORT, finding

CREATE_PLAIN = """mutation Create($input: CreateCadreInput!) {
  createCadre(input: $input) { cadre { id name version } } }"""
UPDATE = """mutation Update($input: UpdateCadreInput!) {
  updateCadre(input: $input) { cadre { id version } } }"""
RECORD = """mutation R($input: RecordEvaluationInput!) {
  recordEvaluation(input: $input) { evaluation { id } } }"""
FINALISE = "mutation F($id: ID!) { finaliseEvaluation(id: $id) { evaluation { id } } }"
REPORT_PLAIN = """mutation Rep($input: ReportFindingInput!) {
  reportFinding(input: $input) { finding { id version } } }"""
MOVE = """mutation M($input: FindingTransitionInput!) {
  start: startFindingVerification(input: $input) { finding { version } } }"""
CONFIRM = """mutation C($input: FindingTransitionInput!) {
  confirmFinding(input: $input) { finding { version } } }"""
DISMISS = """mutation D($input: FindingTransitionInput!) {
  dismissFinding(input: $input) { finding { version } } }"""
FILE = """query File($id: ID!) { cadre(id: $id) { id name idNumber phone
  findings { id evidence informant } } }"""
ROSTER = """{ cadres(first: 20) { edges { node { id name position
  evaluations { year grade } findings { status } } } } }"""
OWN_FINDINGS = "{ me { cadre { id findings { id status evidence } } } }"
TRAIL = """query Trail($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id at actor role operation recordType recordIds fields hash } } } }"""


@pytest.fixture
async def trail(database_url: str, audit_key: Any, signature_ok: Any) -> AsyncIterator[Any]:
    """Direct reads of ``audit_events``: ``await trail.newest(2)``, ``await trail.verify()``."""
    engine = create_engine(database_url)

    class Trail:
        async def newest(self, count: int = 1) -> list[dict[str, Any]]:
            async with engine.connect() as connection:
                rows = await connection.execute(text(
                    "SELECT id, actor, role, operation, record_type, record_ids, fields "
                    "FROM audit_events ORDER BY id DESC LIMIT :n"), {"n": count})
                found = [dict(row._mapping) for row in rows]
            for row in found:  # JSON columns come back as text from a textual query
                for key in ("record_ids", "fields"):
                    if isinstance(row[key], str):
                        row[key] = json.loads(row[key])
            return found[::-1]

        async def verify(self) -> Any:
            """Seal what is pending (small batches), then walk the whole trail."""
            sessions = create_sessionmaker(engine)
            await seal_pending(sessions, audit_key, batch_size=7)
            async with sessions() as session:
                return await verify(session, signature_ok, batch_size=7)

    yield Trail()
    await engine.dispose()


async def _new_cadre(as_user: Any) -> str:
    body = await as_user("demo-org")(CREATE_PLAIN, input=cadre_input())
    return body["data"]["createCadre"]["cadre"]["id"]


async def _new_finding(as_user: Any, cadre_id: str) -> dict[str, Any]:
    body = await as_user("demo-discipline")(REPORT_PLAIN, input=finding(cadre_id))
    return body["data"]["reportFinding"]["finding"]


# --- changes ---------------------------------------------------------------------------------


async def test_a_mutation_writes_exactly_one_event_naming_actor_operation_and_record(
        as_user, count_rows, trail):
    before = await count_rows("audit_events")

    body = await as_user("demo-org")(CREATE_PLAIN, input=cadre_input())

    cadre_id = int(body["data"]["createCadre"]["cadre"]["id"])
    assert await count_rows("audit_events") == before + 1
    [event] = await trail.newest()
    assert (event["actor"], event["role"], event["operation"]) == ("demo-org", "org",
                                                                  "createCadre")
    assert (event["record_type"], event["record_ids"]) == ("Cadre", [cadre_id])
    assert {"name", "idNumber", "phone", "unit"} <= set(event["fields"])


async def test_an_update_names_only_the_fields_it_wrote(as_user, trail):
    cadre_id = await _new_cadre(as_user)

    await as_user("demo-org")(UPDATE, input={"id": cadre_id, "version": 1, "position": "局长"})

    [event] = await trail.newest()
    assert event["operation"] == "updateCadre" and event["record_ids"] == [int(cadre_id)]
    assert event["fields"] == ["position"]


async def test_every_workflow_mutation_records_its_own_operation(as_user, trail):
    org, discipline = as_user("demo-org"), as_user("demo-discipline")
    cadre_id = await _new_cadre(as_user)
    await org(UPDATE, input={"id": cadre_id, "version": 1, "phone": "13900000000"})
    evaluation = (await org(RECORD, input={"cadreId": cadre_id, "year": 2025,
                                           "period": "ANNUAL", "grade": "GOOD"}))
    evaluation_id = evaluation["data"]["recordEvaluation"]["evaluation"]["id"]
    await org(FINALISE, id=evaluation_id)
    confirmed = await _new_finding(as_user, cadre_id)
    await discipline(MOVE, input={"id": confirmed["id"], "version": 1})
    await discipline(CONFIRM, input={"id": confirmed["id"], "version": 2})
    dismissed = await _new_finding(as_user, cadre_id)
    await discipline(MOVE, input={"id": dismissed["id"], "version": 1})
    await discipline(DISMISS, input={"id": dismissed["id"], "version": 2})

    events = await trail.newest(10)

    assert [(e["operation"], e["record_type"]) for e in events] == [
        ("createCadre", "Cadre"), ("updateCadre", "Cadre"),
        ("recordEvaluation", "Evaluation"), ("finaliseEvaluation", "Evaluation"),
        ("reportFinding", "Finding"), ("startFindingVerification", "Finding"),
        ("confirmFinding", "Finding"),
        ("reportFinding", "Finding"), ("startFindingVerification", "Finding"),
        ("dismissFinding", "Finding")]
    assert events[3]["record_ids"] == [int(evaluation_id)]
    assert events[6]["record_ids"] == [int(confirmed["id"])]
    assert events[6]["fields"] == ["status", "concludedAt"]
    assert {e["actor"] for e in events[4:]} == {"demo-discipline"}


async def test_a_refused_mutation_writes_no_event(as_user, count_rows):
    cadre_id = await _new_cadre(as_user)
    before = await count_rows("audit_events")

    stale = await as_user("demo-org")(UPDATE, input={"id": cadre_id, "version": 9,
                                                     "position": "局长"})
    denied = await as_user("demo-discipline")(UPDATE, input={"id": cadre_id, "version": 1,
                                                             "position": "局长"})

    assert errors_by_code(stale, "CONFLICT") and errors_by_code(denied, "FORBIDDEN")
    assert await count_rows("audit_events") == before


# --- audited reads ---------------------------------------------------------------------------


async def test_an_audited_read_writes_one_event_per_record_type(as_user, count_rows, trail):
    cadre_id = await _new_cadre(as_user)
    finding_id = (await _new_finding(as_user, cadre_id))["id"]
    before = await count_rows("audit_events")

    body = await as_user("demo-discipline")(FILE, id=cadre_id)

    assert body["data"]["cadre"]["idNumber"] and body["data"]["cadre"]["findings"]
    assert await count_rows("audit_events") == before + 2
    cadre_event, finding_event = await trail.newest(2)
    assert (cadre_event["operation"], cadre_event["record_type"]) == ("read", "Cadre")
    assert cadre_event["record_ids"] == [int(cadre_id)]
    assert cadre_event["fields"] == ["idNumber", "phone"]
    assert cadre_event["actor"] == "demo-discipline"
    assert (finding_event["record_type"], finding_event["record_ids"]) == ("Finding",
                                                                           [int(finding_id)])
    assert finding_event["fields"] == ["evidence", "informant"]


async def test_a_read_without_audited_fields_writes_no_event(as_user, count_rows):
    before = await count_rows("audit_events")

    body = await as_user("demo-org")(ROSTER)

    assert len(nodes(body)) == 20
    assert await count_rows("audit_events") == before


async def test_a_denied_audited_field_is_not_a_read(as_user, count_rows, trail):
    cadre_id = await _new_cadre(as_user)
    await _new_finding(as_user, cadre_id)
    before = await count_rows("audit_events")

    body = await as_user("demo-org")(
        "query F($id: ID!) { cadre(id: $id) { findings { informant } } }", id=cadre_id)

    assert errors_by_code(body, "FORBIDDEN")
    assert await count_rows("audit_events") == before


async def test_a_null_audited_value_is_not_a_read(as_user, count_rows, trail):
    body = await as_user("demo-org")(CREATE_PLAIN, input=cadre_input(phone=None))
    cadre_id = body["data"]["createCadre"]["cadre"]["id"]
    before = await count_rows("audit_events")

    read = await as_user("demo-org")("query P($id: ID!) { cadre(id: $id) { phone } }",
                                      id=cadre_id)

    assert read["data"]["cadre"]["phone"] is None
    assert await count_rows("audit_events") == before


async def test_audited_fields_in_a_mutation_answer_are_recorded_as_a_read(as_user, trail):
    cadre_id = await _new_cadre(as_user)

    body = await as_user("demo-discipline")(REPORT, input=finding(cadre_id))

    finding_id = int(body["data"]["reportFinding"]["finding"]["id"])
    change, read = await trail.newest(2)
    assert (change["operation"], change["record_ids"]) == ("reportFinding", [finding_id])
    assert (read["operation"], read["record_type"]) == ("read", "Finding")
    assert (read["record_ids"], read["fields"]) == ([finding_id], ["informant"])


async def test_the_cadre_reading_his_own_identity_number_is_recorded(as_user, trail):
    body = await as_user("demo-cadre")("{ me { cadre { id idNumber } } }")

    [event] = await trail.newest()
    assert event["actor"] == "demo-cadre" and event["operation"] == "read"
    assert event["record_ids"] == [int(body["data"]["me"]["cadre"]["id"])]


@pytest.fixture(scope="module")
async def general_client(settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"compiled_execution": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_both_execution_paths_record_the_same_read(as_user, general_client, token,
                                                           trail):
    cadre_id = await _new_cadre(as_user)
    await _new_finding(as_user, cadre_id)
    request = {"query": FILE, "variables": {"id": cadre_id}}
    headers = {"Authorization": f"Bearer {token('demo-discipline')}"}

    await as_user("demo-discipline")(FILE, id=cadre_id)
    short = await trail.newest(2)
    await general_client.post("/graphql", json=request, headers=headers)
    general = await trail.newest(2)

    strip = [{k: v for k, v in e.items() if k != "id"} for e in short]
    assert strip == [{k: v for k, v in e.items() if k != "id"} for e in general]
    assert general[0]["id"] > short[1]["id"]


# --- the trail through the API ---------------------------------------------------------------


async def test_the_administrator_filters_the_trail_by_actor(as_user):
    await as_user("demo-org-county")(CREATE_PLAIN, input=cadre_input())

    body = await as_user("demo-admin")(TRAIL, filter={"actor": "demo-org-county"}, first=100)

    found = nodes(body, "auditEvents")
    assert found and {n["actor"] for n in found} == {"demo-org-county"}
    assert body["data"]["auditEvents"]["totalCount"] >= len(found)
    assert all(len(n["hash"]) == 64 for n in found)


async def test_the_administrator_filters_the_trail_by_record(as_user):
    cadre_id = await _new_cadre(as_user)
    await as_user("demo-org")(UPDATE, input={"id": cadre_id, "version": 1, "position": "局长"})
    await as_user("demo-discipline")(FILE, id=cadre_id)

    body = await as_user("demo-admin")(TRAIL, filter={"recordType": "Cadre",
                                                      "recordId": cadre_id})

    found = nodes(body, "auditEvents")
    assert [n["operation"] for n in found] == ["createCadre", "updateCadre", "read"]
    assert all(cadre_id in n["recordIds"] and n["recordType"] == "Cadre" for n in found)
    assert body["data"]["auditEvents"]["totalCount"] == 3


async def test_the_administrator_filters_the_trail_by_time(as_user):
    await _new_cadre(as_user)
    since = datetime.now(UTC)
    cadre_id = await _new_cadre(as_user)
    until = datetime.now(UTC)
    await _new_cadre(as_user)

    body = await as_user("demo-admin")(TRAIL, filter={"from": since.isoformat(),
                                                      "to": until.isoformat()})

    found = nodes(body, "auditEvents")
    assert [(n["operation"], n["recordIds"]) for n in found] == [("createCadre", [cadre_id])]
    assert all(since <= datetime.fromisoformat(n["at"]) < until for n in found)


async def test_the_administrator_pages_through_the_trail(as_user):
    cadre_id = await _new_cadre(as_user)
    for version in (1, 2, 3):
        await as_user("demo-org")(UPDATE, input={"id": cadre_id, "version": version,
                                                 "position": f"岗位{version}"})
    admin = as_user("demo-admin")
    record = {"recordType": "Cadre", "recordId": cadre_id}

    first = await admin(TRAIL, filter=record, first=3)
    rest = await admin(TRAIL, filter=record, first=3,
                       after=first["data"]["auditEvents"]["pageInfo"]["endCursor"])

    assert first["data"]["auditEvents"]["pageInfo"]["hasNextPage"] is True
    assert rest["data"]["auditEvents"]["pageInfo"]["hasNextPage"] is False
    assert [n["operation"] for n in nodes(first, "auditEvents") + nodes(rest, "auditEvents")] \
        == ["createCadre", "updateCadre", "updateCadre", "updateCadre"]


@pytest.mark.parametrize("account", ["demo-org", "demo-discipline", "demo-cadre"])
async def test_no_one_but_the_administrator_sees_the_trail(as_user, account):
    body = await as_user(account)(TRAIL, first=5)

    assert body["data"]["auditEvents"] == {"totalCount": 0, "edges": [],
                                           "pageInfo": {"hasNextPage": False,
                                                        "endCursor": None}}
    assert "errors" not in body


@pytest.mark.parametrize(("window", "field"), [
    ({"from": "2026-01-01T00:00:00"}, "filter.from"),
    ({"to": "0001-01-01T00:00:00+08:00"}, "filter.to"),
    ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "filter.to"),
    ({"recordId": "-3"}, "filter.recordId"),
])
async def test_a_bad_filter_is_bad_input_naming_the_field(as_user, window, field):
    body = await as_user("demo-admin")(TRAIL, filter=window)

    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == field


async def test_an_unknown_actor_or_record_type_finds_nothing(as_user):
    body = await as_user("demo-admin")(TRAIL, filter={"actor": "x" * 64,
                                                      "recordType": "无此类型"})

    assert body["data"]["auditEvents"]["totalCount"] == 0 and "errors" not in body


async def test_no_mutation_can_change_the_trail(as_user):
    body = await as_user("demo-admin")("{ __schema { mutationType { fields { name } } } }")

    names = [f["name"].lower() for f in body["data"]["__schema"]["mutationType"]["fields"]]
    assert names and not [name for name in names if "audit" in name or "event" in name]


# --- failures and concurrency ----------------------------------------------------------------


REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
               "BEGIN SELECT RAISE(ABORT, 'audit store refused'); END"],
    "postgresql": ["CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'audit store refused'; END $$",
                   "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"]}
ALLOW = {"sqlite": ["DROP TRIGGER refuse_audit"],
         "postgresql": ["DROP TRIGGER refuse_audit ON audit_events",
                        "DROP FUNCTION refuse_audit()"]}


@pytest.fixture
async def headless(database_url: str) -> AsyncIterator[None]:
    """The audit store refuses every new event for the test (a trigger), then accepts again."""
    engine = create_engine(database_url)
    dialect = engine.dialect.name
    async with engine.begin() as connection:
        for statement in REFUSE[dialect]:
            await connection.execute(text(statement))
    yield
    async with engine.begin() as connection:
        for statement in ALLOW[dialect]:
            await connection.execute(text(statement))
    await engine.dispose()


async def test_a_mutation_whose_audit_write_fails_answers_an_error_and_writes_nothing(
        as_user, count_rows, headless):
    tables = ("cadres", "audit_events")
    before = {table: await count_rows(table) for table in tables}

    body = await as_user("demo-org")(CREATE, input=cadre_input())

    assert body["data"] is None
    assert errors_by_code(body, "INTERNAL")
    assert {table: await count_rows(table) for table in tables} == before


async def test_an_audited_read_whose_audit_write_fails_returns_no_data(as_user, count_rows,
                                                                       headless):
    before = await count_rows("audit_events")

    body = await as_user("demo-org")("{ cadres(first: 3) { edges { node { idNumber } } } }")

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL"]
    assert await count_rows("audit_events") == before


async def test_the_chain_is_intact_after_concurrent_mutations(as_user, trail):
    cadre_ids = [await _new_cadre(as_user) for _ in range(5)]
    org = as_user("demo-org")

    answers = await asyncio.gather(*(
        org(UPDATE, input={"id": cadre_id, "version": 1, "position": "局长"})
        for cadre_id in cadre_ids), *(
        as_user("demo-discipline")(FILE, id=cadre_id) for cadre_id in cadre_ids))

    assert all("errors" not in answer for answer in answers), answers
    outcome = await trail.verify()
    assert outcome.broken is None and outcome.events > 10


async def test_reading_a_birth_date_is_recorded_like_the_other_personal_fields(as_user, trail,
                                                                                count_rows):
    # given a cadre with a birth date
    cadre_id = await _new_cadre(as_user)
    before = await count_rows("audit_events")
    # when discipline inspection reads it
    body = await as_user("demo-discipline")(
        "query B($id: ID!) { cadre(id: $id) { name birthDate } }", id=cadre_id)
    # then one read event names it
    assert body["data"]["cadre"]["birthDate"]
    assert await count_rows("audit_events") == before + 1
    [event] = await trail.newest()
    assert (event["operation"], event["record_ids"], event["fields"]) == (
        "read", [int(cadre_id)], ["birthDate"])


async def test_reading_a_cadres_name_without_his_birth_date_is_not_recorded(as_user,
                                                                            count_rows):
    cadre_id = await _new_cadre(as_user)
    before = await count_rows("audit_events")
    body = await as_user("demo-discipline")(
        "query B($id: ID!) { cadre(id: $id) { name gender } }", id=cadre_id)
    assert body["data"]["cadre"]["name"]
    assert await count_rows("audit_events") == before
