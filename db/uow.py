"""The unit of work: one session, one commit point; leaving without commit rolls back.

Workflows end with `UnitOfWork.complete`: their change is whole. Where it becomes
durable depends on who runs them. A command commits each completed change at once.
A request's unit is *deferred*: a completed change is only flushed, and the request
commits once, with `commit`, after its answer (the payload read back, the audited
reads) is built in the same transaction. So an answer says "done" exactly when the
commit succeeded, and a commit that fails turns the whole answer into an error.

A change is made under a declaration (`authz.writes.Write`, given by `declare`):
workflows ask `authorize` for the rights to the names they write, and `complete` notes
the audit event of the change; the events are appended at the commit point, in the
order of the changes, so no change commits without its event and no event outlives a
change rolled back (a savepoint drops the events noted inside it).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from authz.compiled import Grant
from authz.scope import Scope
from authz.writes import UndeclaredWrite, Write, check_write
from db import audit
from domain.principal import Principal

log = logging.getLogger("cadre.uow")
#: Seconds a rollback may take when the unit ends before its connection is discarded.
RELEASE_SECONDS = 3
#: Where a session keeps the declaration of the change under way (read by observers).
WRITE_KEY = "write"


@dataclass(frozen=True)
class _Event:
    actor: Principal
    write: Write
    record_ids: tuple[int, ...]
    fields: tuple[str, ...]
    at: datetime


class UnitOfWork:
    """Wraps one database session for one request or one command.

    Args:
        sessions: the session factory.
        deferred: a request's unit: `complete` flushes, and only `commit` commits.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *,
                 deferred: bool = False) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self.deferred = deferred
        #: Whether a completed change waits for the commit point.
        self.pending = False
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._despite_rollback: list[Callable[[], Awaitable[None]]] = []
        #: The declaration of the change under way; None outside a declared change.
        self.declaration: Write | None = None
        self._actor: Principal | None = None
        self._names: list[str] = []
        self._events: list[_Event] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessions()
        return self._session

    @property
    def in_transaction(self) -> bool:
        """Whether the session began a transaction (a statement ran, a change is held)."""
        return self._session is not None and self._session.in_transaction()

    @property
    def engine(self) -> AsyncEngine:
        """The engine the sessions are bound to."""
        engine: AsyncEngine = self._sessions.kw["bind"]
        return engine

    @property
    def dialect_name(self) -> str:
        """The database's dialect (``postgresql``, ``sqlite``), known without a session."""
        return str(self.engine.dialect.name)

    @contextlib.asynccontextmanager
    async def statement_connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement that needs no transaction of its own (a read):
        the session's, when it began one (the statement joins it), else one from the pool,
        returned as soon as the statement is done, so that a request holds a pooled
        connection no longer than its statement runs."""
        if self._session is not None and self._session.in_transaction():
            yield await self._session.connection()
            return
        async with self.engine.connect() as connection:
            yield connection

    async def __aenter__(self) -> "UnitOfWork":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            # Bounded: a request cancelled in the middle of a statement (its deadline) can
            # leave a driver connection that never answers again (asyncpg, issue 1156).
            async with asyncio.timeout(RELEASE_SECONDS):
                await session.rollback()
                await session.close()
        except Exception:  # noqa: BLE001 - the server discards a transaction it lost
            # Raising here would replace the request's own outcome (often an answer
            # already sent) with a fault about a connection nobody can use any more.
            log.warning("rollback failed; connection discarded", exc_info=True)
            await session.invalidate()

    def declare(self, write: Write) -> None:
        """Make the next changes under ``write``: what they may write, how they are audited."""
        self.declaration = write
        self._actor, self._names = None, []
        self.session.info[WRITE_KEY] = write

    def authorize(self, scope: Scope, grants: frozenset[Grant], names: Iterable[str],
                  *, audited: bool = True) -> None:
        """Refuse unless the declared change may write ``names`` under ``grants``.

        The names ``audited`` are listed on the change's audit event.

        Raises:
            Forbidden: the caller may not write one of them.
            UndeclaredWrite: no declaration, or one that does not name them.
        """
        if self.declaration is None:
            raise UndeclaredWrite("a change was authorized without a declaration")
        names = list(names)
        check_write(scope, grants, self.declaration, names)
        self._actor = scope.principal
        if audited:
            self._names.extend(n for n in names if n not in self._names)

    def note(self, record_ids: Sequence[int], *, at: datetime,
             listed: Sequence[str] | None = None) -> None:
        """Note the audit event of the change authorized so far, to append at the commit.

        ``listed`` replaces the declared names of the fields written on the trail, where
        it lists values instead (a policy rule's line, a role holding).

        Raises:
            UndeclaredWrite: no declaration, or nothing authorized under it.
        """
        write = self.declaration
        if write is None or self._actor is None:
            raise UndeclaredWrite("a change was completed that was never authorized")
        fields = tuple(listed) if listed is not None else tuple(write.trail_names(self._names))
        self._events.append(_Event(self._actor, write, tuple(int(i) for i in record_ids),
                                   fields, at))
        self._actor, self._names = None, []

    async def complete(self, record_ids: Sequence[int] | None = None, *,
                       at: datetime | None = None,
                       listed: Sequence[str] | None = None) -> None:
        """End a workflow's change: commit it now, or, deferred, flush it for `commit`.

        With ``at``, first notes the change's audit event on ``record_ids`` (see `note`).

        Raises:
            UndeclaredWrite: a change authorized under a declaration ends without its event.
        """
        if at is not None:
            self.note(record_ids or (), at=at, listed=listed)
        elif self._actor is not None:
            raise UndeclaredWrite(f"{self.declaration.operation if self.declaration else '?'} "
                                  "completed a change without its audit event")
        if self._session is None:
            return
        if self.deferred:
            await self._session.flush()
            self.pending = True
        else:
            await self.commit()

    async def commit(self) -> None:
        """Commit what the session holds, then run the `after_commit` callbacks.

        A callback that fails is logged, not raised: the change is committed, and
        the answer must say so.
        """
        await self.append_events()
        if self._session is not None:
            await self._session.commit()
        self.pending = False
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                await callback()
            except Exception:  # noqa: BLE001 - see above
                log.error("after-commit step failed", exc_info=True)

    async def append_events(self) -> None:
        """Append the audit events of the changes made so far (the commit point calls it)."""
        events, self._events = self._events, []
        for event in events:
            await audit.record(self.session, actor=event.actor, operation=event.write.operation,
                               record_type=event.write.record_type, record_ids=event.record_ids,
                               fields=event.fields, at=event.at)

    async def rollback(self) -> None:
        """Roll back the change; then write and commit what `despite_rollback` asked for."""
        if self._session is not None:
            await self._session.rollback()
        self.pending = False
        self._events.clear()
        self._after_commit.clear()
        steps, self._despite_rollback = self._despite_rollback, []
        if steps:
            for step in steps:
                await step()
            await self.session.commit()

    def despite_rollback(self, step: Callable[[], Awaitable[None]]) -> None:
        """Write ``step`` even though the change is refused: it runs after the rollback, in a
        transaction of its own (a refusal that auditors must see)."""
        self._despite_rollback.append(step)

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` after the next commit; dropped by a rollback.

        For what needs the change visible to other connections, e.g. reloading the policy.
        """
        self._after_commit.append(callback)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: an exception inside rolls back only what it wrote."""
        session = self.session
        if session.get_bind().dialect.name == "sqlite":
            connection = await (await session.connection()).get_raw_connection()
            if not connection.driver_connection.in_transaction:  # type: ignore[union-attr]
                # The sqlite3 module opens a transaction only before a write, so a first
                # SAVEPOINT would itself be the outermost transaction and its RELEASE a
                # commit. BEGIN IMMEDIATE opens the real one first, with the write lock
                # SQLite gives one writer at a time anyway.
                await session.execute(text("BEGIN IMMEDIATE"))
        noted = len(self._events)
        try:
            async with session.begin_nested():
                yield
        except BaseException:
            del self._events[noted:]
            raise
