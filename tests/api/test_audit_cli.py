"""`cadre audit …` run for real on SQLite files of their own: seal, verify before and after
tampering, public-key, export and offline verify, and the trail of revision 0007 sealed on
upgrade."""

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db import audit
from db.audit_keys import SigningKey, public_text
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from domain.audit import GENESIS, Event, seal
from domain.enums import Role
from domain.principal import Holding, Principal
from tests.api.test_cli import cadre

EVENTS = 6
ACTOR = Principal(user_id=1, username="zhang", holdings=(Holding(Role.ORG, None),))
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit-key") / "signing.pem"
    SigningKey.generate().write(path)
    return path


def run(path: Path, key_file: Path, *args: str, **env: str):  # noqa: ANN201
    """`cadre ARGS` on the database file ``path``, signing with ``key_file``, the witness
    next to the database."""
    return cadre(*args, database_url=f"sqlite+aiosqlite:///{path}", cwd=path.parent,
                 CADRE_AUDIT_SIGNING_KEY_FILE=str(key_file),
                 CADRE_AUDIT_WITNESS_FILE=str(path.parent / "witness.json"), **env)


async def _append(url: str, numbers: range) -> None:
    engine = create_engine(url)
    for number in numbers:
        async with create_sessionmaker(engine)() as session, session.begin():
            await audit.record(session, actor=ACTOR, operation="updateCadre",
                               record_type="Cadre", record_ids=[number],
                               fields=["position"], at=START + timedelta(hours=number))
    await engine.dispose()


@pytest.fixture(scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    """A migrated file holding ``EVENTS`` events, written as the workflows do and sealed
    two by two (three checkpoints)."""
    folder = tmp_path_factory.mktemp("audit-cli")
    path = folder / "template.db"
    upgraded = run(path, key_file, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    await _append(f"sqlite+aiosqlite:///{path}", range(1, EVENTS + 1))
    sealed = run(path, key_file, "audit", "seal", "--batch-size", "2")
    assert sealed.stdout.strip() == f"sealed {EVENTS} events in 3 checkpoints", sealed.stderr
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template (and its witness) for one test to tamper with."""
    path = tmp_path / "audit.db"
    shutil.copy(template, path)
    shutil.copy(template.parent / "witness.json", tmp_path / "witness.json")
    return path


def tamper(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)


def test_verify_reports_an_intact_trail_and_exits_zero(db, key_file):
    result = run(db, key_file, "audit", "verify")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit trail intact: {EVENTS} events in 3 checkpoints"


def test_verify_streams_in_batches_smaller_than_the_trail(db, key_file):
    result = run(db, key_file, "audit", "verify", "--batch-size", "1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit trail intact: {EVENTS} events in 3 checkpoints"


def test_verify_names_an_edited_event_and_exits_one(db, key_file):
    tamper(db, "UPDATE audit_events SET actor = 'x' WHERE id = 2")

    result = run(db, key_file, "audit", "verify")

    assert result.returncode == 1
    assert "event 2: its content does not match its hash" in result.stdout
    assert "Traceback" not in result.stderr


def test_verify_notices_a_deleted_middle_event(db, key_file):
    tamper(db, "DELETE FROM audit_events WHERE id = 3")

    result = run(db, key_file, "audit", "verify")

    assert result.returncode == 1
    assert "checkpoint 2 (events 3–4): its events do not match its root" in result.stdout


def test_verify_notices_the_newest_checkpoint_removed_with_its_events(db, key_file):
    tamper(db, "DELETE FROM audit_events WHERE checkpoint_id = 3",
           "DELETE FROM audit_checkpoints WHERE id = 3")

    result = run(db, key_file, "audit", "verify")

    assert result.returncode == 1
    assert "checkpoint 3, recorded by the witness, is missing" in result.stdout


def test_verify_reports_events_left_unsealed_past_the_bound(db, key_file):
    tamper(db, "UPDATE audit_events SET checkpoint_id = NULL WHERE checkpoint_id = 3",
           "DELETE FROM audit_checkpoints WHERE id = 3")

    result = run(db, key_file, "audit", "verify", "--witness", str(db.parent / "none.json"))

    assert result.returncode == 1
    assert "2 events are not sealed, the oldest from 2026-03-01T05:00:00+00:00" in result.stdout


def test_public_key_prints_the_signing_keys_public_half(tmp_path, key_file):
    result = run(tmp_path / "unused.db", key_file, "audit", "public-key")

    key = SigningKey.from_text(key_file.read_text())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == public_text(key.public)


def test_production_without_a_key_refuses_to_seal(db):
    result = cadre("audit", "seal", database_url=f"sqlite+aiosqlite:///{db}", cwd=db.parent,
                   CADRE_ENV="production", CADRE_JWT_SECRET="p" * 40)

    assert result.returncode == 1
    assert "no audit signing key" in result.stderr
    assert not (db.parent / "var").exists()


# --- export and offline verification -------------------------------------------------------


@pytest.fixture
def exported(db, key_file) -> Path:
    output = db.parent / "trail.jsonl"
    result = run(db, key_file, "audit", "export", "--output", str(output))
    assert result.stdout.strip() == f"exported 3 checkpoints holding {EVENTS} events to {output}"
    return output


def offline(export: Path, public_key: str):  # noqa: ANN201
    """Verify ``export`` with a database URL that leads nowhere: nothing but the file."""
    return cadre("audit", "verify", "--export", str(export), "--public-key", public_key,
                 database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", cwd=export.parent)


def test_an_export_verifies_offline_with_the_public_key(exported, key_file):
    key = SigningKey.from_text(key_file.read_text())

    result = offline(exported, public_text(key.public))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit trail intact: {EVENTS} events in 3 checkpoints"


def test_an_export_checked_with_another_key_fails(exported):
    result = offline(exported, public_text(SigningKey.generate().public))

    assert result.returncode == 1
    assert "checkpoint 1 (events 1–2): its signature does not verify" in result.stdout


def test_an_export_edited_after_the_fact_names_the_event(exported, key_file):
    lines = exported.read_text().splitlines()
    edited = [line.replace('"actor": "zhang"', '"actor": "li"', 1) if '"id": 5,' in line
              else line for line in lines]
    exported.write_text("\n".join(edited) + "\n")

    result = offline(exported, public_text(SigningKey.from_text(key_file.read_text()).public))

    assert result.returncode == 1
    assert "event 5: its content does not match its hash" in result.stdout


def test_an_earlier_export_serves_as_witness_of_a_truncated_tail(db, key_file, exported):
    tamper(db, "DELETE FROM audit_events WHERE checkpoint_id = 3",
           "DELETE FROM audit_checkpoints WHERE id = 3")

    result = run(db, key_file, "audit", "verify", "--witness", str(exported))

    assert result.returncode == 1
    assert "checkpoint 3, recorded by the witness, is missing" in result.stdout


def test_a_witness_that_is_neither_is_refused_plainly(db, key_file):
    (db.parent / "odd.json").write_text('{"x": 1}')

    result = run(db, key_file, "audit", "verify", "--witness", str(db.parent / "odd.json"))

    assert result.returncode == 1 and "neither a witness file nor an audit export" in result.stderr


def test_an_export_since_a_time_starts_from_a_signed_anchor(db, key_file):
    tamper(db, "UPDATE audit_checkpoints SET sealed_at = '2020-01-01 00:00:00.000000' "
               "WHERE id = 1")
    output = db.parent / "since.jsonl"
    run(db, key_file, "audit", "export", "--output", str(output), "--since", "2021-01-01")
    header = json.loads(output.read_text().splitlines()[0])

    result = offline(output, public_text(SigningKey.from_text(key_file.read_text()).public))

    # checkpoint 1's sealing time was edited: as the anchor, its signature no longer holds
    assert header["anchor"]["id"] == 1
    assert result.returncode == 1
    assert "checkpoint 1 (the anchor): its signature does not verify" in result.stdout


def test_a_file_that_is_no_export_is_refused_plainly(tmp_path):
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text("hello\n")

    result = offline(bogus, public_text(SigningKey.generate().public))

    assert result.returncode == 1 and "not an audit export" in result.stderr
    assert "Traceback" not in result.stderr


# --- the chain written before revision 0009 ------------------------------------------------


def _legacy_trail(path: Path, count: int) -> None:
    """Events chained and a head, as revision 0007's writers left them."""
    upgrade(f"sqlite+aiosqlite:///{path}", "0007")
    previous = GENESIS
    with sqlite3.connect(path) as connection:
        for number in range(1, count + 1):
            event = Event(at=START + timedelta(hours=number), actor="wang", role="org",
                          operation="updateCadre", record_type="Cadre",
                          record_ids=[number], fields=["position"])
            sealed = seal(previous, event)
            connection.execute(
                "INSERT INTO audit_events (id, at, actor, role, operation, record_type, "
                "record_ids, fields, previous_hash, hash) VALUES (?, ?, 'wang', 'org', "
                "'updateCadre', 'Cadre', ?, '[\"position\"]', ?, ?)",
                (number, event.at.strftime("%Y-%m-%d %H:%M:%S.%f"), f"[{number}]", previous,
                 sealed))
            previous = sealed
        connection.execute("UPDATE audit_head SET last_event_id = ?, last_hash = ?",
                           (count, previous))


def test_the_chain_of_revision_0007_is_sealed_on_upgrade(tmp_path, key_file):
    path = tmp_path / "old.db"
    _legacy_trail(path, 5)

    upgraded = run(path, key_file, "db", "upgrade")
    result = run(path, key_file, "audit", "verify")

    assert upgraded.returncode == 0, upgraded.stderr
    assert result.stdout.strip() == "audit trail intact: 5 events in 1 checkpoints"


def test_a_link_broken_before_the_upgrade_is_still_named(tmp_path, key_file):
    path = tmp_path / "old.db"
    _legacy_trail(path, 5)
    tamper(path, "DELETE FROM audit_events WHERE id = 3")

    run(path, key_file, "db", "upgrade")
    result = run(path, key_file, "audit", "verify")

    assert result.returncode == 1
    assert "event 4: its previous hash does not match the event before it" in result.stdout


def test_the_newest_chained_events_deleted_before_the_upgrade_are_noticed(tmp_path, key_file):
    path = tmp_path / "old.db"
    _legacy_trail(path, 5)
    tamper(path, "DELETE FROM audit_events WHERE id = 5")

    run(path, key_file, "db", "upgrade")
    result = run(path, key_file, "audit", "verify")

    assert result.returncode == 1
    assert "the chain head (audit_head) does not match the last chained event" in result.stdout


def test_without_a_key_the_old_chain_waits_unsealed_and_is_reported(tmp_path):
    path = tmp_path / "old.db"
    _legacy_trail(path, 3)
    env = {"CADRE_ENV": "production", "CADRE_JWT_SECRET": "p" * 40}

    upgraded = cadre("db", "upgrade", database_url=f"sqlite+aiosqlite:///{path}",
                     cwd=tmp_path, **env)
    result = cadre("audit", "verify", "--public-key", public_text(SigningKey.generate().public),
                   database_url=f"sqlite+aiosqlite:///{path}", cwd=tmp_path, **env)

    assert upgraded.returncode == 0 and "stay unsealed" in upgraded.stderr
    assert result.returncode == 1 and "3 events are not sealed" in result.stdout
