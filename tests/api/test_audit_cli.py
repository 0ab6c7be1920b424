"""`cadre audit verify`, run for real on its own SQLite file, before and after tampering."""

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db import audit
from db.engine import create_engine, create_sessionmaker
from domain.audit import Event, seal
from domain.enums import Role
from domain.principal import Holding, Principal
from tests.api.test_cli import cadre

EVENTS = 6
ACTOR = Principal(user_id=1, username="zhang", holdings=(Holding(Role.ORG, None),))


@pytest.fixture(scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated file holding a chain of ``EVENTS`` events, written as the workflows do."""
    folder = tmp_path_factory.mktemp("audit-cli")
    path = folder / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgraded = cadre("db", "upgrade", database_url=url, cwd=folder)
    assert upgraded.returncode == 0, upgraded.stderr
    engine = create_engine(url)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for number in range(1, EVENTS + 1):
        async with create_sessionmaker(engine)() as session, session.begin():
            await audit.record(session, actor=ACTOR, operation="updateCadre",
                               record_type="Cadre", record_ids=[number],
                               fields=["position"], at=start + timedelta(hours=number))
    await engine.dispose()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template for one test to tamper with."""
    path = tmp_path / "audit.db"
    shutil.copy(template, path)
    return path


def tamper(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(statement)


def verify(path: Path, *args: str):  # noqa: ANN201
    return cadre("audit", "verify", *args, database_url=f"sqlite+aiosqlite:///{path}",
                 cwd=path.parent)


def test_verify_reports_an_intact_trail_and_exits_zero(db):
    result = verify(db)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit trail intact: {EVENTS} events"


def test_verify_streams_in_batches_smaller_than_the_trail(db):
    result = verify(db, "--batch-size", "4")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit trail intact: {EVENTS} events"


def test_verify_names_an_edited_event_and_exits_one(db):
    tamper(db, "UPDATE audit_events SET actor = 'x' WHERE id = 2")

    result = verify(db)

    assert result.returncode == 1
    assert "event 2: its content does not match its hash" in result.stdout
    assert "Traceback" not in result.stderr


def test_verify_notices_a_deleted_middle_event(db):
    tamper(db, "DELETE FROM audit_events WHERE id = 3")

    result = verify(db)

    assert result.returncode == 1
    assert "event 4: its previous hash does not match" in result.stdout


def test_verify_notices_a_deleted_newest_event(db):
    tamper(db, f"DELETE FROM audit_events WHERE id = {EVENTS}")

    result = verify(db, "--batch-size", "2")

    assert result.returncode == 1
    assert "chain head does not match the last event" in result.stdout


def test_verify_notices_a_well_sealed_event_added_behind_the_heads_back(db):
    with sqlite3.connect(db) as connection:
        [(last_hash,)] = connection.execute("SELECT hash FROM audit_events WHERE id = 6")
        event = Event(at=datetime(2026, 4, 1, tzinfo=UTC), actor="x", role="org",
                      operation="updateCadre", record_type="Cadre", record_ids=[1], fields=[])
        connection.execute(
            "INSERT INTO audit_events (at, actor, role, operation, record_type, record_ids, "
            "fields, previous_hash, hash) VALUES ('2026-04-01 00:00:00.000000', 'x', 'org', "
            "'updateCadre', 'Cadre', '[1]', '[]', ?, ?)", (last_hash, seal(last_hash, event)))

    result = verify(db)

    assert result.returncode == 1
    assert "chain head does not match the last event" in result.stdout


def test_verify_notices_a_missing_chain_head(db):
    tamper(db, "DELETE FROM audit_head")

    result = verify(db)

    assert result.returncode == 1
    assert "audit_head" in result.stdout
