"""The benchmark's statement counter: a relay that counts what its clients execute."""

import os

import asyncpg
import pytest

from bench import pgwire
from tests.conftest import uses_sqlite

pytestmark = pytest.mark.skipif(uses_sqlite(), reason="needs TEST_DATABASE_URL on PostgreSQL")


async def test_the_relay_counts_prepared_and_simple_statements_and_tells_control_apart():
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":") if ":" in host_port else (host_port, "5432")
    recorder = pgwire.Recorder()
    server = await pgwire.serve(0, host, int(port), recorder)
    relay_port = server.sockets[0].getsockname()[1]
    relayed = url.replace(host_port, f"127.0.0.1:{relay_port}")
    connection = await asyncpg.connect(relayed)
    try:
        recorder.clear()
        # given a transaction with a prepared statement run twice and a simple query
        async with connection.transaction():
            for value in (1, 2):
                assert await connection.fetchval("SELECT $1::int + 1", value) == value + 1
            await connection.execute("SELECT 3")
    finally:
        await connection.close()
        server.close()
    # then both executions and the simple query count, and BEGIN/COMMIT are control
    data = recorder.data_statements()
    assert data.count("SELECT $1::int + 1") == 2 and data.count("SELECT 3") == 1, data
    assert len(recorder.statements) - len(data) == 2, recorder.statements
