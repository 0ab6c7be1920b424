"""Decoding of client input the GraphQL types do not check: ids and times (cursors:
`api.paging`)."""

from datetime import UTC, datetime

from domain.errors import InvalidInput
from domain.ids import parse_id


def decode_id(value: str, field: str = "id") -> int:
    """An integer record id, or BAD_USER_INPUT naming ``field`` (`domain.ids.parse_id`).

    Every ID input is also checked by this rule before its resolver runs
    (`api.inputs`); resolvers call it to turn the checked text into a number.
    """
    return parse_id(value, field)


def decode_time(moment: datetime, field: str) -> datetime:
    """An aware time in UTC, or BAD_USER_INPUT: a time needs its offset and a real year."""
    if moment.tzinfo is None:
        raise InvalidInput("Give the time with a UTC offset.", field=field)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+08:00 lies before the first year in UTC
        raise InvalidInput("The time lies outside the years 1–9999 in UTC.",
                           field=field) from None
