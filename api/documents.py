"""Parsed documents and their measurements, cached for the budget check (`api.budgets`).

A document is kept by its text with its token count, or as given up on once it passed
a token limit, so that a repeated refusal costs a look-up and a larger budget reads it
again. Measurements are kept per schema (a partner's view answers for its own types)
by text, operation name and the values of the page-size variables the cost depends on.
"""

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from graphql import DocumentNode, GraphQLSchema, GraphQLSyntaxError, parse

from api.measures import Measurement, count_tokens, measure_operation

_TOO_MANY_TOKENS = "Document contains more than"


class Parsed(NamedTuple):
    """A document parsed, or given up on after ``tokens - 1`` tokens (document None)."""

    document: DocumentNode | None
    tokens: int


class _Lru(OrderedDict[Hashable, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: Hashable) -> Any:
        found = self.get(key)
        if found is not None:
            self.move_to_end(key)
        return found

    def put(self, key: Hashable, value: Any) -> None:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)


class DocumentCache:
    """Parsed documents and their measurements, bounded (least recently used go first).

    Args:
        size: how many documents, and how many measurements per schema, are kept.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.documents = _Lru(size)
        self._measured: WeakKeyDictionary[GraphQLSchema, _Lru] = WeakKeyDictionary()
        self._page_variables: WeakKeyDictionary[GraphQLSchema, _Lru] = WeakKeyDictionary()

    def parsed(self, query: str, max_tokens: int) -> Parsed | None:
        """``query`` parsed, unless it has more than ``max_tokens`` tokens; None when it is
        no GraphQL (strawberry parses it again to report why, as for any request)."""
        found: Parsed | None = self.documents.get_fresh(query)
        if found is not None and (found.document is not None or found.tokens > max_tokens):
            return found
        try:
            document = parse(query, max_tokens=max_tokens)
        except GraphQLSyntaxError as error:
            if f"{_TOO_MANY_TOKENS} {max_tokens} tokens" not in error.message:
                return None
            found = Parsed(None, max_tokens + 1)
        else:
            found = Parsed(document, count_tokens(document))
        self.documents.put(query, found)
        return found

    def measured(self, schema: GraphQLSchema, document: DocumentNode, query: str,
                 operation_name: str | None, variables: Mapping[str, Any] | None,
                 max_page_size: int) -> Measurement:
        """The measurement of the operation, as `measure_operation` gives it."""
        measured = self._measured.setdefault(schema, _Lru(self.size))
        page_variables = self._page_variables.setdefault(schema, _Lru(self.size))
        names: frozenset[str] | None = page_variables.get_fresh((query, operation_name))
        key = (query, operation_name, _page_values(names, variables) if names else ())
        found: Measurement | None = measured.get_fresh(key) if names is not None else None
        if found is None:
            found = measure_operation(schema, document, operation_name, variables,
                                      max_page_size)
            page_variables.put((query, operation_name), found.page_variables)
            key = (query, operation_name, _page_values(found.page_variables, variables))
            measured.put(key, found)
        return found


def _page_values(names: frozenset[str], variables: Mapping[str, Any] | None) -> tuple[Any, ...]:
    given = variables or {}
    return tuple((name, value if isinstance(value, int) else None)
                 for name in sorted(names) for value in (given.get(name),))
