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

from collections.abc import Callable, Mapping, Sequence
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
    sync = connection.sync_connection
    assert sync is not None
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    arguments = statement.arguments(params)
    listening = sync._has_events or sync.engine._has_events
    context = SimpleNamespace()  # what listeners may keep between before and after
    if listening:
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, statement.sql, arguments, context, False)
    row = await driver.fetchrow(statement.sql, *arguments)
    if listening:
        for listener in sync.dispatch.after_cursor_execute:
            listener(sync, None, statement.sql, arguments, context, False)
    return row  # type: ignore[no-any-return]


async def execute_committed(connection: AsyncConnection, statement: DriverStatement,
                            params: Mapping[str, Any]) -> None:
    """Run one writing ``statement`` outside any transaction: PostgreSQL commits it by
    itself, durably, before answering. The engine's listeners see the statement and, as
    for any transaction, its commit."""
    sync = connection.sync_connection
    assert sync is not None
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    arguments = statement.arguments(params)
    listening = sync._has_events or sync.engine._has_events
    context = SimpleNamespace()
    if listening:
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, statement.sql, arguments, context, False)
    await driver.execute(statement.sql, *arguments)
    if listening:
        for listener in sync.dispatch.after_cursor_execute:
            listener(sync, None, statement.sql, arguments, context, False)
        for commit_listener in sync.dispatch.commit:
            commit_listener(sync)
