"""Writes: typed validation, policy-based authorization, optimistic versions.

Every refusal writes nothing.
"""

import asyncio
import itertools

from domain.cadres import id_number_check_digit
from tests.api.helpers import errors_by_code

CREATE = """mutation Create($input: CreateCadreInput!) {
  createCadre(input: $input) { cadre { id name idNumber version unit { code } } } }"""
UPDATE = """mutation Update($input: UpdateCadreInput!) {
  updateCadre(input: $input) { cadre { id position version } } }"""

_serial = itertools.count(1)


def new_id_number(birth: str = "19800101") -> str:
    first17 = f"431202{birth}{next(_serial):03d}"
    return first17 + id_number_check_digit(first17)


def cadre_input(**overrides):
    values = {"name": "测试干部", "gender": "MALE", "birthDate": "1980-01-01",
              "idNumber": new_id_number(), "unitId": "2", "position": "副局长",
              "rank": "DEPUTY_SECTION_CHIEF", "leadershipRole": "DEPUTY",
              "phone": "13800000000"}
    return {**values, **overrides}


async def test_org_officer_creates_a_cadre(as_user):
    org = as_user("demo-org")
    body = await org(CREATE, input=cadre_input())
    cadre = body["data"]["createCadre"]["cadre"]
    assert cadre["name"] == "测试干部" and cadre["version"] == 1
    assert cadre["unit"]["code"] == "C-K1"


async def test_malformed_identity_number_is_bad_input_and_writes_nothing(as_user, count_rows):
    org = as_user("demo-org")
    before = await count_rows("cadres")
    body = await org(CREATE, input=cadre_input(idNumber="431202198001010000"))
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "idNumber"}
    assert body["data"] is None
    assert await count_rows("cadres") == before


async def test_duplicate_identity_number_is_a_conflict(as_user):
    org = as_user("demo-org")
    values = cadre_input()
    await org(CREATE, input=values)
    body = await org(CREATE, input={**values, "name": "另一人"})
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "idNumber"


def fullwidth(text: str) -> str:
    """``text`` typed with fullwidth digits and letters (１２３, Ｘ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


async def test_an_identity_number_typed_in_fullwidth_is_stored_in_ascii(as_user):
    number = new_id_number()
    body = await as_user("demo-org")(CREATE, input=cadre_input(idNumber=fullwidth(number),
                                                               phone=fullwidth("13800000000")))
    assert body["data"]["createCadre"]["cadre"]["idNumber"] == number


async def test_the_same_identity_number_in_fullwidth_is_a_conflict(as_user, count_rows):
    org = as_user("demo-org")
    values = cadre_input()
    await org(CREATE, input=values)
    before = await count_rows("cadres")
    body = await org(CREATE, input={**values, "idNumber": fullwidth(values["idNumber"]),
                                    "name": "另一人"})
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "idNumber"
    assert await count_rows("cadres") == before


async def test_an_identity_number_in_arabic_indic_digits_is_bad_input(as_user, count_rows):
    arabic_indic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    before = await count_rows("cadres")
    body = await as_user("demo-org")(
        CREATE, input=cadre_input(idNumber=new_id_number().translate(arabic_indic)))
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "idNumber"
    assert await count_rows("cadres") == before


async def test_discipline_inspector_cannot_create_a_cadre(as_user):
    body = await as_user("demo-discipline")(CREATE, input=cadre_input())
    assert errors_by_code(body, "FORBIDDEN")


async def test_county_officer_cannot_create_a_cadre_in_another_county(as_user):
    county = as_user("demo-org-county")
    assert (await county(CREATE, input=cadre_input(unitId="2")))["data"]["createCadre"]
    body = await county(CREATE, input=cadre_input(unitId="3"))
    assert errors_by_code(body, "FORBIDDEN")


async def test_unknown_unit_is_not_found(as_user):
    body = await as_user("demo-org")(CREATE, input=cadre_input(unitId="9999"))
    assert errors_by_code(body, "NOT_FOUND")[0]["extensions"]["field"] == "unitId"


async def test_malformed_ids_are_bad_input(as_user):
    org = as_user("demo-org")
    body = await org("{ cadre(id: \"abc\") { id } }")
    assert errors_by_code(body, "BAD_USER_INPUT")
    body = await org("{ cadres(first: 5, after: \"!!\") { totalCount } }")
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "after"


async def test_page_size_above_the_limit_is_bad_input(as_user):
    body = await as_user("demo-org")("{ cadres(first: 1000) { totalCount } }")
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "first"


async def test_invalid_enum_value_is_a_validation_error(as_user):
    body = await as_user("demo-org")(CREATE, input=cadre_input(rank="EMPEROR"))
    assert body["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT",
                                                       "GRAPHQL_VALIDATION_FAILED"}


async def test_update_with_a_stale_version_is_a_conflict(as_user):
    org = as_user("demo-org")
    created = (await org(CREATE, input=cadre_input()))["data"]["createCadre"]["cadre"]
    first = await org(UPDATE, input={"id": created["id"], "version": 1, "position": "局长"})
    assert first["data"]["updateCadre"]["cadre"]["version"] == 2
    stale = await org(UPDATE, input={"id": created["id"], "version": 1, "position": "科员"})
    assert errors_by_code(stale, "CONFLICT")[0]["extensions"]["field"] == "version"


async def test_the_largest_version_a_client_can_send_is_a_conflict_not_a_fault(as_user):
    org = as_user("demo-org")
    created = (await org(CREATE, input=cadre_input()))["data"]["createCadre"]["cadre"]
    body = await org(UPDATE, input={"id": created["id"], "version": 2**31 - 1,
                                    "position": "局长"})
    assert errors_by_code(body, "CONFLICT")[0]["extensions"]["field"] == "version"


async def test_of_two_concurrent_updates_exactly_one_wins(as_user):
    org = as_user("demo-org")
    created = (await org(CREATE, input=cadre_input()))["data"]["createCadre"]["cadre"]
    results = await asyncio.gather(*(
        org(UPDATE, input={"id": created["id"], "version": 1, "position": f"岗位{i}"})
        for i in range(2)))
    won = [r for r in results if r.get("data") and r["data"]["updateCadre"]]
    lost = [r for r in results if errors_by_code(r, "CONFLICT")]
    assert (len(won), len(lost)) == (1, 1)


async def test_update_of_a_cadre_outside_scope_is_not_found(as_user):
    outside = (await as_user("demo-org")(CREATE, input=cadre_input(unitId="3")))
    cadre_id = outside["data"]["createCadre"]["cadre"]["id"]
    body = await as_user("demo-org-county")(
        UPDATE, input={"id": cadre_id, "version": 1, "position": "局长"})
    assert errors_by_code(body, "NOT_FOUND")


async def test_update_without_changes_is_bad_input(as_user):
    org = as_user("demo-org")
    created = (await org(CREATE, input=cadre_input()))["data"]["createCadre"]["cadre"]
    body = await org(UPDATE, input={"id": created["id"], "version": 1})
    assert errors_by_code(body, "BAD_USER_INPUT")


async def test_cadre_cannot_change_his_own_record(as_user):
    me = await as_user("demo-cadre")("{ me { cadre { id version } } }")
    own = me["data"]["me"]["cadre"]
    body = await as_user("demo-cadre")(
        UPDATE, input={"id": own["id"], "version": own["version"], "position": "局长"})
    assert errors_by_code(body, "FORBIDDEN")


async def test_an_id_beyond_the_database_range_is_bad_input(as_user):
    body = await as_user("demo-org")("{ cadre(id: \"2147483648\") { id } }")
    assert errors_by_code(body, "BAD_USER_INPUT")[0]["extensions"]["field"] == "id"
