"""One field plan: what every ``Type.field`` of the schema is, described once.

Built at schema build time (`build_field_plan`) and read by every consumer: the field
guards (`api.guard`), the audited-read notes (`api.reads`), the short query path
(`api.execution`), the SQL compiler (`api.compiler`), the cost budget's list weights
(`api.list_sizes`) and the per-role schema views (`api.schema_views`). A rule about a
field (its guard key, whether its reads are audited) is therefore written in one place.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    is_leaf_type,
)

from api.list_sizes import LIST_SIZES, PAGE_ARGUMENT, is_object_list
from authz.audited import AUDITED_FIELDS
from authz.policy import guarded_type_names

#: Types whose fields the default policy governs; every field of them is guarded.
GUARDED_TYPES = guarded_type_names()
#: Row visibility is decided by read access on ``Type.id``, so ids need no guard.
UNGUARDED_FIELDS = frozenset({"id"})
#: The cost weight of a paginated field: its ``first`` argument decides it.
PAGED = -1


@dataclass(frozen=True)
class FieldSpec:
    """One ``Type.field`` of the schema.

    Attributes:
        type_field: ``"Type.field"``, as the policy names it.
        attribute: the Python attribute read when the field has no resolver (else None).
        guard: the policy key checked before reading it (None: unguarded).
        audited: whether a non-null value returned is noted for the documentary record.
        weight: items the cost budget counts (1; a list's declared size; `PAGED`; None:
            an undeclared list of objects, counted as the largest page).
        leaf_type: the named leaf type, for a scalar or enum field.
        non_null: whether the field's type is non-null.
        enum_names: for an enum field, each Python value's GraphQL name.
    """

    type_field: str
    attribute: str | None
    guard: str | None
    audited: bool
    weight: int | None
    leaf_type: GraphQLLeafType | None
    non_null: bool
    enum_names: Mapping[Any, str] | None = None


class FieldPlan(Mapping[str, FieldSpec]):
    """The specs of a schema's fields by ``"Type.field"``."""

    def __init__(self, specs: dict[str, FieldSpec]) -> None:
        self._specs = specs

    def __getitem__(self, key: str) -> FieldSpec:
        return self._specs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def guards(self) -> dict[str, str]:
        """Guarded fields and their guard keys."""
        return {key: spec.guard for key, spec in self._specs.items() if spec.guard}

    def audited(self) -> frozenset[str]:
        return frozenset(key for key, spec in self._specs.items() if spec.audited)


def _weight(type_field: str, field: Any) -> int | None:
    if PAGE_ARGUMENT in field.args:
        return PAGED
    if is_object_list(field.type):
        return LIST_SIZES.get(type_field)
    return 1


def build_field_plan(schema: strawberry.Schema, *, guarded: bool = True,
                     guarded_types: frozenset[str] | tuple[str, ...] = GUARDED_TYPES,
                     audited: frozenset[str] = AUDITED_FIELDS) -> FieldPlan:
    """The field plan of ``schema``.

    Args:
        schema: the Strawberry schema, before any resolver is wrapped.
        guarded: whether the guards are on (off only to measure what authorization costs).
        guarded_types: the types whose every field but ``id`` is guarded.
        audited: the ``Type.field`` names whose reads are audited.
    """
    specs: dict[str, FieldSpec] = {}
    convert = schema.config.name_converter.get_graphql_name
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition = schema.get_type_by_name(type_name)
        by_name = {convert(f): f for f in getattr(definition, "fields", ())}
        for field_name, field in graphql_type.fields.items():
            type_field = f"{type_name}.{field_name}"
            source = by_name.get(field_name)
            non_null = isinstance(field.type, GraphQLNonNull)
            inner = field.type.of_type if non_null else field.type
            guard = (type_field if guarded and type_name in guarded_types
                     and field_name not in UNGUARDED_FIELDS else None)
            names = ({value.value: name for name, value in inner.values.items()}
                     if isinstance(inner, GraphQLEnumType) else None)
            attribute = (source.python_name if source is not None
                         and source.base_resolver is None else None)
            specs[type_field] = FieldSpec(
                type_field, attribute, guard, type_field in audited,
                _weight(type_field, field), inner if is_leaf_type(inner) else None,
                non_null, names)
    return FieldPlan(specs)
