"""``/healthz`` answers while the process runs; ``/readyz`` only when it can serve: database
answering, migrations at head, the current policy loaded."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from api.app import create_app
from api.settings import Settings
from db.migrate import alembic_config, upgrade
from tests.conftest import uses_sqlite


def previous_revision(url: str) -> str:
    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_revision(script.get_current_head())
    assert isinstance(head.down_revision, str)
    return head.down_revision


async def client_of(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an application that was never started: its database failed it."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_liveness_reports_the_policy_channel(client, settings):
    response = await client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["policyChannel"] in ({"listening", "polling"} if settings.redis_url else {"off"})


async def test_a_started_app_on_a_migrated_database_is_ready(client):
    response = await client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["failing"]) == ("ready", [])
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["policy"]["loaded"] == body["checks"]["policy"]["current"] >= 1


@pytest.fixture
async def unreachable(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose database cannot be reached: SQLite's folder is gone, PostgreSQL's
    port closed."""
    if uses_sqlite():
        url = f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'cadre.db'}"
        app_settings = settings.model_copy(update={"database_url": url})
        async for http in client_of(app_settings):
            shutil.rmtree(tmp_path / "gone")  # the app made it; now it disappears
            yield http
    else:
        url = "postgresql+asyncpg://postgres@127.0.0.1:8449/test_metrics"
        async for http in client_of(settings.model_copy(update={"database_url": url})):
            yield http


async def test_an_unreachable_database_makes_the_app_unready(unreachable):
    response = await unreachable.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert {"database", "migrations", "policy"} <= set(body["failing"])
    assert body["checks"]["database"]["ok"] is False
    assert (await unreachable.get("/healthz")).status_code == 200  # alive all the same


async def test_a_database_record_behind_the_code_makes_the_app_unready(client, database,
                                                                        database_url):
    behind = previous_revision(database_url)
    async with database.begin() as connection:
        head = (await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar_one()
        await connection.execute(text("UPDATE alembic_version SET version_num = :v"),
                                 {"v": behind})
    try:
        response = await client.get("/readyz")
    finally:
        async with database.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :v"),
                                     {"v": head})

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert body["checks"]["migrations"] == {"ok": False, "current": [behind], "head": [head]}


async def test_a_database_migrated_only_to_an_older_revision_is_not_ready(settings, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    behind = previous_revision(url)
    await asyncio.to_thread(upgrade, url, behind)

    async for http in client_of(settings.model_copy(update={"database_url": url})):
        response = await http.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert "migrations" in body["failing"]
    assert body["checks"]["migrations"]["current"] == [behind]
