"""Across the board: every text input refuses control and formatting characters and text
over its limit, and every id input refuses any spelling but the canonical one, with
BAD_USER_INPUT naming the field, before anything is written (on SQLite and PostgreSQL).

The inputs are found by walking the schema (`tests.api.input_slots`): a new input is
covered the day it is added.
"""

from typing import Any

import pytest
from sqlalchemy import text

from api.schema import build_schema
from db.models import Base
from domain import limits
from tests.api.helpers import errors_by_code
from tests.api.input_slots import Slot, request, slots

SCHEMA = build_schema()._schema
SLOTS = slots(SCHEMA)
TEXT_SLOTS = [slot for slot in SLOTS if slot.scalar == "String"]
ID_SLOTS = [slot for slot in SLOTS if slot.scalar == "ID"]
LIST_SLOTS = [slot for slot in SLOTS if slot.in_list]
BAD_TEXT = {"nul": "a\x00b", "bidi-override": "a\u202eb", "zero-width": "a\u200bb"}
BAD_IDS = {"fullwidth": "１２", "spaces": " 7 ", "leading-zero": "07", "beyond-int4": "2147483648"}
#: Every table, counted in one statement: no refused request may add a row anywhere,
#: the audit trail included.
ROW_COUNTS = text("SELECT " + ", ".join(f"(SELECT count(*) FROM {table.name})"
                                        for table in Base.metadata.sorted_tables))


@pytest.fixture
def rows(database: Any) -> Any:
    async def count() -> tuple[int, ...]:
        async with database.connect() as connection:
            return tuple((await connection.execute(ROW_COUNTS)).one())

    return count


async def _refused(as_user: Any, rows: Any, slot: Slot, value: Any,
                   whole_list: bool = False) -> dict[str, Any]:
    before = await rows()
    query, variables = request(SCHEMA, slot, value, whole_list)
    body = await as_user("demo-org")(query, **variables)
    assert not errors_by_code(body, "INTERNAL") and body["status"] != 500
    [error] = errors_by_code(body, "BAD_USER_INPUT")
    assert error["extensions"]["field"] == slot.field, error
    assert await rows() == before
    return error


def test_the_walk_finds_the_inputs_the_issue_names() -> None:
    names = {str(slot) for slot in TEXT_SLOTS}
    assert {"reportFinding.informant", "reportFinding.evidence", "createCadre.idNumber",
            "cadres.filter.search", "auditEvents.filter.actor", "assignRole.username",
            "issuePartnerToken.agency", "addPolicyRule.values",
            "advanceCase.decision.newPosition"} <= names
    assert {"cadre.id", "updateCadre.unitId", "adjustmentCases.filter.cadreId",
            "openAdjustmentCase.findingIds"} <= {str(slot) for slot in ID_SLOTS}
    assert all(slot.limit for slot in TEXT_SLOTS)


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT.keys())
@pytest.mark.parametrize("slot", TEXT_SLOTS, ids=str)
async def test_a_control_or_formatting_character_is_refused_naming_the_field(
        as_user, rows, slot: Slot, value: str) -> None:
    error = await _refused(as_user, rows, slot, value)
    assert f"U+{ord(value[1]):04X}" in error["message"]


@pytest.mark.parametrize("slot", TEXT_SLOTS, ids=str)
async def test_text_one_character_over_its_limit_is_refused_naming_the_field(
        as_user, rows, slot: Slot) -> None:
    assert slot.limit is not None
    error = await _refused(as_user, rows, slot, "a" * (slot.limit + 1))
    assert f"{slot.limit} characters" in error["message"]


@pytest.mark.parametrize("value", BAD_IDS.values(), ids=BAD_IDS.keys())
@pytest.mark.parametrize("slot", ID_SLOTS, ids=str)
async def test_an_id_in_any_but_its_canonical_spelling_is_refused_naming_the_field(
        as_user, rows, slot: Slot, value: str) -> None:
    await _refused(as_user, rows, slot, value)


@pytest.mark.parametrize("slot", LIST_SLOTS, ids=str)
async def test_a_list_of_more_items_than_any_list_holds_is_refused_naming_the_field(
        as_user, rows, slot: Slot) -> None:
    items = [str(n) for n in range(1, limits.LIST_ITEMS + 2)]
    error = await _refused(as_user, rows, slot, items, whole_list=True)
    assert f"{limits.LIST_ITEMS} items" in error["message"]
