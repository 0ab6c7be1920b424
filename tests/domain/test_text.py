"""What any text from a user may hold, and the ASCII form of numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.text import ascii_form, clean_text, refused_character

REFUSED = {
    "NUL": "\x00",
    "escape": "\x1b",
    "delete": "\x7f",
    "C1 next line": "\x85",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "right-to-left isolate": "\u2067",
    "pop directional isolate": "\u2069",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "lone surrogate": "\ud800",
}
ACCEPTED = {
    "Chinese": "关于推进领导干部能上能下的报告",
    "ordinary whitespace": "第一行\n第二行\r\n\t缩进",
    "ideographic space": "张\u3000三",
    "fullwidth punctuation": "（一）审计局：",
    "emoji": "👍",
    "private use": "\ue000",
}


@pytest.mark.parametrize("character", REFUSED.values(), ids=REFUSED.keys())
def test_a_control_or_formatting_character_is_refused_naming_the_field(character: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text(f"张三{character}李四", "name", 50)
    assert refused.value.field == "name"
    assert f"U+{ord(character):04X}" in refused.value.message


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_text_people_write_is_accepted_unchanged(value: str) -> None:
    assert clean_text(value, "description", 4000) == value


def test_text_of_exactly_the_limit_is_accepted_and_one_more_character_refused() -> None:
    assert clean_text("说" * 100, "informant", 100) == "说" * 100
    with pytest.raises(InvalidInput) as refused:
        clean_text("说" * 101, "informant", 100)
    assert refused.value.field == "informant"
    assert "100" in refused.value.message


@given(st.text())
def test_any_text_is_either_accepted_whole_or_refused_for_a_character_it_holds(
        value: str) -> None:
    found = refused_character(value)
    if found is None:
        assert clean_text(value, "note", len(value)) == value
    else:
        assert found in value
        with pytest.raises(InvalidInput):
            clean_text(value, "note", len(value))


@pytest.mark.parametrize(("typed", "ascii"), [("１１０１０５", "110105"), ("Ｘ", "X"),
                                              ("０１０－１２３４５６７８", "010-12345678"),
                                              ("110105", "110105")])
def test_fullwidth_digits_and_letters_take_their_ascii_form(typed: str, ascii: str) -> None:
    assert ascii_form(typed, "idNumber", "identity number") == ascii


@pytest.mark.parametrize("typed", ["١١٠١٠٥", "۱۱۰", "११०", "11０1٠5", "一一〇"],
                         ids=["arabic-indic", "persian", "devanagari", "mixed", "chinese"])
def test_digits_without_an_ascii_form_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ascii_form(typed, "phone", "phone number")
    assert refused.value.field == "phone"
