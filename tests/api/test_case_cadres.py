"""A cadre reached through a case carries his evaluations, findings and labels, as the
policy allows: the same as when read directly, with the same refusals."""

import pytest

from tests.api.helpers import errors_by_code

CHILDREN = "id evaluations { year grade } findings { id status } labels { code }"
DIRECT = f"query D($id: ID!) {{ cadre(id: $id) {{ {CHILDREN} }} }}"
VIA_CASE = f"query C($id: ID!) {{ adjustmentCase(id: $id) {{ cadre {{ {CHILDREN} }} }} }}"
VIA_CASES = f"{{ adjustmentCases {{ id cadre {{ {CHILDREN} }} }} }}"
VIA_OVERDUE = f"{{ overdueAppeals {{ id cadre {{ {CHILDREN} }} }} }}"
COMMENTS = "query K($id: ID!) { adjustmentCase(id: $id) { cadre { evaluations { comment } } } }"


async def _first_case(as_user) -> str:
    cases = (await as_user("demo-org")("{ adjustmentCases { id } }"))["data"]["adjustmentCases"]
    return cases[-1]["id"]


@pytest.mark.parametrize("account", ["demo-org", "demo-discipline"])
async def test_a_cadre_reached_through_a_case_carries_what_a_direct_read_shows(as_user,
                                                                             account):
    # given a case the caller may read
    case_id = await _first_case(as_user)
    # when he reads its cadre's evaluations, findings and labels
    via = (await as_user(account)(VIA_CASE, id=case_id))["data"]["adjustmentCase"]["cadre"]
    # then they are those of a direct read, and not empty
    direct = (await as_user(account)(DIRECT, id=via["id"]))["data"]["cadre"]
    assert via == direct
    assert via["evaluations"] and via["findings"]


@pytest.mark.parametrize("query", [VIA_CASES, VIA_OVERDUE])
async def test_cadres_of_listed_cases_carry_their_records(as_user, query):
    body = await as_user("demo-org")(query)
    root = next(iter(body["data"]))
    cases = body["data"][root]
    assert cases, "the demo has listed cases"
    assert any(case["cadre"]["evaluations"] for case in cases)
    assert any(case["cadre"]["findings"] for case in cases)


async def test_a_field_denied_on_a_cadre_reached_through_a_case_is_forbidden(as_user):
    # given discipline inspection, which may not read evaluator comments
    case_id = await _first_case(as_user)
    # when it reads them through a case, then FORBIDDEN at their path
    body = await as_user("demo-discipline")(COMMENTS, id=case_id)
    [error] = errors_by_code(body, "FORBIDDEN")
    assert error["path"][:3] == ["adjustmentCase", "cadre", "evaluations"]
    # twin: the org department reads them
    allowed = await as_user("demo-org")(COMMENTS, id=case_id)
    assert "errors" not in allowed
    assert allowed["data"]["adjustmentCase"]["cadre"]["evaluations"]
