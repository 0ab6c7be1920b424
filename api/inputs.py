"""Input hygiene: every text and id an operation takes is checked before its resolver.

Each String input is declared next to its field with the longest text it may hold,
from the one table in `domain.limits`: ``name: str = text(limits.PERSON_NAME)`` on an
input type, ``Annotated[str, text_argument(limits.SEARCH)]`` on an argument. The
declaration also writes the limit into the field's description.

`install_input_checks` walks, at schema build time, the arguments of every field and the
input types they reach, and wraps each resolver taking input with one check run before
it, and so before any SQL: every String goes through `domain.text.clean_text` (its
limit, no control or formatting characters), every ID through `domain.ids.parse_id`
(one canonical spelling), and no list holds more than `domain.limits.LIST_ITEMS` items.
A refusal is BAD_USER_INPUT naming the field as the client wrote it: ``name`` inside
``input``, ``filter.search`` in an argument ``filter``. A String input without a
declared limit fails the build, so no new field escapes.
"""

from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLString,
    default_field_resolver,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from domain import limits
from domain.errors import InvalidInput
from domain.ids import parse_id
from domain.text import clean_text

#: Metadata key of a String input's limit, in characters.
TEXT_LIMIT = "cadre.text_limit"
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF

#: Checks one input value; raises `domain.errors.InvalidInput` to refuse it.
Check = Callable[[Any], None]


class UndeclaredText(TypeError):
    """A String input was declared without its limit (use `text` or `text_argument`)."""


def _described(description: str | None, max_length: int, each: bool) -> str:
    limit = f"At most {max_length:,} characters{' each' if each else ''}."
    return f"{description} {limit}" if description else limit


def text(max_length: int, description: str | None = None, *, each: bool = False,
         **options: Any) -> Any:
    """An input field of text (or a list of texts) holding at most ``max_length`` characters.

    Args:
        max_length: the limit, from `domain.limits`.
        description: what the field holds; the limit is appended.
        each: the field is a list, and the limit holds for each of its texts.
        **options: passed on to ``strawberry.field`` (``default``, ``default_factory``).
    """
    return strawberry.field(description=_described(description, max_length, each),
                            metadata={TEXT_LIMIT: max_length}, **options)


def text_argument(max_length: int, description: str | None = None, *,
                  each: bool = False) -> Any:
    """An argument of text holding at most ``max_length`` characters, for ``Annotated``."""
    return strawberry.argument(description=_described(description, max_length, each),
                               metadata={TEXT_LIMIT: max_length})


def declared_limit(declared: GraphQLArgument | GraphQLInputField) -> int | None:
    """The limit declared on an argument or input field with `text`, if any."""
    source = (declared.extensions or {}).get(_BACKREF)
    metadata: Mapping[str, Any] = getattr(source, "metadata", None) or {}
    return metadata.get(TEXT_LIMIT)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _text_check(field: str, max_length: int) -> Check:
    def check_text(value: str) -> None:
        clean_text(value, field, max_length)

    return check_text


def _id_check(field: str) -> Check:
    def check_id(value: str) -> None:
        parse_id(value, field)

    return check_id


def _list_check(field: str, item: Check | None) -> Check:
    def check_items(values: list[Any]) -> None:
        if len(values) > limits.LIST_ITEMS:
            raise InvalidInput(f"Give {field} in at most {limits.LIST_ITEMS} items.",
                               field=field)
        if item is not None:
            for value in values:
                if value is not None:
                    item(value)

    return check_items


def _object_check(fields: dict[str, Check]) -> Check:
    def check_fields(value: dict[str, Any]) -> None:
        for name, check in fields.items():
            if value.get(name) is not None:
                check(value[name])

    return check_fields


def _check(type_: GraphQLInputType, field: str, limit: int | None, where: str) -> Check | None:
    """The check of a value of ``type_``, or None when no value of it needs one."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return _list_check(field, _check(type_.of_type, field, limit, where))
    if type_ is GraphQLID:
        return _id_check(field)
    if type_ is GraphQLString:
        if limit is None:
            raise UndeclaredText(f"{where} takes text without a declared limit; declare it "
                                 "with api.inputs.text or text_argument.")
        return _text_check(field, limit)
    if isinstance(type_, GraphQLInputObjectType):
        checks = {name: check for name, declared in type_.fields.items()
                  if (check := _check(declared.type, _join(field, name),
                                      declared_limit(declared),
                                      f"{type_.name}.{name}")) is not None}
        return _object_check(checks) if checks else None
    return None  # Int, Float, Boolean, enums, dates: their GraphQL types check them


def _checked(checks: dict[str, Check], resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolve_checked(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        for name, check in checks.items():
            if kwargs.get(name) is not None:
                check(kwargs[name])
        return resolve(root, info, **kwargs)

    return resolve_checked


def argument_checks(type_name: str, field_name: str,
                    arguments: dict[str, GraphQLArgument]) -> dict[str, Check]:
    """The check of each argument of a field that needs one.

    An argument named ``input`` is the field's input object: its fields are named
    without the prefix, as clients think of them.

    Raises:
        UndeclaredText: a String reached from these arguments has no declared limit.
    """
    checks: dict[str, Check] = {}
    for name, argument in arguments.items():
        check = _check(argument.type, "" if name == "input" else name,
                       declared_limit(argument), f"{type_name}.{field_name}({name})")
        if check is not None:
            checks[name] = check
    return checks


def install_input_checks(schema: strawberry.Schema) -> list[str]:
    """Wrap the resolver of every field taking checked input; returns those fields.

    Raises:
        UndeclaredText: a String input of the schema has no declared limit.
    """
    installed = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            checks = argument_checks(type_name, field_name, field.args)
            if checks:
                field.resolve = _checked(checks, field.resolve or default_field_resolver)
                installed.append(f"{type_name}.{field_name}")
    return installed
