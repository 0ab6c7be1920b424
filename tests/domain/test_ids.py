"""Record ids have one spelling: ASCII digits, no sign, no leading zero, within 32 bits."""

import pytest

from domain.errors import InvalidInput
from domain.ids import MAX_ID, parse_id

NOT_IDS = {
    "fullwidth": "１２",
    "arabic-indic": "١٢",
    "surrounded by spaces": " 7 ",
    "trailing newline": "7\n",
    "plus sign": "+7",
    "leading zero": "07",
    "decimal": "7.0",
    "negative": "-1",
    "zero": "0",
    "underscore": "1_000",
    "exponent": "1e3",
    "hexadecimal": "0x10",
    "empty": "",
    "one past the column": str(MAX_ID + 1),
    "twenty digits": "9" * 20,
    "huge": "9" * 5000,
}


@pytest.mark.parametrize("value", ["1", "7", "12", "2024", str(MAX_ID)])
def test_a_canonical_id_is_its_number(value: str) -> None:
    assert parse_id(value, "id") == int(value)


@pytest.mark.parametrize("value", NOT_IDS.values(), ids=NOT_IDS.keys())
def test_any_other_spelling_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_id(value, "cadreId")
    assert refused.value.field == "cadreId"
