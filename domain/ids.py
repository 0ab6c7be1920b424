"""Record ids: canonical decimal integers within the columns that hold them."""

import re

from domain.errors import InvalidInput

#: Ids are INTEGER columns (int4 on PostgreSQL): a larger id names no record, and sending
#: it to the database would fail there instead of finding nothing.
MAX_ID = 2**31 - 1
# One spelling per id: ASCII digits, no sign, no leading zero, no space (ids start at 1).
_CANONICAL = re.compile(r"[1-9][0-9]{0,18}")


def in_range(number: int) -> bool:
    """Whether ``number`` can name a record at all."""
    return 0 < number <= MAX_ID


def parse_id(value: str, field: str) -> int:
    """The record id ``value`` spells, or refuse any other spelling.

    ``"12"`` is an id; ``"１２"``, ``" 12"``, ``"+12"``, ``"012"``, ``"12.0"``, ``"-1"``,
    ``"0"`` and numbers beyond the column's range are not.

    Raises:
        InvalidInput: naming ``field``.
    """
    if not _CANONICAL.fullmatch(value) or not in_range(number := int(value)):
        raise InvalidInput(f"{field} is not a record id (a number from 1 to {MAX_ID} in "
                           "ASCII digits).", field=field)
    return number
