"""Rules for a cadre's own record: identity numbers, phones, names, posts, birth dates."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cadres import (
    NAME_MAX,
    POSITION_MAX,
    check_birth_date,
    check_id_number,
    check_name,
    check_phone,
    check_position,
    id_number_check_digit,
)
from domain.errors import InvalidInput

REGION = "110105"
BIRTH = date(1975, 3, 9)
CHECK_CHARACTERS = "0123456789X"


def id_number(born: date = BIRTH, region: str = REGION, sequence: str = "123") -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + id_number_check_digit(first17)


def id_number_ending_in_x() -> str:
    """The first valid number of 1975-03-09 whose check character is X."""
    for sequence in range(1000):
        number = id_number(sequence=f"{sequence:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence number gives the check character X")


def refusal(call, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    assert caught.value.code == "BAD_USER_INPUT"
    return caught.value


# -- identity number -----------------------------------------------------------------
def test_the_published_example_number_has_check_character_x() -> None:
    assert id_number_check_digit("11010519491231002") == "X"


def test_a_number_with_its_computed_check_digit_is_accepted() -> None:
    assert check_id_number(id_number(), BIRTH) == id_number()


def test_a_number_is_accepted_without_a_birth_date_to_compare() -> None:
    assert check_id_number(id_number()) == id_number()


def test_surrounding_whitespace_is_trimmed_from_the_number() -> None:
    assert check_id_number(f"  {id_number()}\n") == id_number()


def test_a_lowercase_x_check_character_is_normalised_to_uppercase() -> None:
    number = id_number_ending_in_x()
    assert check_id_number(number.lower(), BIRTH) == number


def test_a_wrong_check_digit_is_refused_on_the_id_number_field() -> None:
    number = id_number()
    wrong = CHECK_CHARACTERS[(CHECK_CHARACTERS.index(number[17]) + 1) % 11]
    error = refusal(check_id_number, number[:17] + wrong)
    assert error.field == "idNumber"
    assert "check digit" in error.message


@pytest.mark.parametrize("number", [
    id_number()[:17],
    id_number() + "0",
    "",
    id_number()[:16] + "X" + id_number()[17],
    id_number()[:17] + "Y",
    id_number()[:5] + "a" + id_number()[6:],
], ids=["17 characters", "19 characters", "empty", "X inside", "Y check", "letter inside"])
def test_a_number_of_the_wrong_shape_is_refused(number: str) -> None:
    error = refusal(check_id_number, number)
    assert error.field == "idNumber"
    assert "17 digits" in error.message


@pytest.mark.parametrize("embedded", ["19750230", "19751301", "19750000", "00000101"])
def test_a_number_holding_an_impossible_birth_date_is_refused(embedded: str) -> None:
    first17 = f"{REGION}{embedded}123"
    error = refusal(check_id_number, first17 + id_number_check_digit(first17))
    assert error.field == "idNumber"
    assert "birth date" in error.message


def test_a_birth_date_differing_from_the_number_is_refused_on_the_birth_date_field() -> None:
    error = refusal(check_id_number, id_number(), date(1975, 3, 10))
    assert error.field == "birthDate"


@given(region=st.from_regex(r"[0-9]{6}", fullmatch=True),
       born=st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)),
       sequence=st.from_regex(r"[0-9]{3}", fullmatch=True))
def test_any_valid_number_is_accepted_and_any_other_check_character_refused(
        region: str, born: date, sequence: str) -> None:
    number = id_number(born, region, sequence)
    assert check_id_number(number, born) == number
    for wrong in CHECK_CHARACTERS.replace(number[17], ""):
        assert refusal(check_id_number, number[:17] + wrong, born).field == "idNumber"


@given(first17=st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_any_seventeen_digits_with_their_check_digit_pass_or_fail_only_on_the_date(
        first17: str) -> None:
    number = first17 + id_number_check_digit(first17)
    try:
        embedded = date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        assert "birth date" in refusal(check_id_number, number).message
    else:
        assert check_id_number(number, embedded) == number


def fullwidth(text: str) -> str:
    """``text`` with its ASCII digits and letters typed in fullwidth (１２３, Ｘ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def arabic_indic(text: str) -> str:
    """``text`` with its ASCII digits written in Arabic-Indic digits (٠١٢)."""
    return "".join(chr(ord(c) - ord("0") + 0x0660) if c in "0123456789" else c for c in text)


def test_a_number_typed_in_fullwidth_digits_is_stored_in_ascii() -> None:
    number = id_number_ending_in_x()
    assert fullwidth(number) != number
    assert check_id_number(fullwidth(number), BIRTH) == number
    assert check_id_number(fullwidth(number).lower(), BIRTH) == number


@pytest.mark.parametrize("digits", [arabic_indic, lambda n: n[:6] + "३" + n[7:]],
                         ids=["arabic-indic", "one devanagari digit"])
def test_a_number_in_other_scripts_digits_is_refused(digits) -> None:
    error = refusal(check_id_number, digits(id_number()))
    assert error.field == "idNumber"
    assert "ASCII" in error.message


# -- phone ---------------------------------------------------------------------------
@pytest.mark.parametrize("phone", ["13812345678", "19900001111", "010-12345678",
                                   "0755-1234567", "02112345678", " 13812345678 "])
def test_a_mobile_or_landline_number_is_accepted_and_trimmed(phone: str) -> None:
    assert check_phone(phone) == phone.strip()


@pytest.mark.parametrize("phone", ["", "12345", "12812345678", "1381234567", "138123456789",
                                   "abc", "+86 13812345678", "10-1234567", "010-123456",
                                   arabic_indic("13812345678")])
def test_a_phone_that_is_neither_mobile_nor_landline_is_refused(phone: str) -> None:
    assert refusal(check_phone, phone).field == "phone"


def test_a_phone_typed_in_fullwidth_digits_is_stored_in_ascii() -> None:
    assert check_phone(fullwidth("010-12345678")) == "010-12345678"


# -- name and position ---------------------------------------------------------------
def test_a_name_is_trimmed() -> None:
    assert check_name("  张三 ") == "张三"


def test_a_name_of_the_maximum_length_is_accepted() -> None:
    assert check_name(" " + "张" * NAME_MAX + " ") == "张" * NAME_MAX


@pytest.mark.parametrize("name", ["", "   ", "张" * (NAME_MAX + 1)])
def test_an_empty_or_oversized_name_is_refused(name: str) -> None:
    assert refusal(check_name, name).field == "name"


def test_a_position_is_trimmed_and_may_reach_the_maximum_length() -> None:
    assert check_position(" 县长 ") == "县长"
    assert check_position("长" * POSITION_MAX) == "长" * POSITION_MAX


@pytest.mark.parametrize("position", ["", "\t", "长" * (POSITION_MAX + 1)])
def test_an_empty_or_oversized_position_is_refused(position: str) -> None:
    assert refusal(check_position, position).field == "position"


# -- birth date ----------------------------------------------------------------------
TODAY = date(2024, 6, 15)


@pytest.mark.parametrize("born", [date(2006, 6, 15), date(1944, 6, 15), date(1943, 6, 16),
                                  date(1980, 1, 1)],
                         ids=["turns 18 today", "turns 80 today", "81 tomorrow", "aged 44"])
def test_a_cadre_aged_18_to_80_is_accepted(born: date) -> None:
    check_birth_date(born, TODAY)


@pytest.mark.parametrize("born", [date(2006, 6, 16), date(1943, 6, 15), date(2024, 1, 1)],
                         ids=["18 tomorrow", "turns 81 today", "infant"])
def test_a_birth_date_outside_the_age_window_is_refused(born: date) -> None:
    assert refusal(check_birth_date, born, TODAY).field == "birthDate"
