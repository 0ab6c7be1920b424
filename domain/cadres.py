"""Rules for a cadre's own record: names, identity numbers, phones.

Identity numbers and phones are kept in one spelling, ASCII: a number typed with
fullwidth digits is the same number (NFKC), so the uniqueness of identity numbers
holds on what is stored; digits of other scripts are refused.
"""

import re
from datetime import date

from domain import limits
from domain.errors import InvalidInput
from domain.text import ascii_form

NAME_MAX = limits.PERSON_NAME
POSITION_MAX = limits.POSITION
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# ASCII digits only: \d would also take Arabic-Indic and other scripts' digits.
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
_PHONE_PATTERN = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")


def id_number_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of an identity number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def check_id_number(id_number: str, birth_date: date | None = None) -> str:
    """Return the normalised resident identity number (ASCII, trimmed, upper-case X), or
    refuse a malformed one.

    Raises:
        InvalidInput: when the format, check digit or embedded birth date is wrong.
    """
    value = ascii_form(id_number, "idNumber", "identity number").strip().upper()
    if not _ID_PATTERN.fullmatch(value):
        raise InvalidInput("The identity number must be 17 digits and a check digit.",
                           field="idNumber")
    if id_number_check_digit(value[:17]) != value[17]:
        raise InvalidInput("The identity number's check digit is wrong.", field="idNumber")
    try:
        embedded = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidInput("The identity number holds no valid birth date.",
                           field="idNumber") from None
    if birth_date is not None and embedded != birth_date:
        raise InvalidInput("The birth date differs from the one in the identity number.",
                           field="birthDate")
    return value


def check_phone(phone: str) -> str:
    """Return the phone number in ASCII, or refuse one that is neither a mobile nor a
    landline."""
    value = ascii_form(phone, "phone", "phone number").strip()
    if not _PHONE_PATTERN.fullmatch(value):
        raise InvalidInput("The phone number is not a valid mobile or landline number.",
                           field="phone")
    return value


def check_name(name: str) -> str:
    """Return the trimmed name, or refuse an empty or oversized one."""
    value = name.strip()
    if not value or len(value) > NAME_MAX:
        raise InvalidInput(f"The name must be 1 to {NAME_MAX} characters.", field="name")
    return value


def check_position(position: str) -> str:
    """Return the trimmed post title, or refuse an empty or oversized one."""
    value = position.strip()
    if not value or len(value) > POSITION_MAX:
        raise InvalidInput(f"The position must be 1 to {POSITION_MAX} characters.",
                           field="position")
    return value


def check_birth_date(birth_date: date, today: date) -> None:
    """A leading cadre is between 18 and 80 years old."""
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month,
                                                                        birth_date.day))
    if not 18 <= age <= 80:
        raise InvalidInput("The birth date gives an age outside 18 to 80.", field="birthDate")
