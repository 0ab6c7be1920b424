"""`cadre policy impact FILE` reports the what-if on the configured database and writes nothing."""

from pathlib import Path

from sqlalchemy import text

from db.engine import create_engine
from tests.api.test_cli import cadre


async def _policy_version(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(
                "SELECT version FROM policy_state WHERE id = 1"))).scalar_one())
    finally:
        await engine.dispose()


async def test_the_command_reports_the_org_losing_personal_data_as_masked_and_writes_nothing(
        database_url: str, tmp_path: Path):
    changes = tmp_path / "changes.csv"
    changes.write_text("# what if the department lost the personal data?\n"
                       "remove, p, org, jurisdiction, cadre:personal, read\n", encoding="utf-8")
    before = await _policy_version(database_url)
    result = cadre("policy", "impact", str(changes), database_url=database_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"impact {before}-" + lines[0].split("-", 1)[1]
    assert any(line.startswith("org/jurisdiction Cadre.phone READ->MASKED (") for line in lines)
    assert any("Cadre.birthDate READ->DENIED" in line for line in lines)
    assert await _policy_version(database_url) == before  # nothing was applied


def test_a_line_without_an_action_fails_naming_it(database_url: str, tmp_path: Path):
    changes = tmp_path / "changes.csv"
    changes.write_text("p, org, jurisdiction, cadre:personal, read\n", encoding="utf-8")
    result = cadre("policy", "impact", str(changes), database_url=database_url, cwd=tmp_path)
    assert result.returncode == 1 and "line 1" in result.stderr and not result.stdout
