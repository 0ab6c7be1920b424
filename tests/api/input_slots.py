"""Every place an operation takes text or an id, found by walking the schema, and a
request that puts a chosen value there while everything else is merely well-typed.

The walk reads only graphql-core's types and the declared limits, not the checks that
`api.inputs` installs, so a field the mechanism missed still shows up here.
"""

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_non_null_type,
)
from graphql.pyutils import Undefined

from api.inputs import declared_limit

#: A well-typed value of each scalar, for the inputs a test does not aim at.
FILLERS: dict[str, Any] = {"String": "x", "ID": "1", "Int": 1, "Float": 1.0, "Boolean": True,
                           "Date": "2020-01-01", "DateTime": "2020-01-01T00:00:00+00:00"}


@dataclass(frozen=True)
class Slot:
    """One text or id input: where it is, and the limit declared on it (text only)."""

    operation: str  # "query" or "mutation"
    root: str  # the root field taking it
    argument: str
    path: tuple[str, ...]  # input fields inside the argument
    scalar: str  # "String" or "ID"
    limit: int | None
    in_list: bool  # the input is a list of them

    @property
    def field(self) -> str:
        """The name a refusal gives in ``extensions.field``."""
        return ".".join(([] if self.argument == "input" else [self.argument]) + list(self.path))

    def __str__(self) -> str:
        return f"{self.root}.{self.field}"


def _leaves(type_: GraphQLInputType, path: tuple[str, ...], limit: int | None,
            seen: frozenset[str]) -> list[tuple[tuple[str, ...], str, int | None, bool]]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType) and named.name in ("String", "ID"):
        unwrapped = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        return [(path, named.name, limit, isinstance(unwrapped, GraphQLList))]
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        return [leaf for name, field in named.fields.items()
                for leaf in _leaves(field.type, (*path, name), declared_limit(field),
                                    seen | {named.name})]
    return []


def slots(schema: GraphQLSchema) -> list[Slot]:
    """Every String and ID input of every root field of the schema."""
    found = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for field_name, field in root.fields.items():
            for name, argument in field.args.items():
                found.extend(Slot(operation, field_name, name, *leaf)
                             for leaf in _leaves(argument.type, (), declared_limit(argument),
                                                 frozenset()))
    return found


def _value(type_: GraphQLInputType, target: tuple[str, ...] | None, chosen: Any,
           whole_list: bool = False) -> Any:
    """A well-typed value of ``type_``; ``chosen`` at ``target`` when one is given (the
    list there, rather than its one item, when ``whole_list``)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        if target == () and whole_list:
            return chosen
        return ([_value(type_.of_type, target, chosen, whole_list)] if target is not None
                else [])
    if target == ():
        return chosen
    if isinstance(type_, GraphQLInputObjectType):
        value = {}
        for name, field in type_.fields.items():
            if target and target[0] == name:
                value[name] = _value(field.type, target[1:], chosen, whole_list)
            elif is_non_null_type(field.type) and field.default_value is Undefined:
                value[name] = _value(field.type, None, None)
        return value
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    return FILLERS[type_.name]


def _required(argument: GraphQLArgument) -> bool:
    return is_non_null_type(argument.type) and argument.default_value is Undefined


def request(schema: GraphQLSchema, slot: Slot, chosen: Any,
            whole_list: bool = False) -> tuple[str, dict[str, Any]]:
    """An operation and its variables putting ``chosen`` in ``slot`` (as the whole list,
    when ``whole_list``, rather than as its one item)."""
    root = schema.query_type if slot.operation == "query" else schema.mutation_type
    assert root is not None
    field: GraphQLField = root.fields[slot.root]
    sent = {name: argument for name, argument in field.args.items()
            if name == slot.argument or _required(argument)}
    variables = {name: _value(argument.type, slot.path if name == slot.argument else None,
                              chosen, whole_list)
                 for name, argument in sent.items()}
    declared = ", ".join(f"${name}: {argument.type}" for name, argument in sent.items())
    passed = ", ".join(f"{name}: ${name}" for name in sent)
    selection = (" { __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType)
                 else "")
    return (f"{slot.operation} Aimed({declared}) {{ {slot.root}({passed}){selection} }}",
            variables)
