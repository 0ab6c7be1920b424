"""Real server and Redis processes for the race and freshness tests (ports of their own)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[2]


def _ports(variable: str, default: range) -> range:
    """``default``, or the range ``FIRST-LAST`` named by ``variable``: where several test
    runs share one machine, each takes ranges of its own, else a run that loses the race
    for a port talks to another run's server (its health check answers for it)."""
    given = os.environ.get(variable)
    if not given:
        return default
    first, last = (int(part) for part in given.split("-"))
    return range(first, last + 1)


#: Ports these tests may take, so they never meet another service on the machine. All lie
#: below Linux's ephemeral range (32768-60999 by default): a port in it can be the local
#: end of any process's outgoing connection at the moment a server wants to listen on it.
SERVER_PORTS = _ports("TEST_SERVER_PORTS", range(8250, 8300))
REDIS_PORTS = _ports("TEST_REDIS_PORTS", range(24390, 24400))
#: Ports for PostgreSQL clusters of the fault tests' own.
PG_PORTS = _ports("TEST_PG_PORTS", range(24430, 24440))


def free_port(ports: range) -> int:
    """The first port of ``ports`` that nothing listens on and nothing holds as its own."""
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # the local end of a connection, or one closing
                continue
            return port
    raise AssertionError(f"no free port in {ports}")


def wait_for(url: str, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@contextmanager
def server(database_url: str, redis_url: str | None = None, workers: int = 1,
           **settings: str) -> Iterator[str]:
    """`cadre serve` with ``workers`` worker processes; yields its /graphql address."""
    port = free_port(SERVER_PORTS)
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    # No background sealer unless asked for: it would sign the session's trail with a key
    # of its own (tests of sealing start theirs).
    env.update(DATABASE_URL=database_url, CADRE_ENV="development",
               CADRE_RATE_LIMIT_PER_MINUTE="0", CADRE_AUDIT_SEAL_INTERVAL_SECONDS="0",
               **settings)
    if redis_url:
        env["REDIS_URL"] = redis_url
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "cadre"), "serve", "--port", str(port),
         "--workers", str(workers)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        process.wait(15)


@contextmanager
def redis_server(port: int | None = None) -> Iterator[tuple[subprocess.Popen, int]]:
    """A redis-server of our own (never the machine's): yields the process and its port."""
    port = port or free_port(REDIS_PORTS)
    process = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                                "--appendonly", "no", "--bind", "127.0.0.1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 5
        while time.monotonic() < end:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield process, port
    finally:
        process.kill()
        process.wait()
