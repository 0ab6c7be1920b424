"""Follow-up after adjustment and coming back up (rules 4 and 5) over HTTP.

The adjustment cases these tests need are written directly in the database by the
`records` fixture, as APPOINTMENT or CLOSED cases with a disposition and an
appointment time; each test works in units of its own, under 鹤城区 (C-K1, the
county officer's jurisdiction) or 中方县 (C-K2, outside it).
"""

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from db.engine import create_engine, create_sessionmaker
from db.models import (
    AdjustmentCase,
    Appeal,
    Cadre,
    Evaluation,
    FaultToleranceReview,
    Finding,
    RoleAssignment,
    Unit,
    User,
)
from domain.enums import (
    AppealOutcome,
    AppealStatus,
    CadreStatus,
    CaseStage,
    Disposition,
    EvaluationPeriod,
    FindingSource,
    FindingStatus,
    Gender,
    Grade,
    LeadershipRole,
    Rank,
    ReviewOutcome,
    Role,
    UnitKind,
)
from tests.api.helpers import errors_by_code, units_changed
from tests.api.test_sql_statements import counting_statements
from workflows.followups import open_follow_up

COUNTY_K1, COUNTY_K2 = 2, 3
ORG_USER_ID = 1  # demo-org, the first demo account
NOW = datetime.now(UTC)
LAST, BEFORE = NOW.year - 1, NOW.year - 2  # the latest two annual evaluations
GOOD, EXCELLENT, FAIR = Grade.GOOD, Grade.EXCELLENT, Grade.FAIR

PROMOTION = """query P($unitId: ID!) {
  promotionCandidates(unitId: $unitId) {
    rank reasons cadre { id name } } }"""
REINSTATEMENT = """query R($unitId: ID!) {
  reinstatementCandidates(unitId: $unitId) { rank reasons cadre { id status } } }"""
FOLLOW_UPS = """query F($unitId: ID, $overdueOnly: Boolean) {
  followUps(unitId: $unitId, overdueOnly: $overdueOnly) {
    id cadreId caseId openedAt nextCheckDue overdue
    checks { checkedAt note } retrainings { course startedOn completedOn } } }"""
RECHECK = """mutation C($input: RecordRecheckInput!) {
  recordRecheck(input: $input) { followUp { id nextCheckDue overdue checks { note } } } }"""
RETRAINING = """mutation T($input: RecordRetrainingInput!) {
  recordRetraining(input: $input) { followUp { retrainings { course startedOn completedOn } } } }"""
AWARD = """mutation A($input: GrantAwardInput!) {
  grantAward(input: $input) { award { id cadreId title year } } }"""
UNIT_GRADE = """mutation U($input: RecordUnitEvaluationInput!) {
  recordUnitEvaluation(input: $input) { unitEvaluation { id unitId year grade } } }"""

_serial = itertools.count(1)


class Records:
    """Writes the rows a test needs straight into the database, one commit per call."""

    def __init__(self, sessions: Any, database_url: str, org: Any) -> None:
        self.sessions = sessions
        self.database_url = database_url
        self.org = org

    async def _add(self, row: Any) -> int:
        async with self.sessions() as session, session.begin():
            session.add(row)
            await session.flush()
            return int(row.id)

    async def unit(self, parent_id: int = COUNTY_K1) -> str:
        """A township under ``parent_id``, coded below its parent's code as the seed's are."""
        async with self.sessions() as session:
            parent = await session.get(Unit, parent_id)
        assert parent is not None
        n = next(_serial)
        code = f"{parent.code}-F{n}"
        unit_id = await self._add(Unit(code=code, name=f"跟踪测试镇{n}",
                                       kind=UnitKind.TOWNSHIP, parent_id=parent_id))
        await units_changed(self.database_url, self.org, code)
        return str(unit_id)

    async def cadre(self, unit_id: str, grades: dict[int, Grade], score: float = 85.0,
                    status: CadreStatus = CadreStatus.SERVING) -> str:
        n = next(_serial)
        cadre_id = await self._add(Cadre(
            name=f"候选{n}", gender=Gender.MALE, birth_date=date(1980, 1, 1),
            id_number=f"FU{NOW.timestamp():.0f}{n:06d}"[:18], unit_id=int(unit_id),
            position="副镇长", rank=Rank.DEPUTY_SECTION_CHIEF,
            leadership_role=LeadershipRole.DEPUTY, status=status, version=1,
            created_at=NOW, updated_at=NOW))
        async with self.sessions() as session, session.begin():
            session.add_all([Evaluation(cadre_id=cadre_id, year=year,
                                        period=EvaluationPeriod.ANNUAL, grade=grade,
                                        score=score, sources=[], finalised=True, created_at=NOW)
                             for year, grade in grades.items()])
        return str(cadre_id)

    async def case(self, cadre_id: str, disposition: Disposition, appointed_at: datetime,
                   stage: CaseStage = CaseStage.APPOINTMENT,
                   appeal: AppealOutcome | None = None) -> str:
        case_id = await self._add(AdjustmentCase(
            cadre_id=int(cadre_id), stage=stage, disposition=disposition,
            opened_by=ORG_USER_ID, opened_at=appointed_at - timedelta(days=60),
            decided_by=ORG_USER_ID, decided_at=appointed_at - timedelta(days=20),
            notified_at=appointed_at - timedelta(days=19), appointed_at=appointed_at,
            closed_at=appointed_at if stage is CaseStage.CLOSED else None, version=1))
        if appeal is not None:
            await self._add(Appeal(case_id=case_id, filed_by=ORG_USER_ID,
                                   filed_at=appointed_at + timedelta(days=1), grounds="不服。",
                                   status=AppealStatus.DECIDED, outcome=appeal,
                                   decided_at=appointed_at + timedelta(days=10), version=1))
        return str(case_id)

    async def finding(self, cadre_id: str, reported_at: datetime,
                      review: ReviewOutcome | None = None) -> None:
        finding_id = await self._add(Finding(
            cadre_id=int(cadre_id), item_code="N01", source=FindingSource.INSPECTION_TOUR,
            description="管理松软。", status=FindingStatus.CONFIRMED, reported_at=reported_at,
            concluded_at=reported_at + timedelta(days=30), version=1))
        if review is not None:
            await self._add(FaultToleranceReview(
                finding_id=finding_id, outcome=review, reasoning="改革探索中的失误。",
                reviewer_id=ORG_USER_ID, reviewed_at=reported_at + timedelta(days=40)))

    async def follow_up(self, cadre_id: str, opened_at: datetime) -> str:
        """A case at APPOINTMENT with the follow-up the case workflow opens with it."""
        case_id = await self.case(cadre_id, Disposition.REMOVAL, opened_at)
        async with self.sessions() as session, session.begin():
            return str(await open_follow_up(session, int(case_id), int(cadre_id), opened_at))

    async def cadre_account(self, cadre_id: str) -> str:
        username = f"fu-cadre-{next(_serial)}-{NOW.timestamp():.0f}"
        user_id = await self._add(User(username=username, display_name="本人",
                                       cadre_id=int(cadre_id), active=True, created_at=NOW))
        await self._add(RoleAssignment(user_id=user_id, role=Role.CADRE, unit_id=None))
        return username


@pytest.fixture
async def records(database_url: str, as_user: Any) -> AsyncIterator[Records]:
    engine = create_engine(database_url)
    yield Records(create_sessionmaker(engine), database_url, as_user("demo-org"))
    await engine.dispose()


def candidates(body: dict[str, Any], root: str = "promotionCandidates") -> list[str]:
    return [c["cadre"]["id"] for c in body["data"][root]]


# --- promotion candidates -------------------------------------------------------------------------

async def test_org_officer_gets_the_promotion_candidates_of_a_unit_with_reasons(as_user, records):
    unit = await records.unit()
    good = await records.cadre(unit, {BEFORE: GOOD, LAST: EXCELLENT})
    await records.cadre(unit, {BEFORE: GOOD, LAST: FAIR})
    cooling = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    await records.case(cooling, Disposition.REMOVAL, NOW - timedelta(days=100))
    body = await as_user("demo-org")(PROMOTION, unitId=unit)
    [found] = body["data"]["promotionCandidates"]
    assert found["cadre"]["id"] == good and found["rank"] == 1
    assert found["cadre"]["name"].startswith("候选")
    assert f"last two annual grades GOOD or better: {BEFORE} GOOD, {LAST} EXCELLENT" in (
        found["reasons"][0])


async def test_an_excused_finding_does_not_block_but_a_mitigated_one_does(as_user, records):
    unit = await records.unit()
    excused = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    mitigated = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    await records.finding(excused, datetime(LAST, 3, 1, tzinfo=UTC), ReviewOutcome.EXCUSED)
    await records.finding(mitigated, datetime(LAST, 3, 1, tzinfo=UTC), ReviewOutcome.MITIGATED)
    body = await as_user("demo-org")(PROMOTION, unitId=unit)
    assert candidates(body) == [excused]


async def test_a_revoked_appeal_lifts_the_cooling_off(as_user, records):
    unit = await records.unit()
    revoked = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    upheld = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    recently = NOW - timedelta(days=30)
    await records.case(revoked, Disposition.REMOVAL, recently, CaseStage.CLOSED,
                       AppealOutcome.REVOKED)
    await records.case(upheld, Disposition.REMOVAL, recently, CaseStage.CLOSED,
                       AppealOutcome.UPHELD)
    body = await as_user("demo-org")(PROMOTION, unitId=unit)
    assert candidates(body) == [revoked]


async def test_county_officer_asking_about_another_county_gets_nothing(as_user, records):
    elsewhere = await records.unit(parent_id=COUNTY_K2)
    await records.cadre(elsewhere, {BEFORE: GOOD, LAST: GOOD})
    county = as_user("demo-org-county")
    assert (await county(PROMOTION, unitId=elsewhere))["data"]["promotionCandidates"] == []
    city_wide = await county(PROMOTION, unitId="1")
    org = await as_user("demo-org")(PROMOTION, unitId=elsewhere)
    assert candidates(org)
    assert not set(candidates(org)) & set(candidates(city_wide))


async def test_county_officer_gets_the_candidates_of_his_own_county(as_user, records):
    unit = await records.unit()
    mine = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    body = await as_user("demo-org-county")(PROMOTION, unitId=str(COUNTY_K1))
    assert mine in candidates(body)


async def test_without_subunits_only_the_unit_itself_is_considered(as_user, records):
    parent = await records.unit()
    child = await records.unit(parent_id=int(parent))
    above = await records.cadre(parent, {BEFORE: GOOD, LAST: GOOD})
    below = await records.cadre(child, {BEFORE: GOOD, LAST: GOOD})
    query = """query($u: ID!, $sub: Boolean!) {
      promotionCandidates(unitId: $u, includeSubunits: $sub) { cadre { id } } }"""
    org = as_user("demo-org")
    assert candidates(await org(query, u=parent, sub=False)) == [above]
    assert sorted(candidates(await org(query, u=parent, sub=True))) == sorted([above, below])


async def test_discipline_reads_candidates_and_the_cadre_himself_gets_none(as_user, records):
    unit = await records.unit()
    await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    assert candidates(await as_user("demo-discipline")(PROMOTION, unitId=unit))
    body = await as_user("demo-cadre")(PROMOTION, unitId="1")
    assert body["data"]["promotionCandidates"] == []


async def test_the_cadre_of_a_candidate_follows_the_field_rules(as_user, records):
    unit = await records.unit()
    await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    query = """query($u: ID!) { promotionCandidates(unitId: $u) {
      cadre { idNumber evaluations { grade comment } } } }"""
    org = await as_user("demo-org")(query, u=unit)
    discipline = await as_user("demo-discipline")(query, u=unit)
    [seen] = discipline["data"]["promotionCandidates"]
    assert seen["cadre"]["idNumber"] and seen["cadre"]["evaluations"][0]["grade"] == "GOOD"
    assert seen["cadre"]["evaluations"][0]["comment"] is None
    assert errors_by_code(discipline, "FORBIDDEN")[0]["extensions"]["field"] == (
        "Evaluation.comment")
    assert not errors_by_code(org, "FORBIDDEN")


async def test_a_malformed_unit_id_is_bad_input(as_user):
    body = await as_user("demo-org")(PROMOTION, unitId="abc")
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "unitId"


async def test_candidate_statements_do_not_grow_with_the_unit(as_user, records):
    unit = await records.unit()
    await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    org = as_user("demo-org")
    # A new unit raises the policy version; the server reloaded policy and tree once, when
    # records.unit() waited for it.
    counts = []
    for target in (unit, "1"):
        with counting_statements() as statements:
            body = await org(PROMOTION, unitId=target)
        assert body["data"]["promotionCandidates"]
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- awards and unit grades raise the rank -------------------------------------------------------

async def test_grant_award_raises_the_rank(as_user, records, count_rows):
    unit = await records.unit()
    first = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD}, score=95)
    second = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD}, score=80)
    org = as_user("demo-org")
    assert candidates(await org(PROMOTION, unitId=unit)) == [first, second]
    before = await count_rows("audit_events")
    body = await org(AWARD, input={"cadreId": second, "title": "“闯创干”型干部", "year": LAST})
    assert body["data"]["grantAward"]["award"] == {
        "id": body["data"]["grantAward"]["award"]["id"], "cadreId": second,
        "title": "“闯创干”型干部", "year": LAST}
    assert await count_rows("audit_events") == before + 1
    ranked = (await org(PROMOTION, unitId=unit))["data"]["promotionCandidates"]
    assert [c["cadre"]["id"] for c in ranked] == [second, first]
    assert any("1 award(s)" in reason for reason in ranked[0]["reasons"])


async def test_refused_awards_write_nothing(as_user, records, count_rows):
    unit = await records.unit()
    cadre = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    before = (await count_rows("awards"), await count_rows("audit_events"))
    award = {"cadreId": cadre, "title": "闯创干", "year": LAST}
    forbidden = await as_user("demo-discipline")(AWARD, input=award)
    future = await as_user("demo-org")(AWARD, input={**award, "year": NOW.year + 1})
    empty = await as_user("demo-org")(AWARD, input={**award, "title": "  "})
    elsewhere = await records.cadre(await records.unit(COUNTY_K2), {LAST: GOOD})
    hidden = await as_user("demo-org-county")(AWARD, input={**award, "cadreId": elsewhere})
    assert errors_by_code(forbidden, "FORBIDDEN")
    assert errors_by_code(future, "BAD_USER_INPUT")[0]["extensions"]["field"] == "year"
    assert errors_by_code(empty, "BAD_USER_INPUT")[0]["extensions"]["field"] == "title"
    assert errors_by_code(hidden, "NOT_FOUND")
    assert (await count_rows("awards"), await count_rows("audit_events")) == before


async def test_a_good_unit_grade_ranks_its_cadres_first(as_user, records, count_rows):
    parent = await records.unit()
    strong = await records.unit(parent_id=int(parent))
    graded = await records.unit(parent_id=int(parent))
    high = await records.cadre(strong, {BEFORE: GOOD, LAST: GOOD}, score=95)
    low = await records.cadre(graded, {BEFORE: GOOD, LAST: GOOD}, score=70)
    org = as_user("demo-org")
    assert candidates(await org(PROMOTION, unitId=parent)) == [high, low]
    body = await org(UNIT_GRADE, input={"unitId": graded, "year": LAST, "grade": "GOOD"})
    assert body["data"]["recordUnitEvaluation"]["unitEvaluation"]["grade"] == "GOOD"
    ranked = (await org(PROMOTION, unitId=parent))["data"]["promotionCandidates"]
    assert [c["cadre"]["id"] for c in ranked] == [low, high]
    assert any(f"own unit graded GOOD in {LAST}" in r for r in ranked[0]["reasons"])
    before = await count_rows("unit_evaluations")
    again = await org(UNIT_GRADE, input={"unitId": graded, "year": LAST, "grade": "FAIR"})
    assert errors_by_code(again, "CONFLICT")[0]["extensions"]["field"] == "year"
    assert await count_rows("unit_evaluations") == before


async def test_unit_grades_are_for_the_org_department_in_its_jurisdiction(as_user, records,
                                                                           count_rows):
    elsewhere = await records.unit(parent_id=COUNTY_K2)
    before = await count_rows("unit_evaluations")
    grade = {"unitId": elsewhere, "year": LAST, "grade": "GOOD"}
    county = await as_user("demo-org-county")(UNIT_GRADE, input=grade)
    discipline = await as_user("demo-discipline")(UNIT_GRADE, input=grade)
    missing = await as_user("demo-org")(UNIT_GRADE, input={**grade, "unitId": "99999999"})
    assert errors_by_code(county, "FORBIDDEN") and errors_by_code(discipline, "FORBIDDEN")
    assert errors_by_code(missing, "NOT_FOUND")[0]["extensions"]["field"] == "unitId"
    assert await count_rows("unit_evaluations") == before


# --- reinstatement --------------------------------------------------------------------------------

async def test_an_adjusted_cadre_comes_back_up_after_the_cooling_off(as_user, records):
    unit = await records.unit()
    long_ago = NOW - timedelta(days=400)
    back = await records.cadre(unit, {long_ago.year: FAIR, NOW.year: GOOD},
                               status=CadreStatus.REMOVED)
    await records.case(back, Disposition.REMOVAL, long_ago, CaseStage.CLOSED)
    demoted = await records.cadre(unit, {long_ago.year: FAIR, NOW.year: GOOD})
    await records.case(demoted, Disposition.DEMOTION, long_ago, CaseStage.CLOSED)
    revoked = await records.cadre(unit, {long_ago.year: FAIR, NOW.year: GOOD})
    await records.case(revoked, Disposition.REMOVAL, long_ago, CaseStage.CLOSED,
                       AppealOutcome.REVOKED)
    body = await as_user("demo-org")(REINSTATEMENT, unitId=unit)
    [found] = body["data"]["reinstatementCandidates"]
    assert found["cadre"] == {"id": back, "status": "REMOVED"} and found["rank"] == 1
    assert "after REMOVAL" in found["reasons"][0]
    assert f"{NOW.year} GOOD" in found["reasons"][1]
    promoted = await as_user("demo-org")(PROMOTION, unitId=unit)
    assert back not in candidates(promoted)


# --- follow-ups -----------------------------------------------------------------------------------

async def test_overdue_follow_ups_are_listed(as_user, records):
    unit = await records.unit()
    cadre = await records.cadre(unit, {LAST: FAIR})
    late = await records.follow_up(cadre, NOW - timedelta(days=220))
    other = await records.cadre(unit, {LAST: FAIR})
    on_time = await records.follow_up(other, NOW - timedelta(days=30))
    org = as_user("demo-org")
    every = (await org(FOLLOW_UPS, unitId=unit))["data"]["followUps"]
    assert [f["id"] for f in every] == [late, on_time]
    assert [f["overdue"] for f in every] == [True, False]
    assert every[0]["cadreId"] == cadre and every[0]["checks"] == []
    overdue = (await org(FOLLOW_UPS, unitId=unit, overdueOnly=True))["data"]["followUps"]
    assert [f["id"] for f in overdue] == [late]
    everywhere = (await org(FOLLOW_UPS, overdueOnly=True))["data"]["followUps"]
    assert late in [f["id"] for f in everywhere] and on_time not in [f["id"] for f in everywhere]


async def test_record_recheck_moves_the_due_date(as_user, records, count_rows):
    unit = await records.unit()
    follow_up = await records.follow_up(await records.cadre(unit, {LAST: FAIR}),
                                        NOW - timedelta(days=220))
    before = await count_rows("audit_events")
    body = await as_user("demo-org")(RECHECK, input={"followUpId": follow_up,
                                                     "note": "复检：整改到位。"})
    moved = body["data"]["recordRecheck"]["followUp"]
    due = datetime.fromisoformat(moved["nextCheckDue"])
    assert timedelta(days=180) < due - NOW < timedelta(days=185)
    assert moved["overdue"] is False and moved["checks"] == [{"note": "复检：整改到位。"}]
    assert await count_rows("audit_events") == before + 1


async def test_recheck_of_a_follow_up_out_of_scope_answers_as_a_missing_one(as_user, records,
                                                                             count_rows):
    elsewhere = await records.unit(parent_id=COUNTY_K2)
    follow_up = await records.follow_up(await records.cadre(elsewhere, {LAST: FAIR}),
                                        NOW - timedelta(days=220))
    before = (await count_rows("follow_up_checks"), await count_rows("audit_events"))
    county = as_user("demo-org-county")
    hidden = await county(RECHECK, input={"followUpId": follow_up, "note": "复检"})
    missing = await county(RECHECK, input={"followUpId": "99999999", "note": "复检"})
    [hidden_error] = errors_by_code(hidden, "NOT_FOUND")
    [missing_error] = errors_by_code(missing, "NOT_FOUND")
    assert hidden_error["message"] == f"No follow-up with id {follow_up}."
    assert missing_error["message"] == "No follow-up with id 99999999."
    assert follow_up not in [f["id"] for f in (await county(FOLLOW_UPS))["data"]["followUps"]]
    assert (await count_rows("follow_up_checks"), await count_rows("audit_events")) == before


async def test_refused_rechecks_write_nothing(as_user, records, count_rows):
    unit = await records.unit()
    follow_up = await records.follow_up(await records.cadre(unit, {LAST: FAIR}),
                                        NOW - timedelta(days=220))
    before = (await count_rows("follow_up_checks"), await count_rows("audit_events"))
    forbidden = await as_user("demo-discipline")(RECHECK, input={"followUpId": follow_up,
                                                                 "note": "复检"})
    empty = await as_user("demo-org")(RECHECK, input={"followUpId": follow_up, "note": " "})
    assert errors_by_code(forbidden, "FORBIDDEN")
    assert errors_by_code(empty, "BAD_USER_INPUT")[0]["extensions"]["field"] == "note"
    assert (await count_rows("follow_up_checks"), await count_rows("audit_events")) == before
    [listed] = (await as_user("demo-discipline")(FOLLOW_UPS, unitId=unit))["data"]["followUps"]
    assert listed["overdue"] is True


async def test_retraining_is_recorded_and_a_bad_one_refused(as_user, records, count_rows):
    unit = await records.unit()
    follow_up = await records.follow_up(await records.cadre(unit, {LAST: FAIR}),
                                        NOW - timedelta(days=30))
    org = as_user("demo-org")
    course = {"followUpId": follow_up, "course": "党性教育专题培训", "startedOn": "2026-03-01",
              "completedOn": "2026-03-20"}
    body = await org(RETRAINING, input=course)
    assert body["data"]["recordRetraining"]["followUp"]["retrainings"] == [
        {"course": "党性教育专题培训", "startedOn": "2026-03-01", "completedOn": "2026-03-20"}]
    before = await count_rows("retrainings")
    bad = await org(RETRAINING, input={**course, "completedOn": "2026-02-01"})
    assert errors_by_code(bad, "BAD_USER_INPUT")[0]["extensions"]["field"] == "completedOn"
    assert await count_rows("retrainings") == before


async def test_the_cadre_reads_his_own_follow_up_only(as_user, records):
    unit = await records.unit()
    cadre = await records.cadre(unit, {LAST: FAIR})
    own = await records.follow_up(cadre, NOW - timedelta(days=30))
    other = await records.follow_up(await records.cadre(unit, {LAST: FAIR}),
                                     NOW - timedelta(days=30))
    himself = as_user(await records.cadre_account(cadre))
    listed = (await himself(FOLLOW_UPS))["data"]["followUps"]
    assert [f["id"] for f in listed] == [own] and listed[0]["nextCheckDue"]
    body = await himself(RECHECK, input={"followUpId": own, "note": "自查"})
    assert errors_by_code(body, "FORBIDDEN")
    hidden = await himself(RECHECK, input={"followUpId": other, "note": "自查"})
    assert errors_by_code(hidden, "NOT_FOUND")


async def test_ids_beyond_the_integer_columns_are_refused_not_internal_errors(as_user):
    org, big = as_user("demo-org"), str(2**40)
    alone = """query($u: ID!) {
      promotionCandidates(unitId: $u, includeSubunits: false) { rank } }"""
    bodies = [await org(RECHECK, input={"followUpId": big, "note": "复检"}),
              await org(AWARD, input={"cadreId": big, "title": "闯创干", "year": LAST}),
              await org(UNIT_GRADE, input={"unitId": big, "year": LAST, "grade": "GOOD"}),
              await org(alone, u=big), await org(FOLLOW_UPS, unitId=big)]
    for body in bodies:
        codes = {e["extensions"]["code"] for e in body.get("errors") or []}
        assert codes <= {"BAD_USER_INPUT", "NOT_FOUND"}, body
        assert codes or not any(body["data"].values()), body



@pytest.fixture(scope="module")
async def general_client(settings) -> AsyncIterator[httpx.AsyncClient]:
    """The application on graphql-core's general executor instead of the short path."""
    app = create_app(settings.model_copy(update={"compiled_execution": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.mark.parametrize("account", ["demo-org", "demo-org-county", "demo-discipline",
                                     "demo-cadre"])
async def test_short_path_answers_as_graphql_core(client, general_client, token, records,
                                                  account):
    unit = await records.unit()
    cadre = await records.cadre(unit, {BEFORE: GOOD, LAST: GOOD})
    await records.follow_up(cadre, NOW - timedelta(days=220))
    query = """query($u: ID!) {
      promotionCandidates(unitId: $u) { rank reasons cadre { id name idNumber
        evaluations { year grade comment } findings { status informant } } }
      reinstatementCandidates(unitId: "1") { rank cadre { id } }
      followUps(overdueOnly: true) { id cadreId caseId openedAt nextCheckDue overdue closedAt
        checks { checkedAt note } retrainings { course startedOn completedOn } } }"""
    request = {"query": query, "variables": {"u": unit}}
    headers = {"Authorization": f"Bearer {token(account)}"}
    short = await client.post("/graphql", json=request, headers=headers)
    general = await general_client.post("/graphql", json=request, headers=headers)
    assert short.json() == general.json()
