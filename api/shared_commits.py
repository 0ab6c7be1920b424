"""Group commit of recorded reads: concurrent runs of one recording statement, sent together.

A compiled read that records itself (`api.recorded_reads`) is a statement that writes its
``read`` event and commits on its own. Each commit waits for the write-ahead log to
reach the disk and pays for its own transaction, round trip and wake-up; on the roster
page that was most of what an audited answer cost over a plain one (0.68× the plain
page's throughput, measured). Here the runs of one statement text that are waiting
while a batch of it is under way go together in the next batch: the driver sends them
as one pipeline (`db.direct.fetch_rows`), which PostgreSQL runs in one implicit
transaction with one commit. Each run is still its own statement, reading and recording
as it would alone; a quiet server sends a run at once, alone. Up to `SENDERS` batches
of one text are under way at once.

All or none: a batch that fails wrote nothing. A failure that is an outage fails every
run in it; any other is sent again one run at a time, so that a run fails only for its
own fault. A run whose requester gave up (cancelled) before its batch left is skipped;
once sent, its read stays recorded, whether or not its answer leaves.
"""

import asyncio
import contextvars
import weakref
from dataclasses import dataclass, field
from typing import Any

from api.faults import is_unavailable
from db.direct import DriverStatement, fetch_rows

#: Runs sent in one batch at most.
MAX_RUNS = 32
#: Batches of one statement text under way at once, per process: while some wait for
#: their commit to reach the disk, others are sent. Measured on the roster page with
#: ``idNumber`` (2 workers, 16 connections, 8-second runs alternated with the plain
#: page), audited / plain throughput: one at a time 0.87–0.96×; two 0.91–0.95×; four
#: 0.94–0.99×; eight 0.94–0.95×. About a tenth of the CPU stays idle in every case: the
#: requests all waiting for a flush at times.
SENDERS = 4


@dataclass
class _Run:
    params: dict[str, Any]
    context: contextvars.Context
    done: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class SharedCommits:
    """The batches of recording statements sent on ``engine``'s pooled connections.

    Args:
        engine: the API's engine (PostgreSQL, the driver's own connections).
        timeout: seconds a batch may take at most: no requester waits longer (its own
            deadline), and a server that stopped answering must not hold the runs queued
            behind the batch.
        max_runs: runs per batch at most.
        senders: batches of one statement text under way at once.
    """

    def __init__(self, engine: Any, timeout: float, max_runs: int = MAX_RUNS,
                 senders: int = SENDERS) -> None:
        self._engine, self._timeout, self._max_runs = engine, timeout, max_runs
        self._most_senders = senders
        self._waiting: dict[str, list[_Run]] = {}
        self._senders: dict[str, set[asyncio.Task[None]]] = {}

    async def fetch(self, statement: DriverStatement, params: dict[str, Any]) -> Any:
        """The row of one run of ``statement`` with ``params``, once its batch committed;
        raises what its batch (or, sent again alone, the run itself) raised."""
        run = _Run(params, contextvars.copy_context())
        self._waiting.setdefault(statement.sql, []).append(run)
        senders = self._senders.setdefault(statement.sql, set())
        if len(senders) < self._most_senders:
            # In a context of its own: the batch belongs to no single requester.
            sender = asyncio.create_task(self._send(statement), context=contextvars.Context())
            senders.add(sender)
        return await run.done

    async def _send(self, statement: DriverStatement) -> None:
        waiting = self._waiting[statement.sql]
        senders = self._senders[statement.sql]
        try:
            while waiting:
                batch = [run for run in waiting[:self._max_runs] if not run.done.done()]
                del waiting[:self._max_runs]
                if batch:
                    await self._send_batch(statement, batch)
        finally:
            senders.discard(asyncio.current_task())  # type: ignore[arg-type]
            if not senders:
                self._senders.pop(statement.sql, None)
                if not waiting:
                    self._waiting.pop(statement.sql, None)

    async def _send_batch(self, statement: DriverStatement, batch: list[_Run]) -> None:
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as connection:
                rows = await fetch_rows(connection, statement,
                                        [(run.params, run.context) for run in batch])
        except Exception as failure:  # noqa: BLE001 - each run raises its own outcome
            if len(batch) > 1 and not is_unavailable(failure):
                for run in batch:  # nothing was written: each alone, for its own fault
                    await self._send_batch(statement, [run])
                return
            _fail(batch, failure)
        except BaseException:  # cancelled (shutdown): every waiting run with it
            for run in batch:
                run.done.cancel()
            raise
        else:
            for run, row in zip(batch, rows, strict=True):
                if not run.done.done():
                    run.done.set_result(row)


def _fail(batch: list[_Run], failure: BaseException) -> None:
    for run in batch:
        if not run.done.done():
            run.done.set_exception(failure)


#: One instance per engine, per event loop (tests run several loops).
_SHARED: "weakref.WeakKeyDictionary[Any, dict[int, SharedCommits]]" = (
    weakref.WeakKeyDictionary())


def shared_commits(engine: Any, timeout: float) -> SharedCommits:
    """The shared commits of ``engine`` in the running event loop (see `SharedCommits`)."""
    per_loop = _SHARED.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(id(engine))
    if found is None or found._engine is not engine:
        found = per_loop[id(engine)] = SharedCommits(engine, timeout)
    return found
