"""The API's background sealer: every few seconds, seal what requests appended (db.audit).

Every API process runs one; the advisory lock lets one of them work at a time and the
others skip their turn, so requests never wait for sealing and sealing never waits for
requests. A round is bounded in batches and in time; a failed round (the database away,
a lock held by an outside transaction past ``lock_timeout``) is logged and retried at the
next. On shutdown the loop is cancelled: a round cut short rolls back whole.
"""

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from api.audit_keys import note_witness
from api.faults import is_unavailable
from db.audit import seal_pending
from db.audit_keys import SigningKey

log = logging.getLogger(__name__)
#: Batches one round seals at most: a backlog is worked off over several rounds.
ROUND_BATCHES = 10


class BackgroundSealer:
    def __init__(self, sessions: Any, key: SigningKey, interval: float, batch: int,
                 witness: Path | None) -> None:
        self.sessions, self.key, self.interval = sessions, key, interval
        self.batch, self.witness = batch, witness
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-sealer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def round(self) -> int:
        """One round; the events sealed."""
        async with asyncio.timeout(max(30.0, self.interval * 10)):
            written = await seal_pending(self.sessions, self.key, self.batch, ROUND_BATCHES)
        if written:
            await asyncio.to_thread(note_witness, self.witness, written[-1])
        return sum(checkpoint.events for checkpoint in written)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.round()
            except Exception as error:  # noqa: BLE001 - sealing goes on at the next round
                if is_unavailable(error):  # the database away, a lock held past its timeout
                    log.warning("audit sealing round failed (%s); retried in %s s",
                                type(getattr(error, "orig", error)).__name__, self.interval)
                else:  # a fault of ours: with its traceback
                    log.exception("audit sealing round failed; retried in %s s",
                                  self.interval)


def background_sealer(settings: Any, sessions: Any) -> BackgroundSealer | None:
    """The started sealer the settings ask for; None when off or without a key."""
    from api.audit_keys import signing_key, witness_file

    if not settings.audit_seal_interval_seconds:
        return None
    key = signing_key(settings)
    if key is None:
        log.error("no audit signing key (CADRE_AUDIT_SIGNING_KEY or "
                  "CADRE_AUDIT_SIGNING_KEY_FILE): audit events are not sealed")
        return None
    sealer = BackgroundSealer(sessions, key, settings.audit_seal_interval_seconds,
                              settings.audit_seal_batch, witness_file(settings))
    sealer.start()
    return sealer
