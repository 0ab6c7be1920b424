"""Masked values by policy: a role granted ``mask`` instead of ``read`` sees the masked
string, the answer's ``extensions.masked`` says so, and the read is audited."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import create_engine
from tests.api.helpers import errors_by_code

ADD = """mutation A($input: PolicyRuleInput!) { addPolicyRule(input: $input) { version } }"""
REMOVE = """mutation R($input: PolicyRuleInput!) { removePolicyRule(input: $input) { version } }"""
READ_PERSONAL = {"ptype": "p", "values": ["discipline", "jurisdiction", "cadre:personal",
                                          "read"]}
MASK_PERSONAL = {"ptype": "p", "values": ["discipline", "jurisdiction", "cadre:personal",
                                          "mask"]}
FILE = "query F($id: ID!) { cadre(id: $id) { id name phone idNumber birthDate } }"
ROSTER = "{ cadres(first: 3) { edges { node { id phone idNumber } } } }"


@pytest.fixture
async def discipline_masked(as_user: Any) -> AsyncIterator[None]:
    """The discipline commission's read of cadre:personal withdrawn: its mask grant remains."""
    admin = as_user("demo-admin")
    assert "errors" not in await admin(REMOVE, input=READ_PERSONAL)
    try:
        yield
    finally:
        await admin(ADD, input=READ_PERSONAL)


async def _newest_read(database_url: str) -> tuple[str, list[str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text(
                "SELECT actor, fields FROM audit_events WHERE operation = 'read' "
                "ORDER BY id DESC LIMIT 1"))).one()
    finally:
        await engine.dispose()
    fields = row[1] if isinstance(row[1], list) else json.loads(row[1])
    return row[0], fields


async def test_a_role_granted_mask_sees_the_masked_phone_and_identity_number(
        as_user, discipline_masked, database_url):
    body = await as_user("demo-discipline")(FILE, id="1")
    cadre = body["data"]["cadre"]
    assert cadre["phone"][3:7] == "****" and len(cadre["phone"]) == 11
    assert cadre["idNumber"].endswith("********") and cadre["idNumber"][:10].isalnum()
    assert body["extensions"]["masked"] == [{"field": "Cadre.idNumber", "count": 1},
                                            {"field": "Cadre.phone", "count": 1}]
    # The birth date has no masking rule: it is denied, not masked.
    assert cadre["birthDate"] is None
    assert errors_by_code(body, "FORBIDDEN")[0]["extensions"]["field"] == "Cadre.birthDate"
    actor, fields = await _newest_read(database_url)
    assert actor == "demo-discipline" and {"idNumber", "phone"} <= set(fields)


async def test_masked_values_are_the_same_on_both_execution_paths(as_user, discipline_masked):
    # The roster runs on the short path, a by-id read through a nested resolver does not.
    roster = await as_user("demo-discipline")(ROSTER)
    assert all("****" in edge["node"]["phone"]
               for edge in roster["data"]["cadres"]["edges"] if edge["node"]["phone"])
    assert roster["extensions"]["masked"][1]["field"] == "Cadre.phone"


async def test_read_wins_over_mask_and_the_answer_says_nothing_is_masked(as_user):
    body = await as_user("demo-discipline")(FILE, id="1")
    assert "****" not in body["data"]["cadre"]["phone"]
    assert "masked" not in (body.get("extensions") or {})


async def test_without_read_or_mask_the_phone_is_forbidden(as_user, discipline_masked):
    admin = as_user("demo-admin")
    assert "errors" not in await admin(REMOVE, input=MASK_PERSONAL)
    try:
        body = await as_user("demo-discipline")(FILE, id="1")
    finally:
        await admin(ADD, input=MASK_PERSONAL)
    assert body["data"]["cadre"]["phone"] is None
    assert {e["extensions"]["field"] for e in errors_by_code(body, "FORBIDDEN")} >= {
        "Cadre.phone", "Cadre.idNumber"}
    assert "masked" not in (body.get("extensions") or {})


def test_maskable_fields_are_never_read_as_plain_attributes():
    # The short execution path reads plain fields without their resolver: a maskable field
    # must run its guard there too, which is what answers the masked value.
    from api.execution import PLAIN
    from api.schema import build_schema
    from authz.masking import MASKABLE

    schema = build_schema()._schema
    for type_field in MASKABLE:
        type_name, field_name = type_field.split(".")
        field = schema.type_map[type_name].fields[field_name]  # type: ignore[attr-defined]
        assert PLAIN not in (field.extensions or {})
