"""Engine construction for the embedded SQLite default and for PostgreSQL.

A pooled connection is checked before it is handed out, so a database that restarted
while the pool was idle costs one reconnect, not a failed request. On PostgreSQL the
check costs no round trip while the connection is in use (`Liveness`): a server that
shut down or restarted closed its sockets, which a look at the socket sees; only a
connection idle for longer than ``ping_after_idle_seconds`` is pinged (a transaction
and an empty statement, three round trips on asyncpg), for the failures that close no
socket. A connection that breaks anyway is reported as an outage (`api.faults`: 503 with
``Retry-After``) and the pool replaced. SQLite is pinged every time (no network). The
API's engine also carries `ConnectionLimits`: no statement, lock wait or idle
transaction of a request can hold a connection for long, and a request waiting for
a pooled connection gives up after ``pool_timeout_seconds``. Commands (migrations,
seeding) run without limits, since a long migration must not be cut off half way.

Behind pgbouncer in transaction pooling (``pgbouncer=True``) two consecutive
transactions of one client connection may run on two different server connections,
and a server connection serves many clients in turn. asyncpg's statement cache and
SQLAlchemy's would then reuse a prepared statement on a server that never saw it, and
asyncpg's numbered statement names would collide with another client's; so both caches
are off and every statement gets a unique name (SQLAlchemy's asyncpg notes, "Prepared
Statement Name with PGBouncer"). SQLAlchemy opens a transaction around every statement,
pings included, so a statement is prepared and run on one server connection. pgbouncer
also refuses ``statement_timeout`` and the like as startup parameters, so the limits are
not sent: they are set on the database role instead (README, "Many servers").
"""

import select
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import bindparam, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

#: SQLite's busy timeout without limits (the sqlite3 module's own default).
SQLITE_BUSY_SECONDS = 5.0
#: A PostgreSQL connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0
_RETURNED = "cadre.returned_at"


@dataclass(frozen=True)
class ConnectionLimits:
    """Time limits on one engine's connections; 0 leaves a PostgreSQL limit off.

    Attributes:
        statement_timeout_ms: longest statement (PostgreSQL ``statement_timeout``).
        lock_timeout_ms: longest wait for a lock (``lock_timeout``; SQLite's busy
            timeout when set).
        idle_in_transaction_timeout_ms: longest idle time inside an open transaction
            (``idle_in_transaction_session_timeout``).
        pool_timeout_seconds: longest wait for a pooled connection.
    """

    statement_timeout_ms: int = 0
    lock_timeout_ms: int = 0
    idle_in_transaction_timeout_ms: int = 0
    pool_timeout_seconds: float = 30.0

    def server_settings(self) -> dict[str, str]:
        """The PostgreSQL session settings, as asyncpg sends them at connection start."""
        return {"statement_timeout": str(self.statement_timeout_ms),
                "lock_timeout": str(self.lock_timeout_ms),
                "idle_in_transaction_session_timeout": str(self.idle_in_transaction_timeout_ms)}

    def sqlite_busy_seconds(self) -> float:
        return self.lock_timeout_ms / 1000 if self.lock_timeout_ms else SQLITE_BUSY_SECONDS


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def pgbouncer_connect_args() -> dict[str, Any]:
    """asyncpg options for a pgbouncer in transaction pooling: nothing prepared is kept."""
    return {"statement_cache_size": 0, "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name}


def _unique_statement_name() -> str:
    # asyncpg numbers statements per client connection (__asyncpg_stmt_1__, …); through
    # pgbouncer two clients' "1" can meet on one server connection.
    return f"__asyncpg_{uuid4().hex}__"


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10,
                  limits: ConnectionLimits | None = None,
                  pgbouncer: bool = False,
                  ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> AsyncEngine:
    """An async engine for ``url``; for SQLite the file's folder is created.

    Args:
        url: the database URL.
        pool_size: pooled PostgreSQL connections.
        max_overflow: connections opened beyond ``pool_size`` under load, closed when
            returned.
        limits: time limits for the API's connections; None (commands, tests' own
            set-up) leaves statements and transactions unbounded.
        pgbouncer: ``url`` names a pgbouncer in transaction pooling (see above); the
            limits' session settings are then left to the database role.
        ping_after_idle_seconds: PostgreSQL connections unused for longer are pinged
            before use (`Liveness`); 0 pings every checkout.
    """
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        busy = limits.sqlite_busy_seconds() if limits else SQLITE_BUSY_SECONDS
        engine = create_async_engine(url, pool_pre_ping=True, connect_args={"timeout": busy})
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    connect_args = pgbouncer_connect_args() if pgbouncer else {}
    options: dict[str, Any] = {}
    if limits is not None:
        # Connecting is bounded like waiting for the pool: an unreachable host answers
        # UNAVAILABLE in seconds, not after asyncpg's default minute.
        options["pool_timeout"] = limits.pool_timeout_seconds
        connect_args["timeout"] = limits.pool_timeout_seconds
        if not pgbouncer:
            connect_args["server_settings"] = limits.server_settings()
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                 connect_args=connect_args, **options)
    Liveness(engine, ping_after_idle_seconds)
    return engine


async def missing_session_limits(engine: AsyncEngine, limits: ConnectionLimits) -> list[str]:
    """The limits a new session of ``engine`` does not carry, one sentence each.

    Through pgbouncer they come from the database role, not from the API: this says
    whether the role sets them.
    """
    wanted = {name: value for name, value in limits.server_settings().items() if value != "0"}
    if not wanted:
        return []
    query = text("SELECT name, setting FROM pg_settings WHERE name IN :names").bindparams(
        bindparam("names", expanding=True))
    async with engine.connect() as connection:
        actual = {row.name: row.setting
                  for row in await connection.execute(query, {"names": list(wanted)})}
    return [f"{name} is {actual.get(name)} ms, not {value}"
            for name, value in wanted.items() if actual.get(name) != value]


class Liveness:
    """Checks a pooled PostgreSQL connection as it is checked out: refused (the pool
    connects anew) when the driver saw it closed, pinged when it was idle for longer than
    ``idle_seconds``."""

    def __init__(self, engine: AsyncEngine, idle_seconds: float) -> None:
        self._dialect = engine.sync_engine.dialect
        self._idle_seconds = idle_seconds
        event.listen(engine.sync_engine, "checkout", self.check_out)
        event.listen(engine.sync_engine, "checkin", self.check_in)

    def check_out(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None:
            return  # connected just now
        driver = getattr(dbapi_connection, "_connection", None)
        if driver is not None and _hung_up(driver):
            raise DisconnectionError("the server closed this connection")
        if time.monotonic() - returned > self._idle_seconds:
            try:
                self._dialect.do_ping(dbapi_connection)
            except Exception as error:  # any failed ping: the pool connects anew
                raise DisconnectionError(f"ping failed: {error!r}") from error

    @staticmethod
    def check_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()


def _hung_up(driver: Any) -> bool:
    """Whether the server closed an idle asyncpg connection, asked of the socket itself
    (the event loop may not have run since): an idle connection has nothing to read
    unless the server said goodbye (a termination notice, then end of file)."""
    if driver.is_closed():
        return True
    transport = getattr(driver, "_transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return False
    readable, _, _ = select.select([sock.fileno()], [], [], 0)
    return bool(readable)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
