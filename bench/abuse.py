"""Abuse benchmark: hostile requests against a live server while a small query keeps asking.

Run by hand (not a test):  .venv/bin/python bench/abuse.py [--port 8120] [--database-url URL]

It migrates and seeds a database (``cadre db upgrade``, ``cadre seed --demo``; SQLite in
a temporary folder unless ``--database-url`` names one), starts ``cadre serve`` on
``--port``, and runs a probe sending ``{ me { username } }`` every 50 ms while it sends
the abuse corpus one request at a time. It prints, per abusive request, the HTTP
status, ``extensions.code`` (and budget measure) and time; the probe's p50 and p99;
the server's peak memory (VmHWM); and what the budget check costs per request.

Targets: every abusive request refused with its code, probe p99 < 100 ms, peak RSS
< 300 MB.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CADRE = str(Path(sys.executable).with_name("cadre"))

PROBE = {"query": "{ me { username } }"}
PAGE = """cadres(first: 100) { totalCount edges { node { id name gender position rank
  unit { name } evaluations { year grade score } findings { status item { code title } } } } }"""
ROSTER = """query Roster($first: Int!) { cadres(first: $first) { edges { node {
  id name unit { name } evaluations { year grade score } findings { status item { code title } }
} } } }"""


def tree(levels: int) -> str:
    """``units { parent { children { parent { children … } } } }``, ``levels`` deep."""
    path = ["units"] + ["parent" if i % 2 == 0 else "children" for i in range(levels - 1)]
    return "{ " + " { ".join(path) + " { name" + " }" * levels + " }"


def corpus() -> list[tuple[str, bytes]]:
    """(name, raw JSON body) of each abusive request."""
    import orjson

    def op(query: str) -> bytes:
        return orjson.dumps({"query": query})

    aliases_page = "{ " + " ".join(f"p{i}: {PAGE}" for i in range(1000)) + " }"
    aliases_typename = "{ " + " ".join(f"a{i}: __typename" for i in range(50_000)) + " }"
    bomb = "query { ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)
    ) + " fragment F30 on Query { me { username } }"
    return [
        ("unit tree nested 8 deep", op(tree(8))),
        ("1,000 aliases of a 100-cadre page", op(aliases_page)),
        ("10 aliases of a 100-cadre page (small)",
         op("{ " + " ".join(f"p{i}: {PAGE}" for i in range(10)) + " }")),
        ("50,000 aliases of __typename", op(aliases_typename)),
        ("10 MB body", op("{ me { username } }" + " " * 10_000_000)),
        ("500 duplicated fields on me", op("{ me { " + "username " * 500 + "} }")),
        ("500 duplicated fields on a page",
         op("{ cadres(first: 100) { edges { node { " + "name " * 500 + "} } } }")),
        ("100 duplicated @include on one field",
         op("{ me { username " + "@include(if: true) " * 100 + "} }")),
        ("fragment bomb (2^30 spreads)", op(bomb)),
        ("JSON body []", b"[]"),
        ("JSON body 1", b"1"),
        ("JSON body null", b"null"),
    ]


def run(*args: str, env: dict[str, str]) -> str:
    return subprocess.run([CADRE, *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def probe(url: str, headers: dict[str, str], stop: asyncio.Event,
                failures: list[int]) -> list[float]:
    """Latencies (ms) of the probe query, sent every 50 ms until ``stop``; the statuses of
    failed probes go to ``failures``."""
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            started = time.perf_counter()
            response = await http.post(url, json=PROBE, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failures.append(response.status_code)
            await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - started)))
    return latencies


async def abuse(url: str, headers: dict[str, str]) -> list[tuple[str, int, int, str, float]]:
    rows = []
    async with httpx.AsyncClient(timeout=120) as http:
        for name, body in corpus():
            started = time.perf_counter()
            response = await http.post(url, content=body,
                                       headers={**headers, "Content-Type": "application/json"})
            elapsed = (time.perf_counter() - started) * 1000
            try:
                error = (response.json().get("errors") or [{}])[0]
                extensions = error.get("extensions") or {}
                code = extensions.get("code", "-")
                if "measure" in extensions:
                    value = extensions.get("value", "")
                    code += f" ({extensions['measure']} {value} > {extensions['limit']})"
            except (ValueError, AttributeError, IndexError):
                code = f"(not JSON: {response.text[:40]!r})"
            rows.append((name, len(body), response.status_code, code, elapsed))
            await asyncio.sleep(0.2)
    return rows


async def roster_ms(url: str, headers: dict[str, str]) -> float:
    """Median time of a 100-cadre roster page, over 20 requests after 5 warm-ups."""
    times = []
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(25):
            started = time.perf_counter()
            response = await http.post(url, json={"query": ROSTER,
                                                  "variables": {"first": 100}},
                                       headers=headers)
            assert response.status_code == 200 and "errors" not in response.json()
            if i >= 5:
                times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def budget_check_us() -> tuple[float, float]:
    """(cached, first time) cost in µs of the budget check of the roster page, in process."""
    from types import SimpleNamespace

    from api.budgets import Admission, OperationBudgets
    from api.schema import build_schema
    from api.settings import Settings
    from domain.enums import Role
    from domain.principal import Holding, Principal

    schema = build_schema()
    settings = Settings()  # type: ignore[call-arg]
    principal = Principal(1, "demo-org", (Holding(Role.ORG, None),))
    cold = []
    for i in range(20):
        extension = OperationBudgets(Admission())
        extension.execution_context = SimpleNamespace(  # type: ignore[assignment]
            query=ROSTER + f" # {i}", operation_name=None, variables={"first": 100},
            schema=schema, graphql_document=None,
            context=SimpleNamespace(settings=settings, principal=principal))
        started = time.perf_counter()
        list(extension.on_parse())
        cold.append(time.perf_counter() - started)
    rounds = 20_000
    started = time.perf_counter()
    for _ in range(rounds):
        extension.execution_context.graphql_document = None
        list(extension.on_parse())
    return (time.perf_counter() - started) / rounds * 1e6, statistics.median(cold) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--size", type=int, default=2000, help="cadres to seed")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cadre-abuse-")
    url = args.database_url or f"sqlite+aiosqlite:///{folder}/abuse.db"
    # The probe alone sends 1,200 requests a minute: rate limits would answer it 429.
    env = {**os.environ, "DATABASE_URL": url, "CADRE_RATE_LIMIT_PER_MINUTE": "0"}
    run("db", "upgrade", env=env)
    print(run("seed", "--demo", "--size", str(args.size), "--if-empty", env=env))
    headers = {"Authorization": f"Bearer {run('token', 'issue', 'demo-org', env=env)}"}
    server = subprocess.Popen([CADRE, "serve", "--port", str(args.port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{args.port}/graphql"
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{args.port}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        roster = await roster_ms(endpoint, headers)
        rss_before = memory_kib(server.pid, "VmRSS")
        stop, failures = asyncio.Event(), list[int]()
        probing = asyncio.create_task(probe(endpoint, headers, stop, failures))
        await asyncio.sleep(1.0)
        rows = await abuse(endpoint, headers)
        await asyncio.sleep(1.0)
        stop.set()
        latencies = await probing
        peak = memory_kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(10)
    cached, cold = budget_check_us()

    print(f"\n{'abusive request':40} {'bytes':>10} {'HTTP':>5} {'ms':>8}  code")
    for name, size, status, code, elapsed in rows:
        print(f"{name:40} {size:>10,} {status:>5} {elapsed:>8.1f}  {code}")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"\nprobe: {len(ordered)} requests, p50 {statistics.median(ordered):.1f} ms, "
          f"p99 {p99:.1f} ms, max {ordered[-1]:.1f} ms, failed {len(failures)}")
    print(f"server memory: {rss_before / 1024:.0f} MB before, peak (VmHWM) {peak / 1024:.0f} MB")
    print(f"budget check of the roster page: {cached:.1f} µs cached, {cold / 1000:.2f} ms "
          f"the first time; the page itself: {roster:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
