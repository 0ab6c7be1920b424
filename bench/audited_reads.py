"""Audited reads benchmark: a roster page with ``idNumber`` (recorded on the audit trail)
against the same page without it, on PostgreSQL, 2 workers, 16 connections.

Run by hand (not a test):
    .venv/bin/python bench/audited_reads.py [--size 50000] [--seconds 15] [--port 9120]

It prepares the database as `bench/roster.py` does (the demo city at ``--size`` cadres),
serves the API with `cadre serve --workers 2` (each worker runs the background sealer,
signing with a key kept for that database under ``var/``), and drives it with wrk,
alternating the plain page and the audited page twice. While the audited page runs it
samples `pg_stat_activity` every 100 ms for backends waiting on a lock
(``wait_event_type = 'Lock'``). Afterwards
it seals what is left, verifies the whole trail, and prints req/s, p50, p99, the ratio
audited / plain, the CPU PostgreSQL and the server spent per request (`bench.cpu`), the
lock waits seen, and the events written and sealed.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpu import Spent, spent  # noqa: E402
from bench.roster import _subject, dsn, post, prepare, wrk  # noqa: E402

UNIT_ID = 2
PLAIN = """query Roster($first: Int!, $unitId: ID!) {
  cadres(first: $first, filter: {unitId: $unitId}) { edges { node {
    id name position rank unit { name } } } } }"""
AUDITED = PLAIN.replace("rank unit", "rank idNumber unit")


def serve(port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "cadre"), "serve", "--port", str(port),
         "--workers", "2"], cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise SystemExit("the server did not come up")


class LockSampler(threading.Thread):
    """Counts backends of the database waiting on a lock, every 100 ms, by lock type."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.samples: list[dict[str, int]] = []
        self.running = threading.Event()
        self.stopped = threading.Event()

    def run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(dsn(self.database))
        try:
            while not self.stopped.is_set():
                if self.running.is_set():
                    rows = await connection.fetch(
                        "SELECT wait_event AS kind, count(*) AS n FROM pg_stat_activity "
                        "WHERE datname = $1 AND wait_event_type = 'Lock' GROUP BY 1",
                        self.database)
                    self.samples.append({row["kind"]: row["n"] for row in rows})
                await asyncio.sleep(0.1)
        finally:
            await connection.close()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        totals = [sum(sample.values()) for sample in self.samples]
        kinds = sorted({kind for sample in self.samples for kind in sample})
        return (f"{len(self.samples)} samples; backends waiting on a lock: max {max(totals)}, "
                f"mean {sum(totals) / len(totals):.2f}; samples with any wait: "
                f"{sum(1 for t in totals if t)}; lock kinds: {kinds or 'none'}")


async def trail_state(url: str, key_file: Path) -> str:
    from sqlalchemy import func, select

    from db.audit import seal_pending, verify
    from db.audit_keys import SigningKey, Verifier
    from db.engine import create_engine, create_sessionmaker
    from db.models import AuditCheckpoint, AuditEvent

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        unsealed = await session.scalar(select(func.count()).select_from(AuditEvent)
                                        .where(AuditEvent.checkpoint_id.is_(None)))
    key = SigningKey.from_text(key_file.read_text())
    await seal_pending(sessions, key)
    async with sessions() as session:
        events = await session.scalar(select(func.count()).select_from(AuditEvent))
        checkpoints = await session.scalar(select(func.count()).select_from(AuditCheckpoint))
        outcome = await verify(session, Verifier([key.public]), batch_size=5000)
    await engine.dispose()
    return (f"events {events}, checkpoints {checkpoints}; unsealed when the load stopped: "
            f"{unsealed}; verify: {outcome.broken or 'intact'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--database", default="cadre_bench")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=9120)
    args = parser.parse_args()

    from api.auth import issue_token
    from api.settings import Settings
    from db.audit_keys import SigningKey

    asyncio.run(prepare(args.database, args.size))
    url = dsn(args.database).replace("postgresql://", "postgresql+asyncpg://")
    org = issue_token(Settings(database_url=url), asyncio.run(_subject(url, "demo-org")))
    scratch = Path(tempfile.mkdtemp(prefix="audited-reads-"))
    # One key per benchmark database, kept across runs, so the whole trail verifies.
    key_file = ROOT / "var" / f"{args.database}-audit-signing-key.pem"
    if not key_file.exists():
        SigningKey.generate().write(key_file)
    env = {"DATABASE_URL": url, "CADRE_ENV": "development", "CADRE_RATE_LIMIT_PER_MINUTE": "0",
           "CADRE_AUDIT_SIGNING_KEY_FILE": str(key_file),
           "CADRE_AUDIT_WITNESS_FILE": str(scratch / "witness.json")}
    variables = {"first": 50, "unitId": str(UNIT_ID)}
    bodies = {"plain": {"query": PLAIN, "variables": variables},
              "audited (idNumber)": {"query": AUDITED, "variables": variables}}
    server = serve(args.port, env)
    sampler = LockSampler(args.database)
    sampler.start()
    results: dict[str, list[dict[str, float]]] = {name: [] for name in bodies}
    cpu = {name: Spent(0.0, 0.0) for name in bodies}
    try:
        for body in bodies.values():
            answer = post(args.port, "/graphql", body, org)
            assert "errors" not in answer and answer["data"]["cadres"]["edges"], answer
            wrk(args.port, "/graphql", body, org, 3, args.connections)  # warm up
        for _ in range(2):
            for name, body in bodies.items():
                audited = name != "plain"
                if audited:
                    sampler.running.set()
                before = spent(server.pid)
                results[name].append(wrk(args.port, "/graphql", body, org, args.seconds,
                                         args.connections))
                cpu[name] = cpu[name] + (spent(server.pid) - before)
                sampler.running.clear()
    finally:
        sampler.stopped.set()
        os.killpg(server.pid, 15)
        server.wait(30)
    print(f"\n{'page':20} {'req/s (runs)':>22} {'p50 ms':>8} {'p99 ms':>8}")
    mean = {}
    for name, runs in results.items():
        mean[name] = sum(r["rps"] for r in runs) / len(runs)
        rates = " / ".join(f"{r['rps']:.1f}" for r in runs)
        print(f"{name:20} {rates:>22} "
              f"{max(r['p50'] for r in runs):8.2f} {max(r['p99'] for r in runs):8.2f}")
    print("\nCPU per request (both runs):")
    for name, runs in results.items():
        print(f"  {name:20} "
              f"{cpu[name].per_request(sum(r['rps'] for r in runs) * args.seconds)}")
    print(f"\naudited / plain: {mean['audited (idNumber)'] / mean['plain']:.3f}×")
    print(f"lock waits during the audited runs: {sampler.summary()}")
    print(asyncio.run(trail_state(url, key_file)))


if __name__ == "__main__":
    main()
