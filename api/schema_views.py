"""Views of the schema: only the types and fields a partner's scopes (or a role) can read.

A view is derived from the serving schema, not built anew: object types keep the
fields the view allows, the root types keep the listed fields, and a type no longer
reachable is left out. A guarded type (one the policy governs) keeps only fields the
view may read, and vanishes with all fields returning it when its ``id`` is not
readable (rows are visible by their ``id``). Fields are copied with their resolvers,
guards and execution marks, so an operation runs on a view exactly as on the full
schema.
"""

from collections.abc import Callable, Collection
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    get_named_type,
)

from api.field_plan import GUARDED_TYPES
from authz.compiled import CompiledPolicy

Visible = Callable[[str, str], bool]


def readable_view(readable: frozenset[str], catalogue: frozenset[str],
                  guarded: Collection[str] = GUARDED_TYPES) -> Visible:
    """Visibility from a set of readable ``Type.field`` names of a policy catalogue."""

    def visible(type_name: str, field_name: str) -> bool:
        if type_name not in guarded:
            return True
        own_id = f"{type_name}.id"
        return (f"{type_name}.{field_name}" in readable
                and (own_id in readable or own_id not in catalogue))

    return visible


def role_readable(policy: CompiledPolicy, role: str) -> frozenset[str]:
    """Every field ``role`` may read under some relation."""
    return frozenset().union(*(fields for (held, _, action), fields in policy.granted.items()
                               if held == role and action == "read"))


def filter_schema(schema: GraphQLSchema, visible: Visible, *,
                  roots: frozenset[str] | None, mutations: bool) -> GraphQLSchema:
    """The view of ``schema`` showing what ``visible`` allows.

    Args:
        schema: the full schema.
        visible: whether a field of a non-root type is shown.
        roots: the query fields shown (None: all).
        mutations: whether the mutation type is kept.
    """
    query = schema.query_type
    mutation = schema.mutation_type if mutations else None
    objects = {name: t for name, t in schema.type_map.items()
               if isinstance(t, GraphQLObjectType) and not name.startswith("__")}
    kept: dict[str, list[str]] = {}
    for name, object_type in objects.items():
        if object_type is query:
            kept[name] = [f for f in object_type.fields if roots is None or f in roots]
        elif object_type is schema.mutation_type:
            kept[name] = list(object_type.fields) if mutation is not None else []
        else:
            kept[name] = [f for f in object_type.fields if visible(name, f)]
    _drop_dangling(objects, kept)
    views: dict[str, GraphQLObjectType] = {}

    def convert(graphql_type: GraphQLType) -> Any:
        if isinstance(graphql_type, GraphQLNonNull):
            return GraphQLNonNull(convert(graphql_type.of_type))
        if isinstance(graphql_type, GraphQLList):
            return GraphQLList(convert(graphql_type.of_type))
        assert isinstance(graphql_type, GraphQLNamedType)
        return views.get(graphql_type.name, graphql_type)

    for name in (n for n, fields in kept.items() if fields):
        views[name] = _copy_type(objects[name], kept[name], convert)
    assert query is not None
    return GraphQLSchema(query=views[query.name],
                         mutation=views.get(mutation.name) if mutation is not None else None,
                         directives=schema.directives)


def _drop_dangling(objects: dict[str, GraphQLObjectType], kept: dict[str, list[str]]) -> None:
    """Remove, until none is left, every field returning an object type with no field."""
    changed = True
    while changed:
        changed = False
        for name, fields in kept.items():
            alive = [f for f in fields
                     if not isinstance(get_named_type(objects[name].fields[f].type),
                                       GraphQLObjectType)
                     or kept.get(get_named_type(objects[name].fields[f].type).name)]
            if len(alive) != len(fields):
                kept[name], changed = alive, True


def _copy_type(original: GraphQLObjectType, fields: list[str],
               convert: Callable[[GraphQLType], Any]) -> GraphQLObjectType:
    def copied() -> dict[str, GraphQLField]:
        return {name: GraphQLField(
            convert(f.type), args=f.args, resolve=f.resolve, subscribe=f.subscribe,
            description=f.description, deprecation_reason=f.deprecation_reason,
            extensions=f.extensions, ast_node=f.ast_node)
            for name, f in ((n, original.fields[n]) for n in fields)}

    return GraphQLObjectType(original.name, copied, is_type_of=original.is_type_of,
                             extensions=original.extensions, description=original.description,
                             ast_node=original.ast_node)
