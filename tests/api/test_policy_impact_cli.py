"""`cadre policy impact FILE` reports the what-if on the configured database and writes nothing."""

from pathlib import Path

from tests.api.test_cli import cadre


def test_the_command_reports_the_org_losing_personal_data_as_masked_and_writes_nothing(
        database_url: str, tmp_path: Path):
    changes = tmp_path / "changes.csv"
    changes.write_text("# what if the department lost the personal data?\n"
                       "remove, p, org, jurisdiction, cadre:personal, read\n", encoding="utf-8")
    before = cadre("policy", "impact", str(changes), database_url=database_url, cwd=tmp_path)
    after = cadre("policy", "impact", str(changes), database_url=database_url, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    lines = before.stdout.splitlines()
    assert lines[0].startswith("impact ")
    assert any(line.startswith("org/jurisdiction Cadre.phone READ->MASKED (") for line in lines)
    assert any("Cadre.birthDate READ->DENIED" in line for line in lines)
    assert after.stdout == before.stdout  # nothing was applied


def test_a_line_without_an_action_fails_naming_it(database_url: str, tmp_path: Path):
    changes = tmp_path / "changes.csv"
    changes.write_text("p, org, jurisdiction, cadre:personal, read\n", encoding="utf-8")
    result = cadre("policy", "impact", str(changes), database_url=database_url, cwd=tmp_path)
    assert result.returncode == 1 and "line 1" in result.stderr and not result.stdout


def test_removing_a_rule_the_policy_does_not_hold_fails(database_url: str, tmp_path: Path):
    changes = tmp_path / "changes.csv"
    changes.write_text("remove, p, org, jurisdiction, nothing, read\n", encoding="utf-8")
    result = cadre("policy", "impact", str(changes), database_url=database_url, cwd=tmp_path)
    assert result.returncode == 1 and "no such rule" in result.stderr
