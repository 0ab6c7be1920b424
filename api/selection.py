"""Look-ahead: which fields a query selects below the current one, fragments included.

Resolvers that return cadres fetch the children the query asks for (evaluations,
findings, labels) for the whole page in one statement each, before building the
GraphQL objects; nested fields then resolve synchronously from memory, which
graphql-core executes far faster than one awaitable per record.
"""

from collections.abc import Iterable, Iterator

import strawberry
from strawberry.types.nodes import SelectedField, Selection


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or inline fragment: look inside it
            yield from _fields(selection.selections)


def selected_names(info: strawberry.Info, *path: str) -> frozenset[str]:
    """Names selected under ``path`` below the current field (e.g. "edges", "node")."""
    level = [child for field in _fields(info.selected_fields)
             for child in _fields(field.selections)]
    for name in path:
        level = [child for field in level if field.name == name
                 for child in _fields(field.selections)]
    return frozenset(field.name for field in level)
