"""What each demo account sees of the roster: rows by jurisdiction, fields by policy."""

from tests.api.helpers import errors_by_code, nodes

ROSTER = """
query Roster($first: Int!, $after: String, $filter: CadreFilter) {
  cadres(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name unit { id code } } }
  }
}"""

CADRE_UNIT = "query One($id: ID!) { cadre(id: $id) { id name unit { code } } }"
PERSONAL = """query P($first: Int!) {
  cadres(first: $first) { edges { node { id idNumber phone } } } }"""
COMMENTS = """query C { cadres(first: 5) { edges { node { id
  evaluations { year grade comment } } } } }"""
INFORMANTS = """query I($filter: CadreFilter) { cadres(first: 100, filter: $filter) {
  edges { node { id findings { status description evidence informant } } } } }"""


async def _all_ids(client, **filter_args) -> list[int]:
    ids, after = [], None
    while True:
        body = await client(ROSTER, first=100, after=after, **filter_args)
        page = body["data"]["cadres"]
        ids += [int(n["id"]) for n in nodes(body)]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def test_city_org_officer_sees_every_cadre(as_user, count_rows):
    body = await as_user("demo-org")(ROSTER, first=5)
    assert body["data"]["cadres"]["totalCount"] == await count_rows("cadres")


async def test_county_org_officer_sees_only_his_county(as_user):
    county = as_user("demo-org-county")
    ids = await _all_ids(county)
    body = await county(ROSTER, first=100)
    assert body["data"]["cadres"]["totalCount"] == len(ids) > 0
    codes = {n["unit"]["code"] for n in nodes(body)}
    assert all(code.startswith("C-K1") for code in codes)


async def test_pages_and_cursors_cover_the_scope_once(as_user):
    county = as_user("demo-org-county")
    ids = await _all_ids(county)
    body = await county(ROSTER, first=7)
    first_page = [int(n["id"]) for n in nodes(body)]
    after = body["data"]["cadres"]["pageInfo"]["endCursor"]
    second = await county(ROSTER, first=7, after=after)
    assert first_page + [int(n["id"]) for n in nodes(second)] == ids[:14]
    assert len(set(ids)) == len(ids)


async def test_cadre_outside_scope_answers_null_as_a_missing_one(as_user):
    county = as_user("demo-org-county")
    outside = (await as_user("demo-org")(ROSTER, first=100,
                                         filter={"unitId": "3"}))  # second county
    outside_id = nodes(outside)[0]["id"]
    hidden = await county(CADRE_UNIT, id=outside_id)
    missing = await county(CADRE_UNIT, id="999999")
    assert hidden == missing == {"data": {"cadre": None}, "status": 200}


async def test_cadre_inside_scope_is_returned(as_user):
    county = as_user("demo-org-county")
    own = nodes(await county(ROSTER, first=1))[0]
    body = await county(CADRE_UNIT, id=own["id"])
    assert body["data"]["cadre"]["id"] == own["id"]


async def test_filter_on_a_unit_outside_scope_finds_nothing(as_user):
    body = await as_user("demo-org-county")(ROSTER, first=10, filter={"unitId": "3"})
    assert body["data"]["cadres"]["totalCount"] == 0


async def test_filters_narrow_the_roster(as_user):
    org = as_user("demo-org")
    principals = await org(ROSTER, first=100, filter={"leadershipRole": "PRINCIPAL"})
    everyone = await org(ROSTER, first=1)
    assert 0 < principals["data"]["cadres"]["totalCount"] < everyone["data"]["cadres"][
        "totalCount"]
    name = nodes(everyone)[0]["name"]
    found = await org(ROSTER, first=10, filter={"search": name})
    assert name in [n["name"] for n in nodes(found)]


async def test_org_officer_reads_personal_fields(as_user):
    body = await as_user("demo-org")(PERSONAL, first=3)
    assert "errors" not in body
    assert all(n["idNumber"] and len(n["idNumber"]) == 18 for n in nodes(body))


async def test_admin_sees_no_cadre_at_all(as_user):
    body = await as_user("demo-admin")(ROSTER, first=10)
    assert body["data"]["cadres"] == {"totalCount": 0, "edges": [],
                                      "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_admin_reads_user_accounts(as_user):
    body = await as_user("demo-admin")("{ users { username roles { role } } }")
    assert {u["username"] for u in body["data"]["users"]} >= {"demo-org", "demo-cadre"}


async def test_org_officer_reads_no_user_accounts(as_user):
    body = await as_user("demo-org")("{ users { username } }")
    assert body["data"]["users"] == []


async def test_org_officer_reads_evaluator_comments(as_user):
    body = await as_user("demo-org")(COMMENTS)
    assert "errors" not in body
    assert any(e["comment"] for n in nodes(body) for e in n["evaluations"])


async def test_discipline_inspector_cannot_read_evaluator_comment(as_user):
    body = await as_user("demo-discipline")(COMMENTS)
    evaluations = [e for n in nodes(body) for e in n["evaluations"]]
    assert evaluations and all(e["comment"] is None for e in evaluations)
    assert all(e["grade"] for e in evaluations)
    [denied] = errors_by_code(body, "FORBIDDEN")
    assert denied["extensions"]["field"] == "Evaluation.comment"
    assert denied["extensions"]["deniedCount"] == len(evaluations)
    assert denied["path"][-1] == "comment"


async def test_discipline_inspector_reads_informant(as_user):
    body = await as_user("demo-discipline")(INFORMANTS)
    findings = [f for n in nodes(body) for f in n["findings"]]
    assert findings and "errors" not in body
    assert any(f["informant"] for f in findings)


async def test_org_officer_cannot_read_informant_but_reads_evidence(as_user):
    body = await as_user("demo-org")(INFORMANTS)
    findings = [f for n in nodes(body) for f in n["findings"]]
    assert findings and all(f["informant"] is None for f in findings)
    assert any(f["evidence"] for f in findings)
    assert [e["extensions"]["field"] for e in errors_by_code(body, "FORBIDDEN")] == [
        "Finding.informant"]


async def test_denied_field_keeps_the_rest_of_the_answer(as_user):
    body = await as_user("demo-org")(INFORMANTS)
    assert body["data"]["cadres"]["edges"]
    assert all(f["status"] for n in nodes(body) for f in n["findings"])
