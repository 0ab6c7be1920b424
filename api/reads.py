"""Audited reads (纪实): which records' sensitive fields an answer returned, and their record.

Fields in the policy group ``audited`` (see `authz.audited`) are noted where their
values are produced: on the short query path (`api.execution`) and, for every
other path, by a wrapper installed once on their resolvers. Noting a value costs
one list append. At the end of the operation `write_reads` turns the notes into
one event per record type, committed with the operation; when that fails the answer
is withheld.
"""

import asyncio
import weakref
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

    def recorded(self, record_type: str, record_ids: list[int], fields: list[str]) -> None:
        """An event the answer's own statement has written (`api.recorded_reads`): nothing
        is left to write for it; kept for whoever observes the log."""

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


async def write_reads_alone(context: Any) -> None:
    """`write_reads` for an operation that wrote nothing else (a query): its events are
    committed in a statement of their own, shared with the reads of concurrent requests
    (`ReadAppender`); the answer waits for that commit (`api.commits`)."""
    rows = read_rows(context)
    engine = context.uow.engine
    direct = engine.dialect.name == "postgresql" and not context.settings.db_pgbouncer
    await appender(engine, direct).append(rows)
    context.reads.clear()


def read_rows(context: Any) -> list[dict[str, Any]]:
    """The rows of the ``read`` events noted in ``context.reads`` (`db.audit.event_row`)."""
    reads: ReadLog = context.reads
    return [audit.event_row(actor=context.principal, operation=READ_OPERATION,
                            record_type=record_type, record_ids=record_ids, fields=fields,
                            at=context.now)
            for record_type, record_ids, fields in reads.events()]


class ReadAppender:
    """Group commit of audited reads: the events of requests that finish while a statement
    is under way go together in the next one.

    A query's read events are its only write, and each costs a commit that waits for the
    write-ahead log to reach the disk; under load that wait, once per request, was most of
    what an audited page cost over a plain one. Here one statement and one commit serve
    every request waiting at the time; when only one waits it is written at once, so a
    quiet server adds no delay. Each request's events are in exactly one statement: they
    commit together or, if it fails, every request in it fails and withholds its answer.

    Args:
        engine: the API's engine; each statement borrows a pooled connection.
        direct: run on the driver's connection (`db.audit.append_committed`).
        max_rows: events per statement at most.
    """

    def __init__(self, engine: Any, direct: bool, max_rows: int = 1000) -> None:
        self._engine, self._direct, self._max_rows = engine, direct, max_rows
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, rows: list[dict[str, Any]]) -> None:
        """Return once ``rows`` are committed; raise what the statement raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            batch: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
            count = 0
            while self._waiting and (not batch or count + len(self._waiting[0][0])
                                     <= self._max_rows):
                rows, done = self._waiting.pop(0)
                batch.append((rows, done))
                count += len(rows)
            try:
                async with self._engine.connect() as connection:
                    await audit.append_committed(
                        connection, [row for rows, _ in batch for row in rows],
                        direct=self._direct)
            except BaseException as failure:  # noqa: BLE001 - each waiting request raises it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(failure)
                if isinstance(failure, asyncio.CancelledError):
                    raise
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


#: One appender per engine, per event loop (tests run several loops).
_APPENDERS: "weakref.WeakKeyDictionary[Any, dict[tuple[int, bool], ReadAppender]]" = (
    weakref.WeakKeyDictionary())


def appender(engine: Any, direct: bool) -> ReadAppender:
    """The read appender of ``engine`` in the running event loop."""
    per_loop = _APPENDERS.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get((id(engine), direct))
    if found is None or found._engine is not engine:
        found = per_loop[(id(engine), direct)] = ReadAppender(engine, direct)
    return found
