"""Free text from users: what any text may hold, and the ASCII form of numbers.

A text may hold any character a person types, Chinese included, and the ordinary
whitespace TAB, LF and CR; it may not hold other control characters (Cc: NUL, ESC …),
formatting characters (Cf: the bidirectional overrides U+202A–U+202E and isolates
U+2066–U+2069 that can make a stored name read differently from what it is, zero-width
spaces and joiners, …) or lone surrogates (Cs). PostgreSQL cannot store NUL in text at
all; refusing it here keeps it the user's error rather than a fault of the database.
"""

import unicodedata

from domain.errors import InvalidInput

#: Whitespace a text may hold although it is in category Cc.
ORDINARY_WHITESPACE = frozenset("\t\n\r")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def refused_character(value: str) -> str | None:
    """The first character ``value`` may not hold, or None when it holds none."""
    if value.isprintable():  # fast path: printable text holds no Cc, Cf or Cs at all
        return None
    return next((c for c in value if c not in ORDINARY_WHITESPACE
                 and unicodedata.category(c) in _REFUSED_CATEGORIES), None)


def clean_text(value: str, field: str, max_length: int) -> str:
    """Return ``value`` unchanged, or refuse text too long or holding a refused character.

    Args:
        value: the text as the user sent it.
        field: the input field named in the refusal.
        max_length: the most characters it may hold (from ``domain.limits``).

    Raises:
        InvalidInput: naming ``field``.
    """
    if len(value) > max_length:
        raise InvalidInput(f"Give {field} in at most {max_length} characters.", field=field)
    found = refused_character(value)
    if found is not None:
        raise InvalidInput(f"{field} holds the control or formatting character "
                           f"U+{ord(found):04X}, which text may not hold.", field=field)
    return value


def ascii_form(value: str, field: str, what: str) -> str:
    """The NFKC form of ``value`` (fullwidth digits and letters become ASCII), refusing
    any character that has no ASCII form.

    NFKC leaves other scripts' digits (Arabic-Indic ٣, Devanagari ३ …) as they are, so a
    number written with them is refused rather than stored as a second spelling of one
    already held.

    Raises:
        InvalidInput: naming ``field``.
    """
    normal = unicodedata.normalize("NFKC", value)
    if not normal.isascii():
        raise InvalidInput(f"Write the {what} in ASCII digits and letters.", field=field)
    return normal
