"""Relay paging on every connection: forward and backward, boundaries, refusals, budgets."""

import pytest

from tests.api.helpers import errors_by_code, nodes

ROSTER = """
query Roster($first: Int, $after: String, $last: Int, $before: String) {
  cadres(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}"""

TRAIL = """
query Trail($first: Int, $after: String, $last: Int, $before: String) {
  auditEvents(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}"""

DEEP = """query Deep($first: Int, $last: Int) { cadres(first: $first, last: $last) {
  edges { node { unit { children { children { name } } } } } } }"""


def _ids(body: dict, root: str = "cadres") -> list[int]:
    return [int(node["id"]) for node in nodes(body, root)]


def _info(body: dict, root: str = "cadres") -> dict:
    return body["data"][root]["pageInfo"]


async def _forward(client, query: str, root: str, size: int) -> list[int]:
    ids, after = [], None
    while True:
        body = await client(query, first=size, after=after)
        ids += _ids(body, root)
        if not _info(body, root)["hasNextPage"]:
            return ids
        after = _info(body, root)["endCursor"]


async def _backward(client, query: str, root: str, size: int) -> list[int]:
    ids, before = [], None
    while True:
        body = await client(query, last=size, before=before)
        ids = _ids(body, root) + ids
        if not _info(body, root)["hasPreviousPage"]:
            return ids
        before = _info(body, root)["startCursor"]


async def test_paging_backward_visits_the_same_cadres_as_paging_forward(as_user):
    county = as_user("demo-org-county")
    forward = await _forward(county, ROSTER, "cadres", 7)
    backward = await _backward(county, ROSTER, "cadres", 7)

    assert backward == forward == sorted(forward)
    total = (await county(ROSTER, first=1))["data"]["cadres"]["totalCount"]
    assert len(forward) == total > 14


async def test_a_backward_page_is_in_id_order_and_ends_at_the_last_cadre(as_user):
    county = as_user("demo-org-county")
    every = await _forward(county, ROSTER, "cadres", 100)
    body = await county(ROSTER, last=5)

    assert _ids(body) == every[-5:]
    assert _info(body) == {"hasNextPage": False, "hasPreviousPage": True,
                           "startCursor": body["data"]["cadres"]["edges"][0]["cursor"],
                           "endCursor": body["data"]["cadres"]["edges"][-1]["cursor"]}


async def test_a_page_knows_what_lies_on_either_side(as_user):
    org = as_user("demo-org")
    first = await org(ROSTER, first=3)
    assert _info(first)["hasPreviousPage"] is False
    assert _info(first)["hasNextPage"] is True

    second = await org(ROSTER, first=3, after=_info(first)["endCursor"])
    assert _info(second)["hasPreviousPage"] is True

    back = await org(ROSTER, last=3, before=_info(second)["startCursor"])
    assert _ids(back) == _ids(first)
    assert _info(back) == {**_info(first), "hasNextPage": True}


async def test_after_and_before_together_bound_one_window(as_user):
    org = as_user("demo-org")
    ten = await org(ROSTER, first=10)
    edges = ten["data"]["cadres"]["edges"]
    after, before = edges[1]["cursor"], edges[8]["cursor"]

    forward = await org(ROSTER, first=10, after=after, before=before)
    backward = await org(ROSTER, last=3, after=after, before=before)

    assert _ids(forward) == _ids(ten)[2:8]
    assert _info(forward)["hasNextPage"] is False
    assert _ids(backward) == _ids(ten)[5:8]
    assert _info(backward)["hasPreviousPage"] is True


async def test_pages_at_the_boundaries_are_empty_with_null_cursors(as_user):
    org = as_user("demo-org")
    first_cursor = (await org(ROSTER, first=1))["data"]["cadres"]["edges"][0]["cursor"]
    last_cursor = (await org(ROSTER, last=1))["data"]["cadres"]["edges"][0]["cursor"]

    before_first = await org(ROSTER, last=5, before=first_cursor)
    after_last = await org(ROSTER, first=5, after=last_cursor)
    none = await org(ROSTER, last=0)

    assert _ids(before_first) == _ids(after_last) == _ids(none) == []
    assert _info(before_first) == {"hasNextPage": True, "hasPreviousPage": False,
                                   "startCursor": None, "endCursor": None}
    assert _info(after_last) == {"hasNextPage": False, "hasPreviousPage": True,
                                 "startCursor": None, "endCursor": None}
    assert _info(none)["hasPreviousPage"] is True


async def test_a_backward_page_stays_within_the_callers_scope(as_user):
    county, city = as_user("demo-org-county"), as_user("demo-org")
    county_ids = await _backward(county, ROSTER, "cadres", 100)
    city_ids = await _backward(city, ROSTER, "cadres", 100)
    assert set(county_ids) < set(city_ids)

    first_of_county = (await county(ROSTER, first=1))["data"]["cadres"]["edges"][0]["cursor"]
    body = await county(ROSTER, last=5, before=first_of_county)
    # Cadres of other counties lie before it: the county officer is told of none.
    assert _ids(body) == [] and _info(body)["hasPreviousPage"] is False
    assert county_ids[0] > city_ids[0]


async def test_the_audit_trail_pages_backward_as_it_pages_forward(as_user):
    org, admin = as_user("demo-org"), as_user("demo-admin")
    for _ in range(4):  # each read of identity numbers leaves an event
        await org("{ cadres(first: 1) { edges { node { idNumber } } } }")
    forward = await _forward(admin, TRAIL, "auditEvents", 3)
    backward = await _backward(admin, TRAIL, "auditEvents", 3)

    assert len(forward) >= 4
    assert backward == forward == sorted(forward)
    newest = await admin(TRAIL, last=2)
    assert _ids(newest, "auditEvents") == forward[-2:]
    assert _info(newest, "auditEvents")["hasNextPage"] is False


async def test_the_audit_trail_answers_nothing_backward_to_everyone_else(as_user):
    body = await as_user("demo-org")(TRAIL, last=5)
    assert body["data"]["auditEvents"]["edges"] == []
    assert _info(body, "auditEvents")["hasPreviousPage"] is False


@pytest.mark.parametrize(("variables", "field"), [
    ({"last": 5, "before": "not a cursor"}, "before"),
    ({"first": 5, "after": "bm90IGEgY3Vyc29y"}, "after"),  # base64 of "not a cursor"
    ({"last": 5, "before": "Y2FkcmU6LTE="}, "before"),  # "cadre:-1"
    ({"last": -1}, "last"),
    ({"last": 101}, "last"),
    ({"first": 2, "last": 2}, "last"),
])
async def test_bad_paging_arguments_are_refused_as_bad_user_input(as_user, variables, field):
    for query, root in ((ROSTER, "cadres"), (TRAIL, "auditEvents")):
        body = await as_user("demo-admin" if root == "auditEvents" else "demo-org")(
            query, **variables)
        [error] = errors_by_code(body, "BAD_USER_INPUT")
        assert error["extensions"]["field"] == field
        assert body["data"] is None


async def test_a_backward_page_costs_what_a_forward_page_of_that_size_costs(as_user):
    org = as_user("demo-org")
    forward, backward = await org(DEEP, first=100), await org(DEEP, last=100)

    [refused] = errors_by_code(backward, "OPERATION_TOO_COMPLEX")
    assert refused["extensions"] == errors_by_code(forward, "OPERATION_TOO_COMPLEX")[0][
        "extensions"]
    assert refused["extensions"]["measure"] == "cost"
    assert "errors" not in await org(DEEP, last=2)
