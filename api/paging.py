"""Relay cursor paging, shared by every connection.

A connection pages forward (``first``, ``after``) or backward (``last``, ``before``);
``after`` and ``before`` may bound one window together. Giving ``first`` and ``last`` at
once is refused (BAD_USER_INPUT, field ``last``): the Relay specification allows it but
"strongly discourages" it, as the page it names (the last ``last`` of the first
``first``) is rarely what a client means. Neither given: the first `DEFAULT_PAGE` items.

``hasNextPage`` of a forward page and ``hasPreviousPage`` of a backward page are exact
(one more row is read). On the other side the Relay specification lets a server answer
``false``; here it is exact too, by one indexed look-up, made only when selected: a
forward page after a cursor has a previous page when an item lies at or before that
cursor, and a backward page before a cursor has a next page when one lies at or after it.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import strawberry

from api.list_sizes import DEFAULT_PAGE
from api.types.cadres import PageInfo
from domain.errors import InvalidInput
from domain.ids import parse_id

_CURSOR_PREFIX = "cadre:"
MAX_ID = 2**31 - 1
T = TypeVar("T")

#: The Relay size arguments, as every connection declares them.
FIRST = Annotated[int | None, strawberry.argument(
    description=f"Page forward: the first items after `after` (default {DEFAULT_PAGE}).")]
LAST = Annotated[int | None, strawberry.argument(
    description="Page backward: the last items before `before`; not with `first`.")]


def encode_cursor(record_id: int) -> str:
    """The opaque cursor of the record ``record_id`` in an id-ordered connection."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{record_id}".encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> int:
    """The record id a cursor names, or BAD_USER_INPUT naming ``field``."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInput("The cursor is malformed.", field=field) from None
    if not text.startswith(_CURSOR_PREFIX):
        raise InvalidInput("The cursor is malformed.", field=field)
    return parse_id(text[len(_CURSOR_PREFIX):], field)


@dataclass(frozen=True)
class PageRequest:
    """One page of an id-ordered connection: the window (``after_id < id < before_id``),
    how many items, and from which end they are taken."""

    after_id: int | None
    before_id: int | None
    size: int
    backward: bool


def page_request(*, first: int | None, after: str | None, last: int | None,
                 before: str | None, max_page_size: int) -> PageRequest:
    """The page the Relay arguments name.

    Raises:
        InvalidInput: a size out of range, ``first`` with ``last``, or a malformed cursor.
    """
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_page_size:
            raise InvalidInput(f"{name} must lie between 0 and {max_page_size}.", field=name)
    if first is not None and last is not None:
        raise InvalidInput("Give first (paging forward) or last (paging backward), not both.",
                           field="last")
    after_id = decode_cursor(after, "after") if after else None
    before_id = decode_cursor(before, "before") if before else None
    if last is not None:
        return PageRequest(after_id, before_id, last, backward=True)
    return PageRequest(after_id, before_id, DEFAULT_PAGE if first is None else first,
                       backward=False)


@dataclass(frozen=True)
class Page(Generic[T]):
    """The items of a page in connection order, and whether more lie on either side."""

    items: list[T]
    has_previous: bool
    has_next: bool


def cut(request: PageRequest, fetched: Sequence[T], beyond_cursor: bool) -> Page[T]:
    """The page from ``fetched``: up to ``size + 1`` items read from the requested end
    (descending for a backward page). ``beyond_cursor`` tells whether an item lies on the
    other side of the starting cursor (see the module's note)."""
    more = len(fetched) > request.size
    items = list(fetched[:request.size])
    if request.backward:
        items.reverse()
        return Page(items, has_previous=more, has_next=beyond_cursor)
    return Page(items, has_previous=beyond_cursor, has_next=more)


def other_side(request: PageRequest, selected: frozenset[str]) -> tuple[int, int] | None:
    """The id range (inclusive bounds) to probe for items beyond the starting cursor, or
    None when the page starts at an end of the connection or the answer does not ask
    (``selected``: the names selected under ``pageInfo``)."""
    if request.backward:
        if request.before_id is None or "hasNextPage" not in selected:
            return None
        return request.before_id, MAX_ID
    if request.after_id is None or "hasPreviousPage" not in selected:
        return None
    return 1, request.after_id


def page_info(page: Page[T], cursor: Callable[[T], str]) -> PageInfo:
    """The ``pageInfo`` of ``page``; ``cursor`` gives an item's cursor."""
    return PageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous,
                    start_cursor=cursor(page.items[0]) if page.items else None,
                    end_cursor=cursor(page.items[-1]) if page.items else None)
