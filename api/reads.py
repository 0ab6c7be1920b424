"""Audited reads (纪实): which records' sensitive fields an answer returned, and their record.

Fields in the policy group ``audited`` (see `authz.audited`) are noted where their
values are produced: on the short query path (`api.execution`) and, for every
other path, by a wrapper installed once on their resolvers. Noting a value costs
one list append. At the end of the operation `write_reads` turns the notes into
one event per record type, committed with the operation; when that fails the answer
is withheld.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo

from api.field_plan import FieldPlan
from db import audit

READ_OPERATION = "read"


class ReadLog:
    """The audited values one operation returned, as record ids per ``Type.field``."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: defaultdict[str, list[Any]] = defaultdict(list)

    def note(self, type_field: str, record_id: Any) -> None:
        """Record that a non-null ``type_field`` of record ``record_id`` was returned."""
        self._ids[type_field].append(record_id)

    def clear(self) -> None:
        self._ids.clear()

    def __bool__(self) -> bool:
        return bool(self._ids)

    def events(self) -> Iterator[tuple[str, list[int], list[str]]]:
        """``(record_type, record_ids, field names)`` per record type, sorted for a stable
        trail; fields are bare GraphQL names, as the workflows list the ones they write."""
        by_type: dict[str, tuple[set[int], set[str]]] = {}
        for type_field, ids in self._ids.items():
            record_type, field = type_field.split(".", 1)
            record_ids, fields = by_type.setdefault(record_type, (set(), set()))
            record_ids.update(int(record_id) for record_id in ids)
            fields.add(field)
        for record_type in sorted(by_type):
            record_ids, fields = by_type[record_type]
            yield record_type, sorted(record_ids), sorted(fields)


def _noting(type_field: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolve_and_note(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        value = resolve(root, info, **kwargs)
        if value is not None:
            info.context.reads.note(type_field, root.id)
        return value

    return resolve_and_note


def install_read_notes(schema: strawberry.Schema, plan: FieldPlan) -> frozenset[str]:
    """Wrap the resolvers of the fields the field plan audits; returns those fields.

    Wraps whatever resolver is installed (the field guard, when guards are on), so a
    denied value, answered as null, is not noted.
    """
    audited = plan.audited()
    for type_field in audited:
        type_name, field_name = type_field.split(".", 1)
        graphql_type = schema._schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        field = graphql_type.fields[field_name]
        resolve = field.resolve
        if resolve is None:
            attribute = plan[type_field].attribute
            assert attribute is not None, f"{type_field}: audited, without an attribute"
            resolve = _attribute(attribute)
        field.resolve = _noting(type_field, resolve)
    return audited


def _attribute(python_name: str) -> Any:
    """A direct reader of the Python attribute behind a resolver-less GraphQL field."""
    return lambda root, _info, **_kwargs: getattr(root, python_name)


async def write_reads(context: Any) -> None:
    """Write one ``read`` event per record type noted in ``context.reads``.

    The events go into the request's transaction and commit with it, at the request's
    commit point (`api.commits`), so an answer whose reads could not be recorded never
    leaves.

    Args:
        context: the request's context (its reads, unit of work, principal, time).
    """
    reads: ReadLog = context.reads
    for record_type, record_ids, fields in reads.events():
        await audit.record(context.uow.session, actor=context.principal,
                           operation=READ_OPERATION, record_type=record_type,
                           record_ids=record_ids, fields=fields, at=context.now)
    reads.clear()
