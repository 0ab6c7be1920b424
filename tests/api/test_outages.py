"""While PostgreSQL is down every answer is a JSON 503 with Retry-After, and once it is
back the next request succeeds, on a pooled connection that predates the restart.

The tests stop and start a PostgreSQL cluster of their own (never the shared one).
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import issue_token, subject_of
from api.settings import Settings
from bench.cluster import Cluster, binaries
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from tests.api.test_mutations import cadre_input
from tests.conftest import uses_sqlite

pytestmark = pytest.mark.skipif(
    uses_sqlite() or binaries() is None,
    reason="PostgreSQL fault tests: need TEST_DATABASE_URL on PostgreSQL and its binaries")

PORT = 24460  # below the ephemeral ports (tests.api.processes)
QUERY = "{ cadres(first: 2) { totalCount edges { node { id name } } } }"
CREATE = """mutation Create($input: CreateCadreInput!) {
  createCadre(input: $input) { cadre { id } } }"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    own = Cluster(PORT).create()
    try:
        yield own
    finally:
        own.destroy()


@pytest.fixture(scope="module")
async def api(cluster: Cluster) -> AsyncIterator[Any]:
    """``await api(query, **variables)`` → the HTTP response of the in-process API,
    as ``demo-org``, on the cluster."""
    from db.seed import seed_demo

    await asyncio.to_thread(upgrade, cluster.url)
    engine = create_engine(cluster.url)
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_demo(session, size=40)
    await engine.dispose()
    settings = Settings(env="test", database_url=cluster.url, rate_limit_per_minute=0,
                        ide_assets=Path("ide/dist"))
    engine = create_engine(cluster.url)
    async with create_sessionmaker(engine)() as session:
        subject = await subject_of(session, "demo-org")
    await engine.dispose()
    assert subject is not None
    bearer = {"Authorization": f"Bearer {issue_token(settings, subject)}"}
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://test") as http):
        async def post(query: str, **variables: Any) -> httpx.Response:
            return await http.post("/graphql", headers=bearer,
                                   json={"query": query, "variables": variables})

        yield post


@pytest.fixture
def database_down(cluster: Cluster) -> Iterator[None]:
    cluster.stop()
    try:
        yield
    finally:
        cluster.start()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAVAILABLE"]


async def test_a_query_answers_json_503_with_retry_after_while_postgres_is_down(
        api, database_down):
    assert_unavailable(await api(QUERY))


async def test_a_mutation_answers_json_503_with_retry_after_while_postgres_is_down(
        api, database_down):
    assert_unavailable(await api(CREATE, input=cadre_input()))


async def test_the_first_request_after_a_restart_succeeds(api, cluster):
    # given pooled connections opened before the restart
    assert (await api(QUERY)).status_code == 200
    cluster.stop()
    cluster.start()
    # when the first requests arrive after it, each pooled connection is found dead
    # by its ping and replaced before use
    answers = [await api(QUERY) for _ in range(3)]
    created = await api(CREATE, input=cadre_input())
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(answer.json()["data"]["cadres"]["totalCount"] > 0 for answer in answers)
    assert created.status_code == 200 and created.json()["data"]["createCadre"]["cadre"]["id"]
