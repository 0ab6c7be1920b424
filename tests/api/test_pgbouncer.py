"""Requests through a pgbouncer in transaction pooling (PostgreSQL only).

Skipped where the pgbouncer binary is absent (Debian package ``pgbouncer``): a fresh
machine running the suite does not have it unless installed.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from api.app import create_app
from tests.api.processes import free_port
from tests.api.test_sql_statements import ROSTER_PAGE
from tests.conftest import GraphQLClient, uses_sqlite

pytestmark = [
    pytest.mark.skipif(uses_sqlite(), reason="pgbouncer pools PostgreSQL connections"),
    pytest.mark.skipif(shutil.which("pgbouncer") is None,
                       reason="pgbouncer is not installed (Debian: apt-get install pgbouncer)"),
]
PORTS = range(24450, 24457)  # below the ephemeral ports (tests.api.processes)
#: Fewer server connections than concurrent requests: transactions of different clients
#: take turns on one server connection, where reused statement names would collide.
SERVER_CONNECTIONS = 2
CONCURRENT = 16


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def pgbouncer(database_url: str) -> Iterator[str]:
    """A pgbouncer of our own in front of the test database; yields its URL."""
    url = make_url(database_url)
    port = free_port(PORTS)
    # pgbouncer refuses to run as root, so then it runs as postgres: a folder it can read
    # (pytest's own temporary folders are private to us).
    tmp_path = Path(tempfile.mkdtemp(prefix="cadre-pgbouncer-"))
    tmp_path.chmod(0o755)
    (tmp_path / "users.txt").write_text(f'"{url.username}" ""\n')
    config = tmp_path / "pgbouncer.ini"
    config.write_text(f"""[databases]
{url.database} = host={url.host} port={url.port or 5432} dbname={url.database} user={url.username}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {tmp_path / "users.txt"}
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
server_reset_query = DEALLOCATE ALL
server_reset_query_always = 1
""")
    command = ["pgbouncer", str(config)]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 10
        while not _listening(port) and time.monotonic() < end:
            time.sleep(0.05)
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        shutil.rmtree(tmp_path, ignore_errors=True)


async def test_concurrent_requests_through_pgbouncer_transaction_pooling_are_answered(
        settings, pgbouncer, token, caplog):
    app = create_app(settings.model_copy(update={
        "database_url": pgbouncer, "db_pgbouncer": True, "db_pool_size": 4,
        "db_max_overflow": 4, "redis_url": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            org = GraphQLClient(http, token("demo-org"))
            for _ in range(3):
                bodies = await asyncio.gather(*(org(ROSTER_PAGE, first=10)
                                                for _ in range(CONCURRENT)))
                assert [body.get("errors") for body in bodies] == [None] * CONCURRENT
                assert {len(body["data"]["cadres"]["edges"]) for body in bodies} == {10}
            me = await org("{ me { username } }")
    assert me["data"]["me"]["username"] == "demo-org"
    # The test database's role sets no limits: the server says so when it starts.
    assert "through pgbouncer statement_timeout is 0 ms, not 8000" in caplog.text


async def test_without_pgbouncer_mode_the_session_limits_are_refused_by_pgbouncer(
        settings, pgbouncer, token):
    """Why the mode exists: pgbouncer refuses ``statement_timeout`` at connection start."""
    app = create_app(settings.model_copy(update={"database_url": pgbouncer,
                                                 "redis_url": None}))
    with pytest.raises(Exception, match="unsupported startup parameter"):
        async with app.router.lifespan_context(app):
            pass
