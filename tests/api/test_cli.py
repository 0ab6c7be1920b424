"""The `cadre` command, run for real: the installed console script against its own SQLite file.

Every test runs `.venv/bin/cadre` in a subprocess with DATABASE_URL pointing at a database this
module migrates and seeds itself (not the session database of conftest), so what is checked is
what an operator gets: exit codes, stdout, stderr and the rows left in the file.
"""

import base64
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from api.settings import DEVELOPMENT_SECRET
from authz.policy import default_policy_lines
from db.catalogue import NEGATIVE_LIST

CADRE = Path(sys.executable).parent / "cadre"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SIZE = 100
#: Three base64url parts separated by dots, as every compact JWS is.
JWT_PATTERN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class CliDatabase:
    """A SQLite file migrated (twice) and seeded by the command itself."""

    path: Path
    url: str
    upgrades: tuple[subprocess.CompletedProcess[str], ...]
    seeded: subprocess.CompletedProcess[str]

    def count(self, table: str, where: str = "1 = 1", *params: object) -> int:
        with sqlite3.connect(self.path) as connection:
            row = connection.execute(f"SELECT count(*) FROM {table} WHERE {where}",
                                     params).fetchone()
        return int(row[0])


def cadre(*args: str, database_url: str, cwd: Path, timeout: float = 60,
          **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `cadre` script with a clean configuration plus ``extra_env``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CADRE_") and key not in {"DATABASE_URL", "REDIS_URL"}}
    # Wide enough that Rich does not wrap error messages in the middle of a phrase.
    env.update(DATABASE_URL=database_url, COLUMNS="200", NO_COLOR="1", **extra_env)
    return subprocess.run([str(CADRE), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


def decode(token: str) -> dict[str, object]:
    return jwt.decode(token, DEVELOPMENT_SECRET, algorithms=["HS256"],
                      issuer="cadre-records")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> CliDatabase:
    """One fresh database for the module: `db upgrade` twice, then `seed --demo --size 100`."""
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrades = tuple(cadre("db", "upgrade", database_url=url, cwd=folder) for _ in range(2))
    for result in upgrades:
        assert result.returncode == 0, result.stderr
    seeded = cadre("seed", "--demo", "--size", str(DEMO_SIZE), database_url=url, cwd=folder)
    assert seeded.returncode == 0, seeded.stderr
    return CliDatabase(path=path, url=url, upgrades=upgrades, seeded=seeded)


@pytest.fixture(scope="module")
def demo_org_token(db: CliDatabase, tmp_path_factory: pytest.TempPathFactory):
    """`cadre token issue demo-org`, run once for the tests that only read its output."""
    return cadre("token", "issue", "demo-org", database_url=db.url,
                 cwd=tmp_path_factory.mktemp("token"))


@pytest.fixture
def run(db: CliDatabase, tmp_path: Path):
    """``run("token", "issue", "demo-org")`` → the finished `cadre` process on the module db."""
    return lambda *args, **kw: cadre(*args, database_url=db.url, cwd=tmp_path, **kw)


# --- cadre db upgrade ---------------------------------------------------------------------


def test_db_upgrade_succeeds_when_run_twice_on_the_same_file(db):
    for result in db.upgrades:
        assert result.returncode == 0
        assert result.stdout.strip() == "database is up to date"


def test_db_upgrade_installs_the_default_policy_exactly_once(db):
    assert db.count("casbin_rule") > 0
    assert db.count("casbin_rule") == len(default_policy_lines())
    # Installed at version 1; the seed's units then raised it once each (SQLite's row
    # trigger): a second upgrade raised it no further.
    assert db.count("policy_state", "version = ?", 1 + db.count("units")) == 1


def test_db_upgrade_installs_the_fourteen_negative_list_items_exactly_once(db):
    assert db.count("negative_list_items") == 14
    with sqlite3.connect(db.path) as connection:
        codes = [code for (code,) in
                 connection.execute("SELECT code FROM negative_list_items ORDER BY code")]
    assert codes == [entry.code for entry in NEGATIVE_LIST]
    assert codes == [f"N{n:02d}" for n in range(1, 15)]


# --- cadre seed -------------------------------------------------------------------------------


def test_seed_demo_generates_the_requested_number_of_cadres_and_the_demo_accounts(db):
    assert db.seeded.stdout.startswith("seeded ")
    assert db.count("cadres") == DEMO_SIZE
    for username in ("demo-org", "demo-org-county", "demo-discipline", "demo-cadre",
                     "demo-admin"):
        assert db.count("users", "username = ?", username) == 1


def test_seed_if_empty_on_a_seeded_database_says_so_and_changes_nothing(db, run):
    before = {table: db.count(table) for table in ("cadres", "evaluations", "users")}

    result = run("seed", "--demo", "--if-empty")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "demo data already present"
    assert {table: db.count(table) for table in before} == before


# --- cadre token issue ------------------------------------------------------------------------


def test_token_issue_prints_one_line_holding_only_a_jwt(demo_org_token):
    result = demo_org_token

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert result.stdout == lines[0] + "\n"
    assert JWT_PATTERN.fullmatch(lines[0])
    header = json.loads(base64.urlsafe_b64decode(lines[0].split(".")[0] + "=="))
    assert header["alg"] == "HS256"


def test_token_issue_signs_with_the_development_secret_for_the_named_user(demo_org_token, db):
    claims = decode(demo_org_token.stdout.strip())

    # The token names the account by id and token generation, the name only for reading.
    assert db.count("users", "id = ? AND username = ? AND token_generation = ?",
                    int(claims["sub"]), "demo-org", claims["gen"]) == 1
    assert claims["name"] == "demo-org"
    assert claims["exp"] - claims["iat"] == 8 * 3600  # README: tokens last 8 hours


def test_token_issue_with_ttl_gives_a_token_living_exactly_that_long(run):
    result = run("token", "issue", "demo-org", "--ttl", "60")

    assert result.returncode == 0, result.stderr
    claims = decode(result.stdout.strip())
    assert claims["exp"] - claims["iat"] == 60


def test_token_issue_for_an_unknown_user_fails_and_prints_nothing_on_stdout(run):
    result = run("token", "issue", "nobody-here")

    assert result.returncode != 0
    assert result.stdout == ""
    assert "no active user nobody-here" in result.stderr


# --- cadre user add ---------------------------------------------------------------------------


def test_user_add_with_a_unit_then_token_issue_gives_that_user_a_token(db, run):
    added = run("user", "add", "zhang", "--role", "org", "--unit", "C-K2")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "user zhang holds org over C-K2"
    assert db.count("role_assignments r JOIN users u ON u.id = r.user_id "
                    "JOIN units n ON n.id = r.unit_id",
                    "u.username = ? AND r.role = ? AND n.code = ?", "zhang", "org", "C-K2") == 1

    issued = run("token", "issue", "zhang")

    assert issued.returncode == 0, issued.stderr
    assert JWT_PATTERN.fullmatch(issued.stdout.strip())
    assert decode(issued.stdout.strip())["name"] == "zhang"


def test_user_add_with_an_unknown_unit_fails_with_a_clear_message_and_adds_no_one(db, run):
    result = run("user", "add", "wang", "--role", "org", "--unit", "NOPE")

    assert result.returncode != 0
    assert "No unit with code NOPE" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.count("users", "username = ?", "wang") == 0


def test_user_add_goes_through_the_audited_workflow_as_the_only_admin(db, run):
    before = db.count("audit_events", "operation = ? AND actor = ?", "addUser", "demo-admin")
    added = run("user", "add", "li", "--role", "discipline", "--unit", "C-K1")
    assert added.returncode == 0, added.stderr
    assert db.count("audit_events", "operation = ? AND actor = ?", "addUser",
                    "demo-admin") == before + 1
    assert db.count("audit_events", "operation = ? AND actor = ? AND fields LIKE ?",
                    "assignRole", "demo-admin", "%C-K1%") == 1


def test_user_add_refuses_the_admin_role_to_an_account_holding_a_data_role(db, run):
    result = run("user", "add", "demo-org", "--role", "admin")

    assert result.returncode != 0
    assert "system admin role may not also hold a data role" in result.stderr
    assert db.count("role_assignments r JOIN users u ON u.id = r.user_id",
                    "u.username = ? AND r.role = ?", "demo-org", "admin") == 0


def test_user_add_refuses_the_admin_a_role_on_his_own_account(db, run):
    result = run("user", "add", "demo-admin", "--role", "discipline", "--unit", "C")

    assert result.returncode != 0
    assert "own role assignments" in result.stderr
    assert db.count("role_assignments r JOIN users u ON u.id = r.user_id",
                    "u.username = ?", "demo-admin") == 1


# --- cadre export-schema ----------------------------------------------------------------------


def test_export_schema_writes_exactly_the_repository_schema_file(run, tmp_path):
    output = tmp_path / "exported.graphql"

    result = run("export-schema", "--output", str(output))

    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == (REPO_ROOT / "schema.graphql").read_bytes()


# --- cadre serve ------------------------------------------------------------------------------


@pytest.mark.parametrize(("budgets", "named"), [
    ('{"discipline": {"breadth": 5}}', "Unknown budget measure 'breadth'"),
    ('{"disciplne": {"cost": 5}}', "unknown role 'disciplne'"),
    ('{"org": {"depth": 1}}', "depth limit must be at least 2"),
])
def test_serve_with_a_wrong_budget_for_a_role_refuses_to_start(run, budgets, named):
    result = run("serve", "--port", "8149", timeout=30, CADRE_BUDGETS_BY_ROLE=budgets)

    assert result.returncode == 1
    assert named in result.stderr and "configuration error" in result.stderr
    assert "Uvicorn running" not in result.stdout + result.stderr


def test_serve_in_production_without_a_jwt_secret_refuses_to_start(run):
    # A hang (the server actually starting) raises TimeoutExpired and fails the test.
    with socket.socket() as probe:  # a free port, so a wrongly started server binds cleanly
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = run("serve", "--port", str(port), timeout=30, CADRE_ENV="production")

    assert result.returncode != 0
    assert "CADRE_JWT_SECRET" in result.stdout + result.stderr
    assert "Uvicorn running" not in result.stdout + result.stderr
