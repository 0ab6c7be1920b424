"""No text a client sends is a fault: random Unicode in representative text inputs and
filters answers data or a coded refusal, never INTERNAL and never HTTP 500."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import limits
from tests.api.helpers import errors_by_code
from tests.api.test_mutations import CREATE, cadre_input

SEARCH = """query S($search: String) { cadres(first: 3, filter: {search: $search}) {
  totalCount edges { node { name } } } }"""
TRAIL = """query T($actor: String, $type: String) { auditEvents(first: 3,
  filter: {actor: $actor, recordType: $type}) { totalCount } }"""
EXPLAIN = """query E($principal: String!) { explainAccess(principal: $principal,
  type: "Cadre", field: "name") { granted } }"""
REPORT = """mutation R($input: ReportFindingInput!) { reportFinding(input: $input) {
  finding { id informant } } }"""
ROLE = """mutation A($username: String!, $unit: String) { assignRole(input: {username: $username,
  role: ORG, unitCode: $unit}) { username } }"""

#: Any code point, surrogates and control characters included, with the characters this
#: API refuses and some it must take (Chinese, ordinary whitespace) drawn more often.
ANY_CHARACTER = st.one_of(st.characters(codec=None, exclude_categories=()),
                          st.sampled_from("\x00\t\n\r\x1b\x7f\u202a\u202e\u2066\u2069"
                                          "\u200b\ufeff%_\\'\"干部局长"))
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def texts(max_length: int) -> st.SearchStrategy[str]:
    """Text up to a little beyond ``max_length``, so both sides of the limit are tried."""
    return st.text(ANY_CHARACTER, max_size=max_length + 3)


def _no_fault(body: dict[str, Any]) -> None:
    assert body["status"] != 500 and not errors_by_code(body, "INTERNAL"), body


@pytest.fixture(scope="module")
async def cadre_id(as_user: Any) -> str:
    """A cadre of its own for the findings this module reports."""
    body = await as_user("demo-org")(CREATE, input=cadre_input())
    return str(body["data"]["createCadre"]["cadre"]["id"])


@FUZZ
@given(search=texts(limits.SEARCH))
async def test_any_roster_search_answers_without_a_fault(as_user, search: str) -> None:
    _no_fault(await as_user("demo-org")(SEARCH, search=search))


@FUZZ
@given(actor=texts(limits.USERNAME), record_type=texts(limits.IDENTIFIER))
async def test_any_audit_trail_filter_answers_without_a_fault(as_user, actor: str,
                                                             record_type: str) -> None:
    _no_fault(await as_user("demo-admin")(TRAIL, actor=actor, type=record_type))


@FUZZ
@given(principal=texts(limits.USERNAME))
async def test_any_principal_to_explain_answers_without_a_fault(as_user,
                                                                principal: str) -> None:
    _no_fault(await as_user("demo-admin")(EXPLAIN, principal=principal))


@FUZZ
@given(username=texts(limits.USERNAME), unit=texts(limits.UNIT_CODE))
async def test_any_role_holding_answers_without_a_fault(as_user, username: str,
                                                        unit: str) -> None:
    _no_fault(await as_user("demo-admin")(ROLE, username=username, unit=unit))


@FUZZ
@given(description=texts(200), informant=texts(limits.INFORMANT), item_code=texts(20))
async def test_any_finding_text_answers_without_a_fault(as_user, cadre_id: str,
                                                        description: str, informant: str,
                                                        item_code: str) -> None:
    for code in (item_code, "N01"):  # an unknown code is looked up; a known one writes
        body = await as_user("demo-discipline")(REPORT, input={
            "cadreId": cadre_id, "itemCode": code, "source": "INSPECTION_TOUR",
            "description": description, "evidence": description, "informant": informant})
        _no_fault(body)
