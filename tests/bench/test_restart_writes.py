"""A short run of the restart benchmark: writes across a PostgreSQL restart are answered
truthfully, outages in JSON 503 with Retry-After, and the server recovers by itself."""

import pytest

from bench.cluster import binaries
from bench.restart_writes import run
from tests.api.processes import PG_PORTS, SERVER_PORTS, free_port
from tests.conftest import uses_sqlite

pytestmark = pytest.mark.skipif(
    uses_sqlite() or binaries() is None,
    reason="PostgreSQL fault tests: need TEST_DATABASE_URL on PostgreSQL and its binaries")


def test_every_answer_across_a_postgres_restart_tells_the_truth_about_its_write():
    # given a server writing continuously as the database stops for 2 s and comes back
    # (its ports from the run's ranges: another run on the machine may hold the defaults)
    report = run(seconds=8, clients=8, port=free_port(SERVER_PORTS),
                 pg_port=free_port(PG_PORTS), down=2.0, recovery_limit=1.0, size=60)
    # then the writes answered done are exactly those that committed, every refusal
    # was UNAVAILABLE in JSON, and writes succeed again within a second
    summary = report.summary()
    assert report.failures == [], summary
    assert summary["acknowledged"] and summary["errors"], summary
