"""Executable views of the schema, cached per policy version, and the check of partners'
operations.

A partner executes on the view of its scopes (`api.schema_views`), so introspection
shows only its slice. A user's introspection runs on the view of his roles: the types
and fields his policy can ever let him read (his other operations run on the full
schema, where a denied field answers FORBIDDEN). No view's errors carry "Did you mean"
hints.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from api.schema_views import filter_schema, readable_view, role_readable
from authz.compiled import CompiledPolicy
from authz.scope import partner_readable
from authz.statistics import STATISTICS_SCOPES

#: Root query fields a partner view offers (when the types they return survive).
PARTNER_ROOT_FIELDS = frozenset({"cadres", "cadre", "units", "unit"})
#: ... and to a token with a statistics scope (`authz.statistics`).
STATISTICS_ROOT_FIELDS = frozenset({"cadreStatistics"})
#: Operations longer than this are refused unparsed (a partner never needs one).
MAX_TOKENS = 5000


@dataclass
class PartnerSchema:
    """The executable view of one policy version for one set of scopes."""

    full: strawberry.Schema
    strawberry: strawberry.Schema
    graphql: GraphQLSchema
    #: Persisted operations already checked: hash → why refused (None: allowed).
    vetted: dict[str, str | None] = field(default_factory=dict)

    def vet(self, sha256: str, query: str) -> str | None:
        """None when a partner may run ``query`` on this view, else the reason why not."""
        if sha256 not in self.vetted:
            if len(self.vetted) >= 1024:
                self.vetted.clear()
            self.vetted[sha256] = vet_operation(self.full._schema, self.graphql, query)
        return self.vetted[sha256]


def vet_operation(full: GraphQLSchema, view: GraphQLSchema, query: str) -> str | None:
    """Why a partner may not run ``query`` on ``view``, or None when he may.

    The reasons name no field: a field the view hides must not be revealed.
    """
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return "The operation does not parse."
    if any(isinstance(d, OperationDefinitionNode) and d.operation is not OperationType.QUERY
           for d in document.definitions):
        return "Partners only read: the operation is not a query."
    if validate(full, document):
        return "The operation is no longer valid against the schema."
    if validate(view, document, hide_suggestions=True):
        return "The operation reads fields outside the token's scopes."
    return None


def schema_problem(schema: GraphQLSchema, query: str) -> str | None:
    """Why ``query`` is no valid operation of ``schema`` (None: it is one)."""
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return f"The operation does not parse: {error.message}"
    errors = validate(schema, document)
    return f"The operation is not valid: {errors[0].message}" if errors else None


_VIEWS: dict[tuple[int, int, str, frozenset[str]], PartnerSchema] = {}
_MAX_VIEWS = 64


def partner_view(schema: GraphQLSchema, policy: CompiledPolicy,
                 scopes: frozenset[str]) -> GraphQLSchema:
    """The view of ``schema`` for a partner token with ``scopes`` under ``policy``."""
    readable = partner_readable(policy, scopes)
    roots = PARTNER_ROOT_FIELDS | (STATISTICS_ROOT_FIELDS if scopes & STATISTICS_SCOPES.keys()
                                   else frozenset())
    return filter_schema(schema, readable_view(readable, policy.fields),
                         roots=roots, mutations=False)


def partner_schema(full: strawberry.Schema, policy: CompiledPolicy,
                   scopes: frozenset[str]) -> PartnerSchema:
    """The partner view for ``scopes`` under ``policy``, built once and cached."""
    return _cached(full, policy, "scopes", scopes,
                   lambda: partner_view(full._schema, policy, scopes))


def user_view(schema: GraphQLSchema, policy: CompiledPolicy,
              roles: frozenset[str]) -> GraphQLSchema:
    """The view of ``schema`` for a user holding ``roles``: what they can ever read."""
    readable = frozenset().union(*(role_readable(policy, role) for role in roles))
    return filter_schema(schema, readable_view(readable, policy.fields), roots=None,
                         mutations=True)


def user_schema(full: strawberry.Schema, policy: CompiledPolicy,
                roles: frozenset[str]) -> strawberry.Schema:
    """The executable view for users holding ``roles`` under ``policy``, built once."""
    return _cached(full, policy, "roles", roles,
                   lambda: user_view(full._schema, policy, roles)).strawberry


def _cached(full: strawberry.Schema, policy: CompiledPolicy, kind: str, names: frozenset[str],
            build: Callable[[], GraphQLSchema]) -> PartnerSchema:
    key = (id(full), policy.version, kind, names)
    found = _VIEWS.get(key)
    if found is None or found.full is not full:
        graphql = build()
        found = PartnerSchema(full, _executable(full, graphql), graphql)
        if len(_VIEWS) >= _MAX_VIEWS:
            del _VIEWS[next(iter(_VIEWS))]
        _VIEWS[key] = found
    return found


def _executable(full: strawberry.Schema, view: GraphQLSchema) -> strawberry.Schema:
    """A Strawberry schema executing on ``view``: the full one's extensions, hiding
    "Did you mean" suggestions from errors."""
    executable = copy.copy(full)
    executable._schema = view
    view._strawberry_schema = executable  # type: ignore[attr-defined]
    view.extensions = {GraphQLCoreConverter.DEFINITION_BACKREF: executable}
    executable.execution_context_class = _hiding_suggestions(full.execution_context_class)
    return executable


def _hiding_suggestions(base: type[Any]) -> type[Any]:
    class HidingSuggestions(base):  # type: ignore[misc, valid-type]
        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            kwargs["hide_suggestions"] = True
            return super().build(*args, **kwargs)

    return HidingSuggestions
