"""Statistics under policy: counts over exactly the rows the caller may see, grouped only by
fields he may read; a partner counts through a statistics scope, small cells suppressed."""

from collections import Counter
from typing import Any

import pytest

from tests.api.helpers import errors_by_code
from tests.api.partner_helpers import Partner, issue, register, sha256, unit_ids

GRADES = """query G($unit: ID) { cadreStatistics(groupBy: [UNIT, GRADE],
  filter: {unitId: $unit}) { total suppressedCells minimumGroupSize counted
  cells { unit { code } grade count suppressed averageScore } } }"""
BY_ROLE = """{ cadreStatistics(groupBy: [LEADERSHIP_ROLE]) { total counted
  cells { leadershipRole count suppressed } } }"""
ROSTER = """query R($after: String) { cadres(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id leadershipRole unit { code }
  evaluations { grade } } } } }"""
FINDINGS = """{ findingStatistics(groupBy: [ITEM, STATUS]) { total counted
  cells { itemCode status count } } }"""
CASES = """{ caseStatistics(groupBy: [STAGE]) { total cells { stage disposition count } } }"""
FOLLOW_UPS = """{ followUpStatistics { total cells { unit { code } count overdue } } }"""
PARTNER_GRADES = """query PartnerGrades { cadreStatistics(groupBy: [UNIT, GRADE]) {
  total suppressedCells minimumGroupSize cells { unit { code } grade count suppressed } } }"""
PARTNER_PERSONAL = """query PartnerStatsByGender {
  cadreStatistics(groupBy: [GENDER]) { total } }"""


async def roster(user: Any) -> list[dict[str, Any]]:
    """Every cadre the user can page through."""
    found, after = [], None
    while True:
        body = (await user(ROSTER, after=after))["data"]["cadres"]
        found += [edge["node"] for edge in body["edges"]]
        if not body["pageInfo"]["hasNextPage"]:
            return found
        after = body["pageInfo"]["endCursor"]


async def test_a_county_sees_the_grade_distribution_of_its_own_cadres(as_user):
    county = as_user("demo-org-county")
    body = await county(GRADES)
    stats = body["data"]["cadreStatistics"]
    assert "errors" not in body and stats["counted"] == "evaluations"
    seen = await roster(county)
    expected = Counter((c["unit"]["code"], e["grade"]) for c in seen for e in c["evaluations"])
    assert {(c["unit"]["code"], c["grade"]): c["count"] for c in stats["cells"]} == expected
    assert stats["total"] == sum(expected.values()) and stats["suppressedCells"] == 0
    assert stats["minimumGroupSize"] is None
    assert all(0 <= c["averageScore"] <= 100 for c in stats["cells"] if c["averageScore"])


async def test_the_city_sees_more_than_the_county(as_user):
    city = (await as_user("demo-org")(BY_ROLE))["data"]["cadreStatistics"]
    county = (await as_user("demo-org-county")(BY_ROLE))["data"]["cadreStatistics"]
    assert city["counted"] == "cadres" and city["total"] > county["total"] > 0


async def test_the_cadre_himself_counts_only_his_own_file(as_user):
    stats = (await as_user("demo-cadre")(BY_ROLE))["data"]["cadreStatistics"]
    assert stats["total"] == 1


async def test_grouping_by_a_field_the_caller_may_not_read_is_forbidden(as_user):
    body = await as_user("demo-admin")(BY_ROLE)
    [error] = errors_by_code(body, "FORBIDDEN")
    assert error["extensions"]["field"] == "Cadre.leadershipRole"
    assert body["data"] is None


@pytest.mark.parametrize("query", [FINDINGS, CASES, FOLLOW_UPS])
async def test_finding_case_and_follow_up_statistics_for_the_department_not_the_admin(
        as_user, query):
    allowed = await as_user("demo-org")(query)
    assert "errors" not in allowed
    [root] = allowed["data"].values()
    assert root["total"] == sum(cell["count"] for cell in root["cells"]) > 0
    assert errors_by_code(await as_user("demo-admin")(query), "FORBIDDEN")


async def test_overdue_follow_ups_are_counted_by_unit(as_user):
    stats = (await as_user("demo-org")(FOLLOW_UPS))["data"]["followUpStatistics"]
    assert any(cell["overdue"] for cell in stats["cells"])
    assert all(cell["overdue"] <= cell["count"] for cell in stats["cells"])


@pytest.mark.parametrize(("group_by", "field"), [("[UNIT, UNIT]", "groupBy"),
                                                 ("[UNIT, GRADE, YEAR, RANK, STATUS]",
                                                  "groupBy")])
async def test_repeated_or_too_many_dimensions_are_bad_input(as_user, group_by, field):
    body = await as_user("demo-org")(f"{{ cadreStatistics(groupBy: {group_by}) {{ total }} }}")
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == field


@pytest.fixture(scope="module")
async def bureau(client: Any, as_user: Any) -> Partner:
    """The statistics bureau: a token with the statistics scope only, on 鹤城区."""
    admin = as_user("demo-admin")
    hashes = [await register(admin, PARTNER_GRADES, "grade statistics")]
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]],
                       scopes=["statistics:grades"], operations=hashes, agency="统计局")
    return Partner(client, body["data"]["issuePartnerToken"]["secret"])


async def test_the_statistics_bureau_gets_counts_with_small_cells_suppressed(bureau, as_user,
                                                                             settings):
    body = await bureau.run(sha256(PARTNER_GRADES))
    assert body["status"] == 200 and "errors" not in body, body
    stats = body["data"]["cadreStatistics"]
    minimum = settings.statistics_min_group_size
    assert stats["minimumGroupSize"] == minimum
    exact = {(c["unit"]["code"], c["grade"]): c["count"] for c in
             (await as_user("demo-org-county")(GRADES))["data"]["cadreStatistics"]["cells"]}
    cells = {(c["unit"]["code"], c["grade"]): c for c in stats["cells"]}
    assert cells.keys() == exact.keys()
    for key, cell in cells.items():
        if exact[key] < minimum:
            assert cell["suppressed"] and cell["count"] is None
        else:
            assert not cell["suppressed"] and cell["count"] == exact[key] - exact[key] % minimum
    assert stats["suppressedCells"] == sum(1 for n in exact.values() if n < minimum) > 0
    # The total comes in steps of the minimum too: it cannot give a suppressed cell back.
    assert stats["total"] % minimum == 0 and stats["total"] <= sum(exact.values())


async def test_a_token_without_a_statistics_scope_cannot_be_given_statistics(as_user):
    admin = as_user("demo-admin")
    sha = await register(admin, PARTNER_GRADES, "grade statistics")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]], operations=[sha])
    assert errors_by_code(body, "BAD_USER_INPUT")


async def test_the_bureau_may_not_group_by_a_field_outside_its_statistics_scope(client, as_user):
    admin = as_user("demo-admin")
    sha = await register(admin, PARTNER_PERSONAL, "gender statistics")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]], scopes=["statistics:grades"],
                       operations=[sha])
    # Grouping by gender is valid on the view, but the scope does not name Cadre.gender.
    bureau = Partner(client, body["data"]["issuePartnerToken"]["secret"])
    refused = await bureau.run(sha)
    [error] = errors_by_code(refused, "FORBIDDEN")
    assert error["extensions"]["field"] == "Cadre.gender"
    assert error["extensions"]["reason"] == "OUTSIDE_TOKEN_SCOPES"
