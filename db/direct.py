"""One prepared SELECT run on the driver's own connection (PostgreSQL through asyncpg).

The compiled read path (`api.compiler`) answers a query with one statement that it
builds once and runs many times. Run through SQLAlchemy, every run still paid for the
statement's cache key, the execution context and the result's processing, and the
asyncpg adapter wrapped the statement in ``BEGIN`` … ``ROLLBACK``: three round trips for
one read (profiled on the roster page: a fifth of the server's time per request). A
single ``SELECT`` needs no transaction of its own: it reads one snapshot whatever
surrounds it. So the statement is compiled once to its SQL text and argument order
(`DriverStatement`), and `fetch_row` sends it on the pooled connection's asyncpg
connection, which keeps it prepared. When the request already opened a transaction on
that connection, the statement simply runs inside it.

What SQLAlchemy would otherwise do around a statement is kept: the engine's
``before_cursor_execute``/``after_cursor_execute`` listeners see it (statement counts,
tracing), and a connection the server dropped is replaced when it is next checked out
(`db.engine.Liveness`). Errors are the driver's own; `api.faults` recognises outages
by SQLSTATE and class, through any wrapping.

Behind pgbouncer in transaction pooling a statement must not run outside a transaction
(its parse and execution could reach two server connections): callers use SQLAlchemy's
path there.
"""

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import Context
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class DriverStatement:
    """A statement as the driver takes it: SQL text and where each argument comes from."""

    sql: str
    #: The bound parameters' names, in the order of ``$1``, ``$2``, …
    names: tuple[str, ...]
    #: Values the statement carries itself (literal lists expanded at compile time).
    constants: Mapping[str, Any]
    #: SQLAlchemy's conversion of a parameter's value for the driver, where it has one.
    processors: Mapping[str, Callable[[Any], Any]]

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional arguments for one run, from the run's named ``params``."""
        values = []
        for name in self.names:
            value = params[name] if name in params else self.constants[name]
            processor = self.processors.get(name)
            values.append(processor(value) if processor is not None and value is not None
                          else value)
        return tuple(values)


def inline(statement: DriverStatement, values: Mapping[str, Any]) -> DriverStatement:
    """``statement`` with the parameters named in ``values``, and its own integer
    constants, written into its text.

    Only integers and lists of integers are written (they cannot carry SQL); the other
    parameters keep their order, renumbered. PostgreSQL plans a prepared statement anew
    for each run until a generic plan, made without the parameters' values, looks as
    cheap; for the roster none does (a unit's share of cadres decides the plan), so it
    re-planned every request, a third of the statement's time (0.3 of 0.95 ms,
    measured). With the unit ids and the page size in its text, each such statement gets
    a generic plan as good as a custom one, and PostgreSQL stops planning it.
    """
    literals: dict[int, str] = {}
    kept: list[str] = []
    # The statement's own integer constants (a row filter's unit list) go in too.
    values = {**{name: value for name, value in statement.constants.items()
                 if isinstance(value, int) and not isinstance(value, bool)}, **values}
    for position, name in enumerate(statement.names, 1):
        if name not in values:
            kept.append(name)
            continue
        value = values[name]
        if isinstance(value, int) and not isinstance(value, bool):
            literals[position] = str(int(value))
        elif isinstance(value, list | tuple) and all(
                isinstance(item, int) and not isinstance(item, bool) for item in value):
            literals[position] = "ARRAY[" + ",".join(str(int(item)) for item in value) + \
                "]::INTEGER[]"
        else:
            raise TypeError(f"only integers are written into a statement, not {name}")
    renumbered = {position: str(index) for index, position in enumerate(
        (p for p in range(1, len(statement.names) + 1) if p not in literals), 1)}

    def replace(match: re.Match[str]) -> str:
        position = int(match.group(1))
        if position in literals:
            return f"({literals[position]})"
        return "$" + renumbered[position]

    sql = _PLACEHOLDER.sub(replace, statement.sql)
    return DriverStatement(sql, tuple(kept), statement.constants,
                           {name: processor for name, processor
                            in statement.processors.items() if name in kept})


#: A positional parameter of PostgreSQL's statement text (the compiled SQL carries no
#: string literal holding a dollar sign: its literals are keys, formats and type names).
_PLACEHOLDER = re.compile(r"\$(\d+)(?!\d)")


def driver_statement(statement: Any, dialect: Dialect) -> DriverStatement:
    """Compile ``statement`` once for the driver.

    Literal lists (``column.in_([…])``, whose values the statement holds) are expanded
    into parameters of their own; parameters given at each run must not be expanding.
    """
    compiled = statement.compile(dialect=dialect)
    unbound = {bind.key for bind in compiled.binds.values() if bind.required}
    # Placeholders for the run's own parameters let the compiler expand the literal
    # lists now, each value into a parameter of its own.
    expanded = compiled.construct_expanded_state({name: None for name in unbound})
    names = tuple(expanded.positiontup or ())
    constants = {name: value for name, value in expanded.parameters.items()
                 if name not in unbound}
    processors = {**compiled._bind_processors, **(expanded.processors or {})}
    processors = {name: processors[name] for name in names if name in processors}
    return DriverStatement(expanded.statement, names, constants, processors)


async def fetch_row(connection: AsyncConnection, statement: DriverStatement,
                    params: Mapping[str, Any]) -> Sequence[Any] | None:
    """The first row ``statement`` answers on ``connection``'s asyncpg connection."""
    row = await _on_driver(connection, statement, [(params, None)],
                           lambda driver, runs: driver.fetchrow(statement.sql, *runs[0]))
    return row  # type: ignore[no-any-return]


async def fetch_rows(connection: AsyncConnection, statement: DriverStatement,
                     runs: Sequence[tuple[Mapping[str, Any], Context]]) -> list[Any]:
    """The first row of each run of ``statement``, sent together on ``connection``'s
    asyncpg connection: one round trip and, outside a transaction, one implicit
    transaction whose single commit covers every run (all or none).

    Each run is ``(params, context)``: the engine's cursor listeners see the statement
    once per run, inside that run's context (the requester's, for its statement count).
    """
    rows = await _on_driver(connection, statement, runs,
                            lambda driver, arguments: driver.fetchmany(statement.sql, arguments))
    return list(rows)


async def execute_committed(connection: AsyncConnection, statement: DriverStatement,
                            params: Mapping[str, Any]) -> None:
    """Run one writing ``statement`` outside any transaction: PostgreSQL commits it by
    itself, durably, before answering. The engine's listeners see the statement and, as
    for any transaction, its commit."""
    await _on_driver(connection, statement, [(params, None)],
                     lambda driver, runs: driver.execute(statement.sql, *runs[0]))
    sync = connection.sync_connection
    assert sync is not None
    if sync._has_events or sync.engine._has_events:
        for commit_listener in sync.dispatch.commit:
            commit_listener(sync)


async def _on_driver(connection: AsyncConnection, statement: DriverStatement,
                     runs: Sequence[tuple[Mapping[str, Any], Context | None]],
                     send: Callable[[Any, list[tuple[Any, ...]]], Awaitable[Any]]) -> Any:
    """``send(driver, arguments)`` on ``connection``'s asyncpg connection, with the
    statement's arguments for each run's params; the engine's cursor listeners see
    ``statement`` before and after, once per run (in the run's context when it has one),
    as they see any other (statement counts, tracing)."""
    sync = connection.sync_connection
    assert sync is not None
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    arguments = [statement.arguments(params) for params, _ in runs]
    listening = sync._has_events or sync.engine._has_events
    kept = [SimpleNamespace() for _ in runs]  # what listeners may keep between the two
    if listening:
        _tell(sync, sync.dispatch.before_cursor_execute, statement.sql, runs, arguments, kept)
    result = await send(driver, arguments)
    if listening:
        _tell(sync, sync.dispatch.after_cursor_execute, statement.sql, runs, arguments, kept)
    return result


def _tell(sync: Any, listeners: Any, sql: str,
          runs: Sequence[tuple[Mapping[str, Any], Context | None]],
          arguments: list[tuple[Any, ...]], kept: list[SimpleNamespace]) -> None:
    for (_, context), values, namespace in zip(runs, arguments, kept, strict=True):
        for listener in listeners:
            if context is None:
                listener(sync, None, sql, values, namespace, False)
            else:
                context.run(listener, sync, None, sql, values, namespace, False)
