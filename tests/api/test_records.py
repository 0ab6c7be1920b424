"""Evaluations and findings: recording, finalising, reporting and the verification lifecycle."""

from tests.api.helpers import errors_by_code
from tests.api.test_mutations import CREATE, cadre_input

RECORD = """mutation R($input: RecordEvaluationInput!) {
  recordEvaluation(input: $input) { evaluation { id year grade score comment finalised } } }"""
FINALISE = "mutation F($id: ID!) { finaliseEvaluation(id: $id) { evaluation { finalised } } }"
REPORT = """mutation Rep($input: ReportFindingInput!) {
  reportFinding(input: $input) { finding { id status version item { code } informant } } }"""
START = """mutation S($input: FindingTransitionInput!) {
  startFindingVerification(input: $input) { finding { status version } } }"""
CONFIRM = """mutation C($input: FindingTransitionInput!) {
  confirmFinding(input: $input) { finding { status version concludedAt } } }"""
DISMISS = """mutation D($input: FindingTransitionInput!) {
  dismissFinding(input: $input) { finding { status } } }"""


async def _new_cadre(as_user, unit_id: str = "2") -> str:
    body = await as_user("demo-org")(CREATE, input=cadre_input(unitId=unit_id))
    return body["data"]["createCadre"]["cadre"]["id"]


def evaluation(cadre_id: str, **overrides):
    return {"cadreId": cadre_id, "year": 2025, "period": "ANNUAL", "grade": "GOOD",
            "score": 88.5, "dimensionScores": {"work": 90, "conduct": 85, "results": 88},
            "sources": ["INSPECTION_TOUR"], "comment": "工作扎实。", **overrides}


def finding(cadre_id: str, **overrides):
    return {"cadreId": cadre_id, "itemCode": "N01", "source": "INSPECTION_TOUR",
            "description": "分管领域管理松软。", "evidence": "巡察记录", "informant": "王某",
            **overrides}


async def test_org_officer_records_and_finalises_an_evaluation(as_user):
    org = as_user("demo-org")
    cadre_id = await _new_cadre(as_user)
    body = await org(RECORD, input=evaluation(cadre_id))
    recorded = body["data"]["recordEvaluation"]["evaluation"]
    assert recorded["grade"] == "GOOD" and recorded["finalised"] is False
    body = await org(FINALISE, id=recorded["id"])
    assert body["data"]["finaliseEvaluation"]["evaluation"]["finalised"] is True
    again = await org(FINALISE, id=recorded["id"])
    assert errors_by_code(again, "CONFLICT")


async def test_score_out_of_range_is_bad_input_and_writes_nothing(as_user):
    org = as_user("demo-org")
    cadre_id = await _new_cadre(as_user)
    body = await org(RECORD, input=evaluation(cadre_id, score=120))
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "score"
    retry = await org(RECORD, input=evaluation(cadre_id))
    assert retry["data"]["recordEvaluation"]["evaluation"]


async def test_second_evaluation_for_the_same_period_is_a_conflict(as_user):
    org = as_user("demo-org")
    cadre_id = await _new_cadre(as_user)
    await org(RECORD, input=evaluation(cadre_id))
    body = await org(RECORD, input=evaluation(cadre_id, grade="FAIR"))
    assert errors_by_code(body, "CONFLICT")


async def test_discipline_inspector_cannot_record_an_evaluation(as_user):
    cadre_id = await _new_cadre(as_user)
    body = await as_user("demo-discipline")(RECORD, input=evaluation(cadre_id))
    assert errors_by_code(body, "FORBIDDEN")


async def test_future_year_is_bad_input(as_user):
    cadre_id = await _new_cadre(as_user)
    body = await as_user("demo-org")(RECORD, input=evaluation(cadre_id, year=2999))
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "year"


async def test_discipline_inspector_reports_verifies_and_confirms_a_finding(as_user):
    discipline = as_user("demo-discipline")
    cadre_id = await _new_cadre(as_user)
    reported = (await discipline(REPORT, input=finding(cadre_id)))["data"]["reportFinding"][
        "finding"]
    assert reported["status"] == "REPORTED" and reported["informant"] == "王某"
    started = await discipline(START, input={"id": reported["id"], "version": 1})
    assert started["data"]["startFindingVerification"]["finding"]["status"] == (
        "UNDER_VERIFICATION")
    confirmed = await discipline(CONFIRM, input={"id": reported["id"], "version": 2})
    assert confirmed["data"]["confirmFinding"]["finding"]["status"] == "CONFIRMED"
    assert confirmed["data"]["confirmFinding"]["finding"]["concludedAt"]


async def test_finding_cannot_be_confirmed_before_verification(as_user):
    discipline = as_user("demo-discipline")
    cadre_id = await _new_cadre(as_user)
    reported = (await discipline(REPORT, input=finding(cadre_id)))["data"]["reportFinding"][
        "finding"]
    body = await discipline(CONFIRM, input={"id": reported["id"], "version": 1})
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "status"


async def test_stale_version_of_a_finding_is_a_conflict(as_user):
    discipline = as_user("demo-discipline")
    cadre_id = await _new_cadre(as_user)
    reported = (await discipline(REPORT, input=finding(cadre_id)))["data"]["reportFinding"][
        "finding"]
    await discipline(START, input={"id": reported["id"], "version": 1})
    body = await discipline(DISMISS, input={"id": reported["id"], "version": 1})
    assert errors_by_code(body, "CONFLICT")


async def test_org_officer_cannot_report_a_finding(as_user):
    cadre_id = await _new_cadre(as_user)
    body = await as_user("demo-org")(REPORT, input=finding(cadre_id))
    assert errors_by_code(body, "FORBIDDEN")


async def test_unknown_negative_list_item_is_not_found(as_user):
    cadre_id = await _new_cadre(as_user)
    body = await as_user("demo-discipline")(REPORT, input=finding(cadre_id, itemCode="N99"))
    assert errors_by_code(body, "NOT_FOUND")[0]["extensions"]["field"] == "itemCode"


async def test_empty_description_is_bad_input(as_user):
    cadre_id = await _new_cadre(as_user)
    body = await as_user("demo-discipline")(REPORT, input=finding(cadre_id, description="  "))
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "description"


async def test_finding_on_a_cadre_outside_scope_answers_as_a_missing_one(as_user):
    cadre_id = await _new_cadre(as_user, unit_id="3")
    discipline = as_user("demo-discipline")
    reported = (await discipline(REPORT, input=finding(cadre_id)))["data"]["reportFinding"][
        "finding"]
    county = as_user("demo-org-county")
    hidden = await county(START, input={"id": reported["id"], "version": 1})
    missing = await county(START, input={"id": "99999999", "version": 1})
    assert errors_by_code(hidden, "NOT_FOUND")[0]["message"].startswith("No finding with id")
    assert errors_by_code(missing, "NOT_FOUND")


async def test_a_time_outside_the_calendar_in_utc_is_bad_input(as_user, count_rows):
    cadre_id = await _new_cadre(as_user)
    before = await count_rows("findings")
    body = await as_user("demo-discipline")(
        REPORT, input=finding(cadre_id, reportedAt="0001-01-01T00:00:00+08:00"))
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "reportedAt"
    assert await count_rows("findings") == before
