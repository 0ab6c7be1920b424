"""Roster benchmark: the API against a hand-written SQL reference, under concurrent load.

Run by hand (not a test):
    .venv/bin/python bench/roster.py [--size 50000] [--seconds 10] [--rounds 3]

It prepares a PostgreSQL database with the demo city at ``--size`` cadres, starts
three single-worker servers (API with authorization, API with authorization off,
reference endpoint), drives each scenario with wrk, one after the other, ``--rounds``
times over, and prints each scenario's mean throughput, p50, p99, the ratios of the
pairs it compares (mean of each, and the median of the rounds' own ratios, which a
passing load on the shared machine sways less), the CPU PostgreSQL and the server spent
per request (`bench.cpu`) and the SQL statements per request.
Needs PostgreSQL and wrk (Debian package).
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpu import Spent, spent  # noqa: E402

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
UNIT_ID = 2  # the first county with its townships

ROSTER = """query Roster($first: Int!, $unitId: ID!) {
  cadres(first: $first, filter: {unitId: $unitId}) { edges { node {
    id name unit { name }
    evaluations { year grade score }
    findings { status item { code title } } } } } }"""
ROSTER_WITH_DENIED = ROSTER.replace("evaluations { year grade score }",
                                    "evaluations { year grade score comment }")


def dsn(database: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


async def prepare(database: str, size: int) -> None:
    import asyncpg
    from sqlalchemy import func, select

    from db.engine import create_engine, create_sessionmaker
    from db.migrate import upgrade
    from db.models import Cadre
    from db.seed import seed_demo

    admin = await asyncpg.connect(ADMIN_DSN)
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
        await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    url = dsn(database).replace("postgresql://", "postgresql+asyncpg://")
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session, session.begin():
        count = await session.scalar(select(func.count()).select_from(Cadre))
        if count == 0:
            started = time.perf_counter()
            await seed_demo(session, size=size)
            print(f"seeded {size} cadres in {time.perf_counter() - started:.1f} s")
        elif count < size:
            raise SystemExit(f"{database} holds {count} cadres; drop it to reseed at {size}")
    await engine.dispose()


def start(module: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", module, "--port", str(port), "--workers", "1",
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
        stdout=subprocess.DEVNULL)  # one log line per request would flood the report
    wait_until_up(process, port)
    return process


def wait_until_up(process: subprocess.Popen, port: int) -> None:
    """Wait for the server ``process`` to answer on ``port``; kill it if it never does."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # the reference has no health route: it answered, so it is up
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, 9)
    raise SystemExit(f"{process.args} did not start on port {port}")


def post(port: int, path: str, body: dict, token: str | None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def wrk(port: int, path: str, body: dict, token: str | None, seconds: int,
        connections: int) -> dict[str, float]:
    headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in
                      {"Content-Type": "application/json",
                       **({"Authorization": f"Bearer {token}"} if token else {})}.items())
    script = f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n{headers}'
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", handle.name,
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    if "Non-2xx" in output:
        raise SystemExit(f"errors under load:\n{output}")

    def latency(percent: str) -> float:
        value, unit = re.search(rf"{percent}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": latency("50"), "p99": latency("99")}


class Rounds:
    """Scenarios driven one after the other, round after round, so that a passing load on
    the shared machine falls on all of them alike.

    Args:
        runs: per scenario, the port, path, body and token of its request.
        group: the process group of the server behind each port (`bench.cpu`).
        seconds: the length of one scenario's load in a round.
        connections: wrk's connections.
    """

    def __init__(self, runs: dict[str, tuple[int, str, dict, str | None]],
                 group: dict[int, int], seconds: int, connections: int) -> None:
        self.runs, self.group = runs, group
        self.seconds, self.connections = seconds, connections
        self.rounds: list[dict[str, dict[str, float]]] = []
        self.cpu = {name: Spent(0.0, 0.0) for name in runs}
        self.served = dict.fromkeys(runs, 0.0)

    def run(self, rounds: int) -> None:
        for port, path, body, token in self.runs.values():
            wrk(port, path, body, token, 3, self.connections)  # warm up
        for _ in range(rounds):
            self.rounds.append({})
            for name, (port, path, body, token) in self.runs.items():
                before = spent(self.group[port])
                result = wrk(port, path, body, token, self.seconds, self.connections)
                self.cpu[name] = self.cpu[name] + (spent(self.group[port]) - before)
                self.served[name] += result["rps"] * self.seconds
                self.rounds[-1][name] = result

    def mean(self, name: str) -> float:
        return statistics.mean(r[name]["rps"] for r in self.rounds)

    def report(self, reference: str) -> None:
        """Print each scenario's figures, throughput also as a share of ``reference``'s."""
        width = max(len(name) for name in self.runs) + 1
        print(f"\n{'scenario':{width}} {'req/s':>8} {'× ref':>6} {'p50 ms':>8} {'p99 ms':>8}"
              f"   req/s per round")
        for name in self.runs:
            each = " / ".join(f"{r[name]['rps']:.0f}" for r in self.rounds)
            print(f"{name:{width}} {self.mean(name):8.1f} "
                  f"{self.mean(name) / self.mean(reference):6.3f} "
                  f"{statistics.median(r[name]['p50'] for r in self.rounds):8.2f} "
                  f"{statistics.median(r[name]['p99'] for r in self.rounds):8.2f}   {each}")
        print("\nCPU per request (all rounds):")
        for name in self.runs:
            print(f"  {name:{width}} {self.cpu[name].per_request(self.served[name])}")

    def ratio(self, name: str, over: str) -> str:
        """``name``'s throughput over ``over``'s: of the means, and the rounds' median."""
        per_round = statistics.median(r[name]["rps"] / r[over]["rps"] for r in self.rounds)
        return (f"{self.mean(name) / self.mean(over):.3f}× "
                f"(median of the rounds: {per_round:.3f}×)")


async def statements_per_request(url: str, token: str, query: str) -> int:
    """Count the SQL statements one roster request by a known caller issues, in process."""
    import httpx
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database_url=url))
    statements: list[str] = []
    transport = httpx.ASGITransport(app=app)

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=transport, base_url="http://bench") as client):
        body = {"query": query, "variables": {"first": 50, "unitId": str(UNIT_ID)}}
        headers = {"Authorization": f"Bearer {token}"}
        await client.post("/graphql", headers=headers, json=body)  # the caller, now known
        event.listen(Engine, "before_cursor_execute", record)
        await client.post("/graphql", headers=headers, json=body)
        event.remove(Engine, "before_cursor_execute", record)
    return len(statements)


async def _subject(url: str, username: str) -> Any:
    from api.auth import subject_of
    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await subject_of(session, username)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--database", default="cadre_bench")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--base-port", type=int, default=8100,
                        help="the servers listen on the three ports above this one")
    args = parser.parse_args()
    api_port, open_port, reference_port = (args.base_port + n for n in (1, 2, 3))

    from api.auth import issue_token
    from api.settings import Settings

    asyncio.run(prepare(args.database, args.size))
    url = dsn(args.database).replace("postgresql://", "postgresql+asyncpg://")
    settings = Settings(database_url=url)
    org, discipline = (issue_token(settings, asyncio.run(_subject(url, name)))
                       for name in ("demo-org", "demo-discipline"))
    variables = {"first": 50, "unitId": str(UNIT_ID)}
    # The benchmark measures throughput, so the per-user rate limit is off.
    env = {"DATABASE_URL": url, "CADRE_ENV": "development", "CADRE_RATE_LIMIT_PER_MINUTE": "0"}
    servers = {
        "api": start("api.main:app", api_port, env),
        "api-no-authz": start("api.main:app", open_port, {**env, "CADRE_AUTHZ_ENABLED": "false"}),
        "reference": start("bench.reference:app", reference_port,
                           {"REFERENCE_DSN": dsn(args.database)}),
    }
    try:
        graphql = {"query": ROSTER, "variables": variables}
        api_data = post(api_port, "/graphql", graphql, org)
        reference_data = post(reference_port, "/reference", graphql, None)
        assert api_data == reference_data, "the API and the reference disagree"
        denied = post(api_port, "/graphql", {"query": ROSTER_WITH_DENIED, "variables": variables},
                      discipline)
        print(f"denied page: {len(denied['errors'])} error(s), "
              f"{len(json.dumps(denied))} bytes vs {len(json.dumps(api_data))} bytes")
        runs = {
            "reference (one SQL query)": (reference_port, "/reference", graphql, None),
            "API, authorization on": (api_port, "/graphql", graphql, org),
            "API, authorization off": (open_port, "/graphql", graphql, org),
            "API, discipline, same page": (api_port, "/graphql", graphql, discipline),
            "API, discipline, + denied comment": (
                api_port, "/graphql", {"query": ROSTER_WITH_DENIED, "variables": variables},
                discipline),
        }
        group = {api_port: servers["api"].pid, open_port: servers["api-no-authz"].pid,
                 reference_port: servers["reference"].pid}
        rounds = Rounds(runs, group, args.seconds, args.connections)
        rounds.run(args.rounds)
        rounds.report("reference (one SQL query)")
        print("\nauthorization on / off: "
              f"{rounds.ratio('API, authorization on', 'API, authorization off')}")
        print("denied-field page / plain page: "
              f"{rounds.ratio('API, discipline, + denied comment', 'API, discipline, same page')}")
    finally:
        for process in servers.values():
            os.killpg(process.pid, 15)
    count = asyncio.run(statements_per_request(url, org, ROSTER))
    print(f"SQL statements per roster request: {count}")


if __name__ == "__main__":
    main()
