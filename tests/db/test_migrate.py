"""Schema upgrades run by several replicas at once (db.migrate, `cadre db upgrade`).

Real processes on a real PostgreSQL database of their own, created empty and dropped
after: what three replicas starting together do through the image's entrypoint. SQLite
has no such test: its writers queue on the database file's lock.
"""

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from authz.policy import default_policy_files
from db.engine import create_engine, create_sessionmaker, is_sqlite
from db.migrate import alembic_config
from db.models import InstalledPolicyFile

CADRE = Path(sys.executable).parent / "cadre"
REPLICAS = 3

pytestmark = pytest.mark.skipif(
    is_sqlite(os.environ.get("TEST_DATABASE_URL") or "sqlite+aiosqlite://"),
    reason="advisory locks are PostgreSQL's; SQLite serialises writers on its file lock")


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    """A new, empty database beside the test database (``<name>_concurrent``), dropped after."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{base.database}_concurrent"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_three_upgrades_started_at_once_all_succeed_and_reach_head(
        empty_database: str, tmp_path: Path) -> None:
    # Given an empty database and three replicas' environments
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CADRE_") and key not in {"DATABASE_URL", "REDIS_URL"}}
    env["DATABASE_URL"] = empty_database

    # When each runs `cadre db upgrade` at the same moment
    processes = [subprocess.Popen([str(CADRE), "db", "upgrade"], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(REPLICAS)]
    results = [(process.wait(120), *process.communicate()) for process in processes]

    # Then every one exits 0, the schema is at head, and the policy is installed once
    for code, stdout, stderr in results:
        assert code == 0, stderr
        assert stdout.strip() == "database is up to date"
    head = ScriptDirectory.from_config(alembic_config(empty_database)).get_current_head()
    engine = create_engine(empty_database)
    try:
        async with create_sessionmaker(engine)() as session:
            versions = list(await session.scalars(text("SELECT version_num FROM alembic_version")))
            installed = await session.scalar(
                select(func.count()).select_from(InstalledPolicyFile))
    finally:
        await engine.dispose()
    assert versions == [head]
    assert installed == len(default_policy_files())


async def test_the_chain_of_revision_0007_is_sealed_once_on_upgrade(empty_database: str,
                                                                   tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from db.audit import verify
    from db.audit_keys import SigningKey, Verifier
    from db.migrate import upgrade
    from db.models import AuditCheckpoint, AuditEvent
    from domain.audit import GENESIS, Event, seal

    # Given the trail as revision 0007's writers left it: three chained events and a head
    await asyncio.to_thread(upgrade, empty_database, "0007")
    engine = create_engine(empty_database)
    previous, start = GENESIS, datetime(2026, 3, 1, tzinfo=UTC)
    async with engine.begin() as connection:
        for number in (1, 2, 3):
            event = Event(at=start + timedelta(hours=number), actor="wang", role="org",
                          operation="updateCadre", record_type="Cadre", record_ids=[number],
                          fields=["position"])
            sealed = seal(previous, event)
            await connection.execute(text(
                "INSERT INTO audit_events (at, actor, role, operation, record_type, record_ids,"
                " fields, previous_hash, hash) VALUES (:at, 'wang', 'org', 'updateCadre', "
                "'Cadre', CAST(:ids AS json), CAST('[\"position\"]' AS json), :previous, :hash)"),
                {"at": event.at, "ids": f"[{number}]", "previous": previous, "hash": sealed})
            previous = sealed
        await connection.execute(text(
            "UPDATE audit_head SET last_event_id = 3, last_hash = :hash"), {"hash": previous})
    key_file = tmp_path / "signing.pem"
    key = SigningKey.generate()
    key.write(key_file)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CADRE_") and name not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DATABASE_URL=empty_database, CADRE_AUDIT_SIGNING_KEY_FILE=str(key_file))

    # When the release with revision 0009 upgrades it, twice
    for _ in range(2):
        result = subprocess.run([str(CADRE), "db", "upgrade"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr

    # Then the three events sit in one signed checkpoint, and the trail verifies
    try:
        async with create_sessionmaker(engine)() as session:
            checkpoints = list(await session.scalars(select(AuditCheckpoint.events)))
            unsealed = await session.scalar(select(func.count()).select_from(AuditEvent)
                                            .where(AuditEvent.checkpoint_id.is_(None)))
            outcome = await verify(session, Verifier([key.public]))
    finally:
        await engine.dispose()
    assert checkpoints == [3] and unsealed == 0
    assert outcome.broken is None and outcome.events == 3
