"""Decoding of IDs and cursors from client input."""

import base64
import binascii

from domain.errors import InvalidInput

_CURSOR_PREFIX = "cadre:"


def decode_id(value: str, field: str = "id") -> int:
    """An integer record id, or BAD_USER_INPUT naming ``field``."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not a valid id.", field=field) from None
    if not 0 < number < 2**63:
        raise InvalidInput(f"'{value}' is not a valid id.", field=field)
    return number


def encode_cursor(record_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{record_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInput("The cursor is malformed.", field="after") from None
    if not text.startswith(_CURSOR_PREFIX):
        raise InvalidInput("The cursor is malformed.", field="after")
    return decode_id(text[len(_CURSOR_PREFIX):], field="after")
