"""Which failures mean "a dependency is unavailable" rather than "this code is wrong".

A request that meets one of them answers ``UNAVAILABLE`` (HTTP 503 with
``Retry-After``): the client may retry the same request unchanged and expect it to
work once the database or Redis is back. Everything else unexpected is a fault of
ours and answers ``INTERNAL``.

Errors are recognised through their whole chain (SQLAlchemy wraps the driver's
error in ``orig``, asyncio and the drivers chain with ``__cause__``), by class for
connection failures and by SQLSTATE for what PostgreSQL itself refuses.
"""

import asyncio

import sqlalchemy.exc
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

#: SQLSTATEs (or their two-character classes) of a server that cannot serve right now:
#: connection exceptions, operator intervention (shutdown, restart, a statement timeout,
#: 57014), insufficient resources (too many connections), a lock not obtained within
#: ``lock_timeout`` and a transaction closed by ``idle_in_transaction_session_timeout``.
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "57", "53")
UNAVAILABLE_SQLSTATES = frozenset({"55P03", "25P03"})

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError is one too
    asyncio.TimeoutError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection within pool_timeout
    # The DB-API's own classes for failures outside the statement: a lost connection,
    # SQLite's busy timeout ("database is locked").
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` (or one it wraps) means a dependency cannot serve right now."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _names_an_outage(error):
            return True
        wrapped = getattr(error, "orig", None)
        error = wrapped if isinstance(wrapped, BaseException) else (
            error.__cause__ or error.__context__)
    return False


def _names_an_outage(error: BaseException) -> bool:
    if isinstance(error, _CONNECTION_ERRORS):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(sqlstate, str) and (sqlstate in UNAVAILABLE_SQLSTATES
                                      or sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES):
        return True
    # asyncpg refuses to use a connection the server closed with a bare InterfaceError.
    return type(error).__name__ == "InterfaceError" and "connection" in str(error).lower() \
        and "closed" in str(error).lower()
