"""Many servers behind a balancer: failures, convergence of access changes, throughput.

Run by hand:  .venv/bin/python bench/many_servers.py [--servers 3] [--clients 16]

Needs PostgreSQL at 127.0.0.1:5432 (user ``postgres``, no password), and the Debian
packages ``pgbouncer``, ``haproxy`` and ``redis-server`` (it installs nothing). It
creates the database ``cadre_scale`` afresh (``cadre db upgrade``, ``cadre seed --demo
--size 2000``), sets the API's session limits on that database (pgbouncer does not pass
them at connection start), and starts, each in a scratch folder and process group of its
own: pgbouncer (transaction pooling), a redis-server, ``--servers`` API processes
(``cadre serve``, ``CADRE_DB_PGBOUNCER=true``) and HAProxy in front of them (round
robin, health check on ``/healthz``, retries on another server for GET requests and for
connections refused).

Roster reads go by GET as a registered operation (idempotent: the balancer may retry
them), writes (``createCadre``) by POST (never retried). Phases:

1. throughput with every server, ``--load-seconds``;
2. faults, ``--fault-seconds`` of the same load, during which it
   a. kills one API process with SIGKILL and later starts it again,
   b. through one server, removes org's read of ``cadre:personal`` and revokes the
      tokens of ``demo-discipline``, then polls every live server directly (not through
      the balancer) until each one refuses both, and times it,
   c. stops Redis, re-adds the rule while Redis is away (polled the same way), and
      starts Redis again;
3. throughput with one server behind the same balancer.

It prints requests and failures per phase (those in flight on the killed process
apart), convergence times, requests per second and latency, and stops everything it
started, always.
"""

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.cadres import id_number_check_digit  # noqa: E402 - after the path is set

DATABASE = "cadre_scale"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ROSTER = ("query Roster($first: Int!) { cadres(first: $first) { totalCount edges { node "
          "{ id name position unit { name } evaluations { year grade } } } } }")
ROSTER_HASH = hashlib.sha256(ROSTER.encode()).hexdigest()
CREATE = ("mutation Create($input: CreateCadreInput!) { "
          "createCadre(input: $input) { cadre { id } } }")
REGISTER = ("mutation R($q: String!) { registerPersistedOperation("
            "input: {name: \"roster\", query: $q}) { operation { id } } }")
PERSONAL = ["org", "jurisdiction", "cadre:personal", "read"]
POLICY_CHANGE = ("mutation P($values: [String!]!) { %s(input: {ptype: \"p\", "
                 "values: $values}) { version } }")
REVOKE = 'mutation { revokeUserTokens(username: "demo-discipline") { tokenGeneration } }'
PERSONAL_READ = "{ cadres(first: 1) { edges { node { idNumber } } } }"
ME = "{ me { username } }"
#: Share of writes in the load.
WRITE_EVERY = 5
CONVERGENCE_LIMIT = 10.0


@dataclass
class Ports:
    balancer: int
    pgbouncer: int
    redis: int
    first_api: int


@dataclass
class Outcome:
    """One request of the load."""

    kind: str  # "read" or "write"
    sent: float
    answered: float
    status: int | None  # None: no answer (transport error)
    ok: bool


@dataclass
class Phase:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def in_flight(self, killed_at: float | None) -> int:
        """Failures of requests sent before the kill and answered after it."""
        return sum(1 for o in self.failures()
                   if killed_at is not None and o.sent <= killed_at <= o.answered)

    def rate(self) -> float:
        seconds = self.ended - self.started
        return len(self.outcomes) / seconds if seconds > 0 else 0.0

    def summary(self, killed_at: float | None = None) -> dict[str, object]:
        latencies = sorted(o.answered - o.sent for o in self.outcomes if o.ok)
        failed = self.failures()
        in_flight = self.in_flight(killed_at)
        seconds = self.ended - self.started
        return {
            "phase": self.name, "seconds": round(seconds, 1), "requests": len(self.outcomes),
            "reads": sum(o.kind == "read" for o in self.outcomes),
            "writes": sum(o.kind == "write" for o in self.outcomes),
            "failed": len(failed),
            "failed_in_flight_on_killed": in_flight,
            "failed_otherwise": len(failed) - in_flight,
            "failures_by_status": dict(Counter(f"{o.kind} {o.status}" for o in failed)),
            "requests_per_second": round(self.rate(), 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "p99_ms": (round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1)
                       if latencies else None),
        }


# -- processes ---------------------------------------------------------------------------

def require_binaries() -> None:
    missing = [name for name in ("pgbouncer", "haproxy", "redis-server", "psql")
               if shutil.which(name) is None]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (Debian: apt-get install -y "
                         "pgbouncer haproxy redis-server postgresql-client)")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_port(port: int, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not port_free(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


class Processes:
    """Every process the run starts, each in a process group of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        self._logs.append(log)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                   start_new_session=True)
        self.running[name] = process
        return process

    def signal(self, name: str, signum: int) -> None:
        process = self.running.pop(name)
        os.killpg(process.pid, signum)
        process.wait(15)

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):  # the balancer first, pgbouncer last
            process = self.running.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(10)
            except ProcessLookupError:
                process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        for log in self._logs:
            log.close()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")


def as_postgres_user(command: list[str]) -> list[str]:
    # pgbouncer refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def psql(database: str, sql: str) -> str:
    return subprocess.run(["psql", f"{POSTGRES}/{database}", "-v", "ON_ERROR_STOP=1", "-Atc",
                           sql], check=True, capture_output=True, text=True).stdout.strip()


def cadre(*args: str, env: dict[str, str]) -> str:
    executable = Path(sys.executable).parent / "cadre"
    return subprocess.run([str(executable), *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def prepare_database(size: int, limits: dict[str, str]) -> None:
    """A fresh ``cadre_scale``, migrated and seeded directly (not through pgbouncer)."""
    psql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {DATABASE}")
    env = {**os.environ, "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/"
                                         f"{DATABASE}"}
    cadre("db", "upgrade", env=env)
    cadre("seed", "--demo", "--size", str(size), env=env)
    # The API's session limits, as pgbouncer cannot pass them at connection start. On
    # the database here (the machine's postgres role is shared); in production on the
    # API's own role: ALTER ROLE cadre_api SET statement_timeout = ...
    for name, value in limits.items():
        psql("postgres", f"ALTER DATABASE {DATABASE} SET {name} = {value}")


def pgbouncer_config(folder: Path, port: int, pool: int) -> Path:
    (folder / "users.txt").write_text('"postgres" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(f"""[databases]
{DATABASE} = host=127.0.0.1 port=5432 dbname={DATABASE} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = {pool}
max_client_conn = 500
; every transaction's statements have unique names and are never reused; dropping them
; when the server connection goes back to the pool keeps them from piling up
server_reset_query = DEALLOCATE ALL
server_reset_query_always = 1
""")
    return config


def haproxy_config(folder: Path, port: int, api_ports: list[int]) -> Path:
    servers = "\n".join(f"  server api{n} 127.0.0.1:{p} check"
                        for n, p in enumerate(api_ports, 1))
    config = folder / "haproxy.cfg"
    config.write_text(f"""global
  maxconn 1000

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  # a connection refused or reset before an answer is tried again, on another server
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout

frontend api
  bind 127.0.0.1:{port}
  default_backend servers

backend servers
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  # only GET is idempotent here (the API runs no mutation by GET): a POST that reached a
  # server that died fails, never sent twice
  http-request disable-l7-retry unless METH_GET
  http-after-response set-header X-Served-By %[srv_name]
{servers}
""")
    return config


@dataclass
class Stack:
    processes: Processes
    folder: Path
    ports: Ports
    api_env: dict[str, str]
    servers: int

    def api_port(self, n: int) -> int:
        return self.ports.first_api + n

    def start_api(self, n: int) -> None:
        port = self.api_port(n)
        self.processes.start(f"api{n}", [str(Path(sys.executable).parent / "cadre"), "serve",
                                         "--port", str(port)], env=self.api_env)
        wait_port(port)

    def start_redis(self) -> None:
        self.processes.start("redis", ["redis-server", "--port", str(self.ports.redis),
                                       "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no"])
        wait_port(self.ports.redis)

    def start_balancer(self, api_numbers: list[int]) -> None:
        config = haproxy_config(self.folder, self.ports.balancer,
                                [self.api_port(n) for n in api_numbers])
        self.processes.start("haproxy", ["haproxy", "-db", "-f", str(config)])
        wait_port(self.ports.balancer)


@contextmanager
def stack(args: argparse.Namespace) -> Iterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="cadre-scale-"))
    folder.chmod(0o777)  # pgbouncer runs as postgres when we are root
    processes = Processes(folder)
    ports = Ports(balancer=args.port, pgbouncer=args.pgbouncer_port, redis=args.redis_port,
                  first_api=args.port + 1)
    for port in (ports.balancer, ports.pgbouncer, ports.redis,
                 *range(ports.first_api, ports.first_api + args.servers)):
        if not port_free(port):
            raise SystemExit(f"port {port} is taken")
    api_env = {**os.environ,
               "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{ports.pgbouncer}/"
                               f"{DATABASE}",
               "CADRE_DB_PGBOUNCER": "true", "REDIS_URL": f"redis://127.0.0.1:{ports.redis}/0",
               "CADRE_ENV": "development", "CADRE_RATE_LIMIT_PER_MINUTE": "1000000",
               "CADRE_DB_POOL_SIZE": str(args.pool_size),
               "CADRE_DB_MAX_OVERFLOW": str(args.max_overflow)}
    built = Stack(processes, folder, ports, api_env, args.servers)
    try:
        config = pgbouncer_config(folder, ports.pgbouncer, args.pgbouncer_pool)
        processes.start("pgbouncer", as_postgres_user(["pgbouncer", str(config)]))
        wait_port(ports.pgbouncer)
        built.start_redis()
        for n in range(args.servers):
            built.start_api(n)
        built.start_balancer(list(range(args.servers)))
        yield built
    finally:
        processes.stop_all()
        # Warnings (Redis away, a poll that failed) are expected; errors are faults.
        errors = sum(" ERROR " in line or line.startswith("ERROR:")
                     for n in range(args.servers) if (folder / f"api{n}.log").exists()
                     for line in processes.log(f"api{n}").splitlines())
        if errors:
            print(f"the API processes logged {errors} errors (logs kept in {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# -- load ----------------------------------------------------------------------------------

def id_number(serial: int) -> tuple[str, str]:
    """A valid identity number, unique per ``serial`` (and run), and its birth date."""
    birth = date(1950, 1, 1) + timedelta(days=serial // 1000)
    first17 = f"980000{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_number_check_digit(first17), birth.isoformat()


class Load:
    """``clients`` concurrent clients, each on its own keep-alive connection."""

    def __init__(self, url: str, token: str, clients: int) -> None:
        self.url = url
        self.token = token
        self.clients = clients
        self.serial = 0

    async def run(self, phase: Phase, seconds: float) -> None:
        phase.started = time.monotonic()
        until = phase.started + seconds
        await asyncio.gather(*(self._client(phase, until) for _ in range(self.clients)))
        phase.ended = time.monotonic()

    async def _client(self, phase: Phase, until: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        read_params = {"extensions": json.dumps({"persistedQuery": {
            "version": 1, "sha256Hash": ROSTER_HASH}}), "variables": json.dumps({"first": 20})}
        count = 0
        async with httpx.AsyncClient(headers=headers, timeout=20) as http:
            while time.monotonic() < until:
                count += 1
                sent = time.monotonic()
                if count % WRITE_EVERY == 0:
                    kind = "write"
                    self.serial += 1
                    number, birth = id_number(self.serial)
                    request = http.post(self.url, json={"query": CREATE, "variables": {"input": {
                        "name": "扩容测试", "gender": "MALE", "birthDate": birth,
                        "idNumber": number, "unitId": "2", "position": "scale",
                        "rank": "SECTION_CHIEF", "leadershipRole": "MEMBER"}}})
                else:
                    kind = "read"
                    request = http.get(self.url, params=read_params)
                try:
                    response = await request
                except httpx.TransportError:
                    phase.outcomes.append(Outcome(kind, sent, time.monotonic(), None, False))
                    continue
                ok = response.status_code == 200 and not response.json().get("errors")
                phase.outcomes.append(Outcome(kind, sent, time.monotonic(),
                                              response.status_code, ok))


# -- changes and convergence ---------------------------------------------------------------

async def graphql(http: httpx.AsyncClient, url: str, token: str, query: str,
                  variables: dict[str, object] | None = None) -> httpx.Response:
    return await http.post(url, json={"query": query, "variables": variables or {}},
                           headers={"Authorization": f"Bearer {token}"})


async def personal_readable(http: httpx.AsyncClient, url: str, token: str) -> bool:
    body = (await graphql(http, url, token, PERSONAL_READ)).json()
    edges = (body.get("data") or {}).get("cadres", {}).get("edges") or []
    return bool(edges) and edges[0]["node"]["idNumber"] is not None


async def token_refused(http: httpx.AsyncClient, url: str, token: str) -> bool:
    return (await graphql(http, url, token, ME)).status_code == 401


Check = Callable[[httpx.AsyncClient, str], Awaitable[bool]]


async def converge(urls: dict[str, str], check: Check, since: float) -> dict[str, float]:
    """Seconds from ``since`` until each server passes ``check`` (polled every 10 ms)."""
    async def one(http: httpx.AsyncClient, url: str) -> float:
        end = since + CONVERGENCE_LIMIT
        while time.monotonic() < end:
            if await check(http, url):
                return round(time.monotonic() - since, 3)
            await asyncio.sleep(0.01)
        return float("inf")

    async with httpx.AsyncClient(timeout=5) as http:
        times = await asyncio.gather(*(one(http, url) for url in urls.values()))
    return dict(zip(urls, times, strict=True))


@dataclass
class Faults:
    stack: Stack
    tokens: dict[str, str]
    killed_at: float | None = None
    figures: dict[str, object] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        return {f"api{n}": f"http://127.0.0.1:{self.stack.api_port(n)}/graphql"
                for n in range(self.stack.servers) if f"api{n}" in self.stack.processes.running}

    async def change_policy(self, mutation: str, through: str, expect_readable: bool,
                            label: str) -> None:
        admin, org = self.tokens["demo-admin"], self.tokens["demo-org"]
        async with httpx.AsyncClient(timeout=5) as http:
            response = await graphql(http, self.urls()[through], admin, POLICY_CHANGE % mutation,
                                     {"values": PERSONAL})
        acknowledged = time.monotonic()
        assert response.status_code == 200 and not response.json().get("errors"), response.text

        async def applied(http: httpx.AsyncClient, url: str) -> bool:
            return await personal_readable(http, url, org) == expect_readable

        self.figures[label] = await converge(self.urls(), applied, acknowledged)

    async def revoke(self, through: str) -> None:
        admin, victim = self.tokens["demo-admin"], self.tokens["demo-discipline"]
        async with httpx.AsyncClient(timeout=5) as http:
            response = await graphql(http, self.urls()[through], admin, REVOKE)
        acknowledged = time.monotonic()
        assert response.status_code == 200 and not response.json().get("errors"), response.text

        async def refused(http: httpx.AsyncClient, url: str) -> bool:
            return await token_refused(http, url, victim)

        self.figures["token revocation"] = await converge(self.urls(), refused, acknowledged)

    async def channels_listening(self, since: float) -> dict[str, float]:
        async def one(http: httpx.AsyncClient, name: str, port: int) -> float:
            while time.monotonic() < since + CONVERGENCE_LIMIT:
                health = (await http.get(f"http://127.0.0.1:{port}/healthz")).json()
                if health.get("policyChannel") == "listening":
                    return round(time.monotonic() - since, 3)
                await asyncio.sleep(0.02)
            return float("inf")

        async with httpx.AsyncClient(timeout=5) as http:
            names = list(self.urls())
            times = await asyncio.gather(*(one(http, name, self.stack.api_port(int(name[3:])))
                                           for name in names))
        return dict(zip(names, times, strict=True))

    async def run(self, seconds: float) -> None:
        """The fault schedule, spread over ``seconds`` of load."""
        step = seconds / 8
        await asyncio.sleep(step)
        self.killed_at = time.monotonic()
        await asyncio.to_thread(self.stack.processes.signal, "api0", signal.SIGKILL)
        await asyncio.sleep(step)
        await self.change_policy("removePolicyRule", "api1", False,
                                 "policy change (Redis up)")
        await self.revoke("api2")
        await asyncio.to_thread(self.stack.start_api, 0)
        restarted = time.monotonic()
        self.figures["restarted server listening"] = await self.channels_listening(restarted)
        await asyncio.sleep(step)
        redis_stopped = time.monotonic()
        await asyncio.to_thread(self.stack.processes.signal, "redis", signal.SIGTERM)
        await asyncio.sleep(1.0)
        await self.change_policy("addPolicyRule", "api2", True, "policy change (Redis down)")
        await asyncio.to_thread(self.stack.start_redis)
        redis_back = time.monotonic()
        self.figures["Redis down (s)"] = round(redis_back - redis_stopped, 2)
        self.figures["channel listening again after Redis start"] = \
            await self.channels_listening(redis_back)


# -- the run -------------------------------------------------------------------------------

async def measure(stack_: Stack, args: argparse.Namespace) -> dict[str, object]:
    balancer = f"http://127.0.0.1:{stack_.ports.balancer}/graphql"
    env = {**os.environ, "DATABASE_URL": stack_.api_env["DATABASE_URL"]}
    tokens = {user: cadre("token", "issue", user, env=env)
              for user in ("demo-org", "demo-admin", "demo-discipline")}
    async with httpx.AsyncClient(timeout=10) as http:
        response = await graphql(http, balancer, tokens["demo-admin"], REGISTER, {"q": ROSTER})
        assert not response.json().get("errors"), response.text
    load = Load(balancer, tokens["demo-org"], args.clients)
    await load.run(Phase("warm-up"), 3)
    report: dict[str, object] = {}

    steady = Phase(f"{args.servers} servers, no faults")
    await load.run(steady, args.load_seconds)
    report["steady"] = steady.summary()

    faults = Faults(stack_, tokens)
    faulted = Phase(f"{args.servers} servers, faults")
    await asyncio.gather(load.run(faulted, args.fault_seconds), faults.run(args.fault_seconds))
    report["faults"] = faulted.summary(faults.killed_at)
    report["convergence_seconds"] = faults.figures

    # One server alone on the machine, behind the same balancer.
    for name in ("haproxy", "api0", "api2"):
        await asyncio.to_thread(stack_.processes.signal, name, signal.SIGTERM)
    await asyncio.to_thread(stack_.start_balancer, [1])
    await asyncio.sleep(1.5)  # the balancer's first health checks
    await load.run(Phase("warm-up"), 2)
    single = Phase("1 server, no faults")
    await load.run(single, args.load_seconds)
    report["single"] = single.summary()
    report["throughput_ratio"] = round(steady.rate() / single.rate(), 2)
    changes = [seconds for label, times in faults.figures.items() if label.startswith(
        ("policy change", "token revocation")) and isinstance(times, dict)
        for seconds in times.values()]
    report["targets"] = {
        "no failure but those in flight on the killed process":
            len(faulted.failures()) == faulted.in_flight(faults.killed_at)
            and not steady.failures() and not single.failures(),
        "every change applied everywhere within 2 s": max(changes) <= 2.0,
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load-seconds", type=float, default=20)
    parser.add_argument("--fault-seconds", type=float, default=40)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8500, help="the balancer; APIs follow")
    parser.add_argument("--pgbouncer-port", type=int, default=56432)
    parser.add_argument("--redis-port", type=int, default=56400)
    parser.add_argument("--pool-size", type=int, default=5)
    parser.add_argument("--max-overflow", type=int, default=5)
    parser.add_argument("--pgbouncer-pool", type=int, default=20)
    args = parser.parse_args()
    require_binaries()
    if args.servers * (args.pool_size + args.max_overflow) > 500:
        raise SystemExit("the API pools exceed pgbouncer's max_client_conn (500)")
    prepare_database(args.size, {"statement_timeout": "8000", "lock_timeout": "2000",
                                 "idle_in_transaction_session_timeout": "15000"})
    with ExitStack() as stop:
        built = stop.enter_context(stack(args))
        report = asyncio.run(measure(built, args))
    print(json.dumps(report, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
