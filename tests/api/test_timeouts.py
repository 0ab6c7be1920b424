"""PostgreSQL limits on the API's connections: a transaction outside the API that holds
a row lock costs a mutation of that row about the lock timeout, never a read."""

import time

import pytest
from sqlalchemy import text

from api.outages import connection_limits
from db.engine import create_engine
from tests.conftest import uses_sqlite

pytestmark = pytest.mark.skipif(uses_sqlite(), reason="PostgreSQL session limits")

UPDATE = """mutation Update($input: UpdateCadreInput!) {
  updateCadre(input: $input) { cadre { id position version } } }"""
READ = """query Read($id: ID!) { cadre(id: $id) { id position version } }"""
CADRE_ID = 7
#: Slack above the lock timeout for the request's own work on a shared machine.
SLACK_SECONDS = 1.5


async def post(client, token, query, **variables):
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})
    return response, response.json()


@pytest.mark.parametrize(("name", "setting"), [
    ("statement_timeout", "db_statement_timeout_ms"),
    ("lock_timeout", "db_lock_timeout_ms"),
    ("idle_in_transaction_session_timeout", "db_idle_in_transaction_timeout_ms"),
])
async def test_the_api_connections_carry_the_configured_limits(settings, name, setting):
    engine = create_engine(settings.database_url, limits=connection_limits(settings))
    async with engine.connect() as connection:
        value = await connection.scalar(
            text("SELECT setting FROM pg_settings WHERE name = :name"), {"name": name})
    await engine.dispose()
    assert int(value) == getattr(settings, setting)


async def test_a_mutation_of_a_row_locked_outside_answers_unavailable_within_the_lock_timeout(
        client, token, settings, database):
    org = token("demo-org")
    _, before = await post(client, org, READ, id=str(CADRE_ID))
    cadre = before["data"]["cadre"]
    # given an outside transaction holding the cadre's row lock
    async with database.connect() as outside:
        await outside.execute(text("SELECT id FROM cadres WHERE id = :id FOR UPDATE"),
                              {"id": CADRE_ID})
        # when the API is asked to change that cadre
        started = time.monotonic()
        response, body = await post(client, org, UPDATE, input={
            "id": cadre["id"], "version": cadre["version"], "position": "被锁住的岗位"})
        elapsed = time.monotonic() - started
        await outside.rollback()
    # then it gives up after about the lock timeout, as a whole, and asks to retry
    assert elapsed < settings.db_lock_timeout_ms / 1000 + SLACK_SECONDS
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(settings.retry_after_seconds)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]
    # and it wrote nothing
    _, after = await post(client, org, READ, id=str(CADRE_ID))
    assert after["data"]["cadre"] == cadre


async def test_a_read_of_a_row_locked_outside_is_not_blocked(client, token, database):
    org = token("demo-org")
    async with database.connect() as outside:
        await outside.execute(text("SELECT id FROM cadres WHERE id = :id FOR UPDATE"),
                              {"id": CADRE_ID})
        started = time.monotonic()
        response, body = await post(client, org, READ, id=str(CADRE_ID))
        elapsed = time.monotonic() - started
        await outside.rollback()
    assert response.status_code == 200 and body["data"]["cadre"]["id"] == str(CADRE_ID)
    assert elapsed < 1.0
