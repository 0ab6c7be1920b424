"""Property: for any caller and any filter, statistics agree with counting the rows that same
caller can page through with that filter."""

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.enums import CadreStatus, LeadershipRole

ACCOUNTS = ["demo-org", "demo-org-county", "demo-discipline", "demo-cadre"]
DIMENSIONS = ["UNIT", "LEADERSHIP_ROLE", "STATUS", "GRADE", "YEAR"]
#: Units the filters pick from: the city, a county, a municipal agency, a township.
UNIT_IDS = ["1", "2", "3", "12", "20"]
STATS = """query S($groupBy: [CadreDimension!]!, $filter: CadreFilter) {
  cadreStatistics(groupBy: $groupBy, filter: $filter) { total
    cells { unit { id } leadershipRole status grade year count } } }"""
ROSTER = """query R($after: String, $filter: CadreFilter) {
  cadres(first: 100, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor }
    edges { node { unit { id } leadershipRole status evaluations { grade year } } } } }"""

filters = st.fixed_dictionaries({}, optional={
    "unitId": st.sampled_from(UNIT_IDS), "includeSubunits": st.booleans(),
    "status": st.sampled_from([s.value for s in CadreStatus]),
    "leadershipRole": st.sampled_from([r.value for r in LeadershipRole])})


def _cadre_key(node: dict[str, Any], dims: list[str]) -> tuple[Any, ...]:
    values = {"UNIT": node["unit"]["id"], "LEADERSHIP_ROLE": node["leadershipRole"],
              "STATUS": node["status"]}
    return tuple(values[d] for d in dims)


def _expected(nodes: list[dict[str, Any]], dims: list[str]) -> Counter[tuple[Any, ...]]:
    cadre_dims = [d for d in dims if d not in ("GRADE", "YEAR")]
    if len(cadre_dims) == len(dims):
        return Counter(_cadre_key(n, dims) for n in nodes)
    found: Counter[tuple[Any, ...]] = Counter()
    for node in nodes:
        for evaluation in node["evaluations"]:
            values = dict(zip(cadre_dims, _cadre_key(node, cadre_dims), strict=True))
            values |= {"GRADE": evaluation["grade"], "YEAR": evaluation["year"]}
            found[tuple(values[d] for d in dims)] += 1
    return found


def _reported(cell: dict[str, Any], dims: list[str]) -> tuple[Any, ...]:
    values = {"UNIT": (cell["unit"] or {}).get("id"), "LEADERSHIP_ROLE": cell["leadershipRole"],
              "STATUS": cell["status"], "GRADE": cell["grade"], "YEAR": cell["year"]}
    return tuple(values[d] for d in dims)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=st.sampled_from(ACCOUNTS), filter=filters,
       dims=st.lists(st.sampled_from(DIMENSIONS), unique=True, max_size=3))
async def test_statistics_agree_with_the_rows_the_caller_can_page_through(as_user, account,
                                                                          filter, dims):
    user = as_user(account)
    nodes, after = [], None
    while True:
        page = (await user(ROSTER, after=after, filter=filter))["data"]["cadres"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    body = await user(STATS, groupBy=dims, filter=filter)
    assert "errors" not in body, body
    stats = body["data"]["cadreStatistics"]
    reported = {_reported(cell, dims): cell["count"] for cell in stats["cells"]}
    assert reported == dict(_expected(nodes, dims))
    assert stats["total"] == sum(reported.values())
