"""`cadre token issue-partner` and `cadre export-schema --scopes/--role`, run for real."""

import hashlib
import re
from pathlib import Path

from graphql import build_schema
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from tests.api.partner_helpers import Partner, register, unique
from tests.api.test_cli import cadre

SECRET = re.compile(r"cp_[A-Za-z0-9_-]{43}")
UNITS_OP = "query CliPartnerUnits { units { code } }"


async def test_the_command_prints_only_the_secret_which_then_works(as_user, client, database,
                                                                   database_url, tmp_path):
    sha = await register(as_user("demo-admin"), UNITS_OP, "cli units")
    name = unique("cli")

    result = cadre("token", "issue-partner", name, "--agency", "统计局", "--scope",
                   "cadre:basic", "--scope", "evaluation:grade", "--unit", "C-K1",
                   "--no-subunits", "--days", "30", "--operation", sha, "--by", "demo-admin",
                   database_url=database_url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert SECRET.fullmatch(result.stdout.strip()) and result.stdout.count("\n") == 1
    secret = result.stdout.strip()
    async with database.connect() as connection:
        row = (await connection.execute(text(
            "SELECT secret_hash, include_subunits FROM partner_tokens WHERE name = :n"),
            {"n": name})).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not row.include_subunits
    answer = await Partner(client, secret).run(sha)
    assert answer["status"] == 200 and answer["data"]["units"]


async def test_the_command_refuses_an_unknown_unit_and_writes_nothing(database, database_url,
                                                                      tmp_path):
    name = unique("cli")

    result = cadre("token", "issue-partner", name, "--agency", "统计局", "--scope",
                   "cadre:basic", "--unit", "NO-SUCH-UNIT", "--by", "demo-admin",
                   database_url=database_url, cwd=tmp_path)

    assert result.returncode == 1 and result.stdout == ""
    assert "NO-SUCH-UNIT" in result.stderr
    async with database.connect() as connection:
        count = await connection.scalar(text(
            "SELECT count(*) FROM partner_tokens WHERE name = :n"), {"n": name})
    assert count == 0


def test_the_partner_view_of_the_schema_shows_only_its_scopes(tmp_path: Path):
    output = tmp_path / "partner.graphql"

    result = CliRunner().invoke(app, ["export-schema", "--scopes",
                                      "cadre:basic,evaluation:grade", "--output", str(output)])

    sdl = output.read_text(encoding="utf-8")
    assert result.exit_code == 0, result.output
    assert "position: String" in sdl and "grade: Grade" in sdl
    for hidden in ("idNumber", "type Finding", "type Mutation", "comment", "score",
                   "PartnerToken", "auditEvents"):
        assert hidden not in sdl, hidden


def _fields(sdl: str, type_name: str) -> set[str]:
    return set(build_schema(sdl).type_map[type_name].fields)  # type: ignore[attr-defined]


def test_a_role_view_shows_what_the_role_can_ever_read():
    discipline = CliRunner().invoke(app, ["export-schema", "--role", "discipline"]).output
    org = CliRunner().invoke(app, ["export-schema", "--role", "org"]).output
    admin = CliRunner().invoke(app, ["export-schema", "--role", "admin"]).output
    assert "informant" in _fields(discipline, "Finding")
    assert "informant" not in _fields(org, "Finding")
    assert "comment" in _fields(org, "Evaluation")
    assert "comment" not in _fields(discipline, "Evaluation")
    assert "Cadre" not in build_schema(admin).type_map


def test_unknown_scopes_or_roles_are_refused():
    assert CliRunner().invoke(app, ["export-schema", "--scopes", "cadre:personal"]).exit_code == 1
    assert CliRunner().invoke(app, ["export-schema", "--role", "partner"]).exit_code == 1
