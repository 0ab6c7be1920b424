"""Writes across a PostgreSQL restart: is every answer the truth about what committed?

Run by hand:  .venv/bin/python bench/restart_writes.py [--seconds 60] [--clients 16]

It creates a PostgreSQL cluster of its own on ``--pg-port`` (never the machine's
server), migrates and seeds it with the ``cadre`` command, starts the API as a
uvicorn process on ``--port``, and lets ``--clients`` clients, each on one keep-alive
connection, create cadres as ``demo-org`` for ``--seconds``. Every write carries a
unique identity number and a marker in its position. Half way, PostgreSQL is
stopped (fast shutdown, or ``--mode immediate``: killed as in a crash), left down
``--down`` seconds and started again.

Then it checks, against the database:
- every acknowledged write is present;
- no present write was answered with an error;
- every error answer is JSON with an ``extensions.code``, and UNAVAILABLE answers
  are HTTP 503 with ``Retry-After``;
- the server recovers by itself: the first successful write after PostgreSQL
  accepts connections again comes within ``--recovery`` seconds.

A write whose answer never arrived (connection closed without an answer) is the one
ambiguity a client cannot resolve; they are counted, and whether each one committed.
Clients retry 50 ms after an error rather than after Retry-After, so that the
measured recovery is the server's, not the clients' patience.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster  # noqa: E402 - after the path is set
from domain.cadres import id_number_check_digit  # noqa: E402

CREATE = """mutation Create($input: CreateCadreInput!) {
  createCadre(input: $input) { cadre { id } } }"""
RETRY_PAUSE = 0.05
ANSWER_TIMEOUT = 20.0


@dataclass
class Attempt:
    """One write and what the client learnt of it."""

    marker: str
    id_number: str
    sent: float
    answered: float = 0.0
    status: int | None = None  # None: no answer arrived
    code: str | None = None  # the first error's extensions.code; None: acknowledged
    json_body: bool = True
    retry_after: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status == 200 and self.code is None


@dataclass
class Report:
    """The run's figures and the failed checks (none: the run passed)."""

    attempts: list[Attempt]
    present: set[str]
    accepting_at: float
    stopped_at: float
    failures: list[str] = field(default_factory=list)
    #: What the server logged: tracebacks are faults of ours, not outages.
    server_log: str = ""

    @property
    def server_tracebacks(self) -> int:
        return self.server_log.count("Traceback")

    @property
    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.acknowledged]

    @property
    def unanswered(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is None]

    @property
    def recovery_seconds(self) -> float | None:
        after = [a.answered for a in self.acknowledged if a.answered >= self.accepting_at]
        return min(after) - self.accepting_at if after else None

    def errors_by_code(self) -> Counter[str]:
        return Counter(f"{a.status} {a.code}" for a in self.attempts
                       if a.status is not None and not a.acknowledged)

    def summary(self) -> dict[str, object]:
        recovery = self.recovery_seconds
        return {
            "attempted": len(self.attempts),
            "acknowledged": len(self.acknowledged),
            "present": len(self.present),
            "errors": dict(self.errors_by_code()),
            "unanswered": len(self.unanswered),
            "unanswered_but_committed": sum(a.id_number in self.present
                                            for a in self.unanswered),
            "outage_seconds": round(self.accepting_at - self.stopped_at, 3),
            "recovery_seconds": None if recovery is None else round(recovery, 3),
            "server_tracebacks": self.server_tracebacks,
            "failures": self.failures,
        }


def id_number(serial: int) -> tuple[str, str]:
    """A valid, unique identity number for write ``serial``, and its birth date."""
    birth = date(1960, 1, 1) + timedelta(days=serial // 1000)
    first17 = f"990000{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_number_check_digit(first17), birth.isoformat()


def cadre(command: str, *args: str, env: dict[str, str]) -> str:
    executable = Path(sys.executable).parent / "cadre"
    return subprocess.run([str(executable), command, *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def start_api(port: int, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port),
         "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the API did not start on port {port}")


async def client(url: str, token: str, number: int, run: str, serials: "Serials",
                 until: float, attempts: list[Attempt]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=ANSWER_TIMEOUT, headers=headers) as http:
        while time.monotonic() < until:
            serial = serials.next()
            number_, birth = id_number(serial)
            attempt = Attempt(marker=f"restart-{run}-{number}-{serial}", id_number=number_,
                              sent=time.monotonic())
            attempts.append(attempt)
            variables = {"input": {
                "name": "重启测试", "gender": "MALE", "birthDate": birth, "idNumber": number_,
                "unitId": "2", "position": attempt.marker, "rank": "SECTION_CHIEF",
                "leadershipRole": "MEMBER"}}
            try:
                response = await http.post(url, json={"query": CREATE, "variables": variables})
            except httpx.TransportError:
                attempt.answered = time.monotonic()
                await asyncio.sleep(RETRY_PAUSE)
                continue
            attempt.answered = time.monotonic()
            attempt.status = response.status_code
            attempt.retry_after = response.headers.get("retry-after")
            try:
                body = response.json()
                errors = body.get("errors") or []
                ok = (response.status_code == 200 and not errors
                      and body["data"]["createCadre"]["cadre"]["id"])
                attempt.code = None if ok else (errors[0]["extensions"]["code"] if errors
                                                else "NO_CODE")
            except (ValueError, KeyError, TypeError, IndexError):
                attempt.json_body, attempt.code = False, "NOT_JSON"
            if attempt.code is not None:
                await asyncio.sleep(RETRY_PAUSE)


class Serials:
    def __init__(self) -> None:
        self._next = 0

    def next(self) -> int:
        self._next += 1
        return self._next


async def present_id_numbers(cluster: Cluster, run: str) -> set[str]:
    import asyncpg

    connection = await asyncpg.connect(cluster.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await connection.fetch("SELECT id_number FROM cadres WHERE position LIKE $1",
                                      f"restart-{run}-%")
    finally:
        await connection.close()
    return {row["id_number"] for row in rows}


async def drive(cluster: Cluster, port: int, token: str, *, seconds: float, clients: int,
                down: float, mode: str) -> Report:
    run = str(int(time.time()))
    attempts: list[Attempt] = []
    serials = Serials()
    started = time.monotonic()
    until = started + seconds
    url = f"http://127.0.0.1:{port}/graphql"
    tasks = [asyncio.create_task(client(url, token, n, run, serials, until, attempts))
             for n in range(clients)]
    await asyncio.sleep(seconds / 2)
    stopped_at = time.monotonic()
    await asyncio.to_thread(cluster.stop, mode)
    await asyncio.sleep(down)
    await asyncio.to_thread(cluster.start, False)
    accepting_at = await asyncio.to_thread(cluster.wait_accepting)
    await asyncio.gather(*tasks)
    present = await present_id_numbers(cluster, run)
    return Report(attempts, present, accepting_at, stopped_at)


def check(report: Report, recovery_limit: float) -> Report:
    """Fill ``report.failures`` with every check the run failed."""
    failures = report.failures
    missing = [a.marker for a in report.acknowledged if a.id_number not in report.present]
    if missing:
        failures.append(f"{len(missing)} acknowledged writes are missing: {missing[:5]}")
    lied = [a.marker for a in report.attempts
            if a.status is not None and not a.acknowledged and a.id_number in report.present]
    if lied:
        failures.append(f"{len(lied)} committed writes were answered with an error: {lied[:5]}")
    not_json = [a.marker for a in report.attempts if a.status is not None and not a.json_body]
    if not_json:
        failures.append(f"{len(not_json)} answers were not JSON with a code: {not_json[:5]}")
    bad_outage = [a.marker for a in report.attempts if a.code == "UNAVAILABLE"
                  and (a.status != 503 or not a.retry_after)]
    if bad_outage:
        failures.append(f"{len(bad_outage)} UNAVAILABLE answers lack 503 or Retry-After")
    unexpected = {code for code in report.errors_by_code()
                  if code.split()[-1] not in ("UNAVAILABLE",)}
    if unexpected:
        failures.append(f"error codes other than UNAVAILABLE: {sorted(unexpected)}")
    if report.server_tracebacks:
        failures.append(f"the server logged {report.server_tracebacks} tracebacks")
    recovery = report.recovery_seconds
    if recovery is None or recovery > recovery_limit:
        failures.append(f"no successful write within {recovery_limit} s of PostgreSQL "
                        f"accepting connections (recovery: {recovery})")
    return report


def run(*, seconds: float, clients: int, port: int, pg_port: int, down: float,
        recovery_limit: float, size: int = 300, mode: str = "fast") -> Report:
    """Prepare a cluster and a server, drive the writes across a restart, check them."""
    cluster = Cluster(pg_port).create()
    api = None
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the cluster, below
    try:
        env = {**os.environ, "DATABASE_URL": cluster.url, "CADRE_ENV": "development",
               "CADRE_RATE_LIMIT_PER_MINUTE": "0"}
        env.pop("REDIS_URL", None)
        cadre("db", "upgrade", env=env)
        cadre("seed", "--demo", "--size", str(size), env=env)
        token = cadre("token", "issue", "demo-org", env=env)
        api = start_api(port, env, log)
        report = asyncio.run(drive(cluster, port, token, seconds=seconds, clients=clients,
                                   down=down, mode=mode))
        log.seek(0)
        report.server_log = log.read().decode(errors="replace")
        return check(report, recovery_limit)
    finally:
        if api is not None:
            api.terminate()
            api.wait(15)
        log.close()
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--down", type=float, default=2.0, help="seconds PostgreSQL is down")
    parser.add_argument("--mode", choices=("fast", "immediate"), default="fast",
                        help="how PostgreSQL stops: fast shutdown, or killed as in a crash")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--recovery", type=float, default=1.0,
                        help="seconds allowed from PostgreSQL accepting to a successful write")
    args = parser.parse_args()
    report = run(seconds=args.seconds, clients=args.clients, port=args.port,
                 pg_port=args.pg_port, down=args.down, recovery_limit=args.recovery,
                 mode=args.mode)
    if report.server_tracebacks:
        print(report.server_log, file=sys.stderr)
    print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    raise SystemExit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
