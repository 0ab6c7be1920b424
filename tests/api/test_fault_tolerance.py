"""Fault tolerance (容错纠错) and the cadre's statements, over HTTP, for each role.

Every allowed path has a refusal twin; every refusal writes nothing, not even an audit event.
"""

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import create_engine
from db.models import AuditEvent
from tests.api.helpers import errors_by_code
from tests.api.test_mutations import CREATE, cadre_input
from tests.api.test_records import CONFIRM, REPORT, START, finding

REVIEW = """mutation Review($input: ReviewFaultToleranceInput!) {
  reviewFaultTolerance(input: $input) {
    review { id findingId outcome item { code kind title } reasoning reviewedAt } } }"""
STATEMENT = """mutation State($input: SubmitFindingStatementInput!) {
  submitFindingStatement(input: $input) { statement { id findingId text submittedAt } } }"""
READ_REVIEW = """query Read($findingId: ID!) {
  faultToleranceReview(findingId: $findingId) {
    id findingId outcome item { code kind title } reasoning reviewedAt } }"""
READ_STATEMENTS = """query Statements($findingId: ID!) {
  findingStatements(findingId: $findingId) { id findingId text submittedAt } }"""
TOLERANCE_LIST = """query List($kind: ToleranceListKind) {
  toleranceList(kind: $kind) { code kind title gloss active } }"""
OWN_FINDINGS = "{ me { cadre { id findings { id status } } } }"

WRITTEN_TABLES = ("fault_tolerance_reviews", "finding_statements", "audit_events")


def review(finding_id: str, **overrides: Any) -> dict[str, Any]:
    return {"findingId": finding_id, "outcome": "EXCUSED", "itemCode": "P01",
            "reasoning": "  改革试点中因经验不足出现失误，未谋取私利。 ", **overrides}


async def _new_cadre(as_user: Any, unit_id: str = "2") -> str:
    body = await as_user("demo-org")(CREATE, input=cadre_input(unitId=unit_id))
    return body["data"]["createCadre"]["cadre"]["id"]


async def _confirmed_finding(as_user: Any, cadre_id: str) -> str:
    """Report, verify and confirm a finding against ``cadre_id`` as the discipline inspector."""
    discipline = as_user("demo-discipline")
    reported = await discipline(REPORT, input=finding(cadre_id))
    finding_id = reported["data"]["reportFinding"]["finding"]["id"]
    await discipline(START, input={"id": finding_id, "version": 1})
    confirmed = await discipline(CONFIRM, input={"id": finding_id, "version": 2})
    assert confirmed["data"]["confirmFinding"]["finding"]["status"] == "CONFIRMED"
    return finding_id


async def _demo_cadre(as_user: Any) -> dict[str, Any]:
    return (await as_user("demo-cadre")(OWN_FINDINGS))["data"]["me"]["cadre"]


@pytest.fixture
async def audit_events(database_url: str) -> Any:
    """``await audit_events(after_id)`` → (id, operation, record_type, record_ids) rows."""
    engine = create_engine(database_url)

    async def read(after_id: int = 0) -> list[Any]:
        async with engine.connect() as connection:
            # Through the model, so record_ids decode from JSON on every database.
            rows = await connection.execute(
                select(AuditEvent.id, AuditEvent.operation, AuditEvent.record_type,
                       AuditEvent.record_ids).where(AuditEvent.id > after_id)
                .order_by(AuditEvent.id))
            return list(rows)

    yield read
    await engine.dispose()


@pytest.fixture
async def row_counts(count_rows: Any) -> Any:
    """``await row_counts()`` → rows in each table a review or statement writes."""
    async def counts() -> dict[str, int]:
        return {table: await count_rows(table) for table in WRITTEN_TABLES}

    return counts


async def _last_event_id(audit_events: Any) -> int:
    events = await audit_events()
    return events[-1].id if events else 0


# --- the catalogue ---------------------------------------------------------------------------

async def test_every_caller_reads_both_tolerance_lists(as_user):
    body = await as_user("demo-cadre")(TOLERANCE_LIST)
    items = body["data"]["toleranceList"]
    kinds = [item["kind"] for item in items]
    assert kinds.count("POSITIVE") >= 5 and kinds.count("NEGATIVE") >= 5
    assert all(item["title"] and item["gloss"] and item["active"] for item in items)


async def test_the_tolerance_list_filters_by_kind(as_user):
    body = await as_user("demo-org")(TOLERANCE_LIST, kind="NEGATIVE")
    items = body["data"]["toleranceList"]
    assert items and {item["kind"] for item in items} == {"NEGATIVE"}


# --- reviews -----------------------------------------------------------------------------------

async def test_org_officer_reviews_a_confirmed_finding_and_it_is_recorded(as_user, audit_events):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    before = await _last_event_id(audit_events)
    body = await as_user("demo-org")(REVIEW, input=review(finding_id))
    written = body["data"]["reviewFaultTolerance"]["review"]
    assert written["findingId"] == finding_id and written["outcome"] == "EXCUSED"
    assert written["item"] == {"code": "P01", "kind": "POSITIVE",
                               "title": written["item"]["title"]}
    assert written["reasoning"] == "改革试点中因经验不足出现失误，未谋取私利。"
    assert written["reviewedAt"]
    events = [e for e in await audit_events(before) if e.operation == "reviewFaultTolerance"]
    assert len(events) == 1 and events[0].record_type == "FaultToleranceReview"
    assert events[0].record_ids == [int(written["id"]), int(finding_id)]


async def test_discipline_inspector_reviews_and_org_officer_reads_the_review(as_user):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    body = await as_user("demo-discipline")(
        REVIEW, input=review(finding_id, outcome="NOT_EXCUSED", itemCode="X01",
                             reasoning="为亲属谋取利益。"))
    assert body["data"]["reviewFaultTolerance"]["review"]["outcome"] == "NOT_EXCUSED"
    read = await as_user("demo-org")(READ_REVIEW, findingId=finding_id)
    assert read["data"]["faultToleranceReview"]["item"]["kind"] == "NEGATIVE"
    assert "errors" not in read


async def test_not_excused_needs_no_item(as_user):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    body = await as_user("demo-org")(
        REVIEW, input=review(finding_id, outcome="NOT_EXCUSED", itemCode=None))
    written = body["data"]["reviewFaultTolerance"]["review"]
    assert written["outcome"] == "NOT_EXCUSED" and written["item"] is None


@pytest.mark.parametrize("query", [READ_REVIEW, READ_STATEMENTS], ids=["review", "statements"])
async def test_a_finding_without_reviews_or_statements_reads_as_empty(as_user, query):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    for requested in (finding_id, "2147483647"):
        body = await as_user("demo-org")(query, findingId=requested)
        assert not any(body["data"].values()) and "errors" not in body


async def test_review_of_a_reported_finding_is_a_conflict_and_writes_nothing(as_user,
                                                                             row_counts):
    cadre_id = await _new_cadre(as_user)
    reported = await as_user("demo-discipline")(REPORT, input=finding(cadre_id))
    finding_id = reported["data"]["reportFinding"]["finding"]["id"]
    before = await row_counts()
    body = await as_user("demo-org")(REVIEW, input=review(finding_id))
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "findingId"
    assert body["data"]["reviewFaultTolerance"] is None
    assert await row_counts() == before


async def test_excusing_negative_list_conduct_is_bad_input_naming_the_item(as_user, row_counts):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    before = await row_counts()
    body = await as_user("demo-org")(REVIEW, input=review(finding_id, itemCode="X02"))
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "itemCode"
    assert await row_counts() == before
    allowed = await as_user("demo-org")(REVIEW, input=review(finding_id, itemCode="P04"))
    assert allowed["data"]["reviewFaultTolerance"]["review"]["item"]["code"] == "P04"


@pytest.mark.parametrize(("overrides", "code", "field"), [
    ({"itemCode": None}, "BAD_USER_INPUT", "itemCode"),
    ({"outcome": "MITIGATED", "itemCode": "  "}, "BAD_USER_INPUT", "itemCode"),
    ({"itemCode": "P99"}, "NOT_FOUND", "itemCode"),
    ({"reasoning": "   "}, "BAD_USER_INPUT", "reasoning"),
    ({"reasoning": "理" * 4001}, "BAD_USER_INPUT", "reasoning"),
    ({"findingId": "abc"}, "BAD_USER_INPUT", "findingId"),
    ({"findingId": "2147483647"}, "NOT_FOUND", "findingId"),
    ({"findingId": "2147483648"}, "BAD_USER_INPUT", "findingId"),
], ids=["excused-without-item", "mitigated-blank-item", "unknown-item", "blank-reasoning",
        "reasoning-too-long", "malformed-id", "id-beyond-any-row", "id-beyond-the-range"])
async def test_malformed_reviews_are_refused_naming_the_field(as_user, row_counts, overrides,
                                                              code, field):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    before = await row_counts()
    body = await as_user("demo-org")(REVIEW, input=review(finding_id, **overrides))
    assert errors_by_code(body, code)[0]["extensions"]["field"] == field
    assert await row_counts() == before


async def test_second_review_of_a_finding_is_a_conflict(as_user, row_counts):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    await as_user("demo-org")(REVIEW, input=review(finding_id))
    before = await row_counts()
    body = await as_user("demo-discipline")(
        REVIEW, input=review(finding_id, outcome="NOT_EXCUSED", itemCode=None))
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "findingId"
    assert await row_counts() == before


async def test_of_two_concurrent_reviews_exactly_one_wins(as_user, count_rows):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user))
    before = await count_rows("fault_tolerance_reviews")
    results = await asyncio.gather(*(
        as_user(username)(REVIEW, input=review(finding_id))
        for username in ("demo-org", "demo-discipline")))
    won = [r for r in results if r["data"]["reviewFaultTolerance"]]
    lost = [r for r in results if errors_by_code(r, "CONFLICT")]
    assert (len(won), len(lost)) == (1, 1)
    assert await count_rows("fault_tolerance_reviews") == before + 1


async def test_cadre_cannot_review_a_finding_against_him(as_user, row_counts):
    cadre = await _demo_cadre(as_user)
    finding_id = await _confirmed_finding(as_user, cadre["id"])
    before = await row_counts()
    body = await as_user("demo-cadre")(REVIEW, input=review(finding_id))
    assert errors_by_code(body, "FORBIDDEN")
    assert await row_counts() == before


async def test_county_officer_reviews_a_finding_in_his_county(as_user):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user, unit_id="2"))
    body = await as_user("demo-org-county")(REVIEW, input=review(finding_id))
    assert body["data"]["reviewFaultTolerance"]["review"]["outcome"] == "EXCUSED"


async def test_county_officer_gets_not_found_outside_his_county_as_for_a_missing_one(
        as_user, row_counts):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user, unit_id="3"))
    county = as_user("demo-org-county")
    before = await row_counts()
    hidden = await county(REVIEW, input=review(finding_id))
    missing = await county(REVIEW, input=review("99999999"))
    [hidden_error] = errors_by_code(hidden, "NOT_FOUND")
    [missing_error] = errors_by_code(missing, "NOT_FOUND")
    assert hidden_error["message"] == f"No finding with id {finding_id}."
    assert missing_error["message"] == "No finding with id 99999999."
    assert hidden_error["extensions"] == missing_error["extensions"]
    assert await row_counts() == before


async def test_county_officer_cannot_read_a_review_outside_his_county(as_user):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user, unit_id="3"))
    await as_user("demo-org")(REVIEW, input=review(finding_id))
    seen = await as_user("demo-org")(READ_REVIEW, findingId=finding_id)
    hidden = await as_user("demo-org-county")(READ_REVIEW, findingId=finding_id)
    assert seen["data"]["faultToleranceReview"]["findingId"] == finding_id
    assert hidden["data"]["faultToleranceReview"] is None and "errors" not in hidden


async def test_cadre_reads_the_review_of_a_finding_against_him_but_not_of_others(as_user):
    own = await _confirmed_finding(as_user, (await _demo_cadre(as_user))["id"])
    other = await _confirmed_finding(as_user, await _new_cadre(as_user, unit_id="3"))
    for finding_id in (own, other):
        await as_user("demo-org")(
            REVIEW, input=review(finding_id, outcome="MITIGATED", reasoning="从轻处理。"))
    cadre = as_user("demo-cadre")
    mine = await cadre(READ_REVIEW, findingId=own)
    theirs = await cadre(READ_REVIEW, findingId=other)
    read = mine["data"]["faultToleranceReview"]
    assert read["outcome"] == "MITIGATED" and read["reasoning"] == "从轻处理。"
    assert read["item"]["code"] == "P01" and "errors" not in mine
    assert theirs["data"]["faultToleranceReview"] is None


# --- statements --------------------------------------------------------------------------------

async def _seeded_confirmed_finding(as_user: Any) -> str:
    findings = (await _demo_cadre(as_user))["findings"]
    return next(f["id"] for f in findings if f["status"] == "CONFIRMED")


async def test_cadre_submits_statements_on_his_own_finding(as_user, audit_events):
    finding_id = await _seeded_confirmed_finding(as_user)
    cadre = as_user("demo-cadre")
    before = await _last_event_id(audit_events)
    first = await cadre(STATEMENT, input={"findingId": finding_id, "text": " 情况说明一。 "})
    second = await cadre(STATEMENT, input={"findingId": finding_id, "text": "补充说明。"})
    written = first["data"]["submitFindingStatement"]["statement"]
    assert written["text"] == "情况说明一。" and written["findingId"] == finding_id
    assert written["submittedAt"]
    listed = (await cadre(READ_STATEMENTS, findingId=finding_id))["data"]["findingStatements"]
    ids = [s["id"] for s in listed]
    assert ids.index(written["id"]) < ids.index(
        second["data"]["submitFindingStatement"]["statement"]["id"])
    events = [e for e in await audit_events(before) if e.operation == "submitFindingStatement"]
    assert len(events) == 2 and {e.record_type for e in events} == {"FindingStatement"}


async def test_org_and_discipline_read_statements_but_an_officer_out_of_scope_does_not(as_user):
    finding_id = await _seeded_confirmed_finding(as_user)
    await as_user("demo-cadre")(STATEMENT, input={"findingId": finding_id, "text": "说明。"})
    for username in ("demo-org", "demo-discipline"):
        body = await as_user(username)(READ_STATEMENTS, findingId=finding_id)
        assert body["data"]["findingStatements"] and "errors" not in body
    hidden = await as_user("demo-org-county")(READ_STATEMENTS, findingId=finding_id)
    assert hidden["data"]["findingStatements"] == []


async def test_cadre_cannot_submit_a_statement_on_another_cadres_finding(as_user, row_counts):
    finding_id = await _confirmed_finding(as_user, await _new_cadre(as_user, unit_id="3"))
    before = await row_counts()
    body = await as_user("demo-cadre")(STATEMENT, input={"findingId": finding_id,
                                                         "text": "不是我的。"})
    [error] = errors_by_code(body, "NOT_FOUND")
    assert error["message"] == f"No finding with id {finding_id}."
    assert error["extensions"]["field"] == "findingId"
    assert body["data"]["submitFindingStatement"] is None
    assert await row_counts() == before


@pytest.mark.parametrize("username", ["demo-org", "demo-discipline"])
async def test_officers_cannot_submit_a_statement_for_the_cadre(as_user, row_counts, username):
    finding_id = await _seeded_confirmed_finding(as_user)
    before = await row_counts()
    body = await as_user(username)(STATEMENT, input={"findingId": finding_id, "text": "代写。"})
    assert errors_by_code(body, "FORBIDDEN")[0]["extensions"]["field"] == (
        "FindingStatement.text")
    assert await row_counts() == before


@pytest.mark.parametrize("statement", ["   ", "说" * 4001], ids=["blank", "too-long"])
async def test_empty_or_oversized_statement_is_bad_input(as_user, row_counts, statement):
    finding_id = await _seeded_confirmed_finding(as_user)
    before = await row_counts()
    body = await as_user("demo-cadre")(STATEMENT, input={"findingId": finding_id,
                                                         "text": statement})
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "text"
    assert await row_counts() == before
