"""The schema evolution check: a break of the last release's schema needs a new major (before
1.0: minor) version and a CHANGELOG entry naming it; additions pass; dangerous changes are
reported. Run on small schemas in a temporary project, and on the repository's own files."""

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.schema_evolution import ROOT, Paths, check, main

RELEASED = '''
type Query {
  cadre(id: ID!): Cadre
  explainAccess(username: String): String
}
type Cadre { id: ID! name: String! grade: Grade }
enum Grade { EXCELLENT GOOD FAIR POOR }
'''
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-27\n\nFirst.\n"


def project(tmp_path: Path, schema: str, version: str = "0.2.0", changelog: str = CHANGELOG,
            released: str = "0.2.0") -> Paths:
    """A project whose last release is ``released`` (with RELEASED as its schema)."""
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / f"{released}.graphql").write_text(RELEASED, encoding="utf-8")
    (tmp_path / "schema.graphql").write_text(schema, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n',
                                             encoding="utf-8")
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    return Paths(tmp_path / "schema.graphql", tmp_path / "releases",
                 tmp_path / "pyproject.toml", tmp_path / "CHANGELOG.md")


def run(paths: Paths, *extra: str) -> int:
    return main(["--schema", str(paths.schema), "--releases", str(paths.releases),
                 "--pyproject", str(paths.pyproject), "--changelog", str(paths.changelog),
                 *extra])


WITHOUT_NAME = RELEASED.replace("name: String! ", "")
ADDED_FIELD = RELEASED.replace("grade: Grade }", "grade: Grade rank: String }")
ADDED_ENUM_VALUE = RELEASED.replace("POOR }", "POOR UNRATED }")


def test_an_addition_passes_at_the_released_version(tmp_path):
    paths = project(tmp_path, ADDED_FIELD)
    report = check(paths)
    assert (report.breaking, report.dangerous, report.problems) == ([], [], [])
    assert run(paths) == 0


def test_a_breaking_change_without_a_new_version_fails(tmp_path, capsys):
    paths = project(tmp_path, WITHOUT_NAME)
    assert run(paths) == 1
    out, err = capsys.readouterr()
    assert "Field Cadre.name was removed." in out
    assert "has not moved its minor (before 1.0) or major number" in err


def test_a_breaking_change_with_a_patch_version_still_fails(tmp_path):
    assert run(project(tmp_path, WITHOUT_NAME, version="0.2.1")) == 1


def test_a_breaking_change_with_a_new_minor_version_and_its_changelog_entry_passes(tmp_path):
    changelog = CHANGELOG.replace("## [Unreleased]\n", "## [0.3.0] - 2026-12-01\n\n"
                                  "### Breaking\n- `Cadre.name` was removed: read `displayName`.\n")
    assert run(project(tmp_path, WITHOUT_NAME, version="0.3.0", changelog=changelog)) == 0


def test_a_new_version_whose_changelog_does_not_name_the_break_fails(tmp_path, capsys):
    changelog = CHANGELOG.replace("## [Unreleased]\n", "## [0.3.0]\n\n- Tidying.\n")
    assert run(project(tmp_path, WITHOUT_NAME, version="0.3.0", changelog=changelog)) == 1
    assert "does not name `Cadre.name`" in capsys.readouterr().err


def test_a_new_version_without_a_changelog_entry_fails(tmp_path, capsys):
    assert run(project(tmp_path, WITHOUT_NAME, version="0.3.0")) == 1
    assert "no entry for 0.3.0" in capsys.readouterr().err


def test_after_1_0_a_break_needs_a_new_major_version(tmp_path):
    entries = "## [1.1.0]\n- `Cadre.name` removed.\n## [2.0.0]\n- `Cadre.name` removed.\n"
    changelog = CHANGELOG.replace("[0.2.0]", "[1.0.0]").replace("## [Unreleased]\n", entries)
    assert run(project(tmp_path, WITHOUT_NAME, "1.1.0", changelog, released="1.0.0")) == 1
    (tmp_path / "again").mkdir()
    assert run(project(tmp_path / "again", WITHOUT_NAME, "2.0.0", changelog,
                       released="1.0.0")) == 0


def test_a_dangerous_change_is_reported_and_passes(tmp_path, capsys):
    paths = project(tmp_path, ADDED_ENUM_VALUE)
    assert run(paths) == 0
    assert "dangerous VALUE_ADDED_TO_ENUM: Enum value Grade.UNRATED was added." in (
        capsys.readouterr().out)


def test_a_deprecation_passes_with_a_reason_and_fails_without(tmp_path, capsys):
    reasoned = RELEASED.replace("name: String!",
                                'name: String! @deprecated(reason: "Use fullName.")')
    assert run(project(tmp_path, reasoned)) == 0
    (tmp_path / "bare").mkdir()
    bare = RELEASED.replace("name: String!", "name: String! @deprecated")
    assert run(project(tmp_path / "bare", bare)) == 1
    assert "Cadre.name is deprecated without a reason" in capsys.readouterr().err


def test_a_version_older_than_the_last_release_fails(tmp_path, capsys):
    assert run(project(tmp_path, RELEASED, version="0.1.9")) == 1
    assert "older than the last release 0.2.0" in capsys.readouterr().err


def test_a_release_without_a_changelog_entry_fails(tmp_path, capsys):
    assert run(project(tmp_path, RELEASED, changelog="# Changelog\n")) == 1
    assert "no entry for the released version 0.2.0" in capsys.readouterr().err


def test_recording_a_release_files_the_schema_once(tmp_path):
    changelog = CHANGELOG.replace("## [Unreleased]\n", "## [0.3.0]\n- `Cadre.name`\n")
    paths = project(tmp_path, WITHOUT_NAME, version="0.3.0", changelog=changelog)
    assert run(paths, "--record") == 0
    assert (paths.releases / "0.3.0.graphql").read_text(encoding="utf-8") == WITHOUT_NAME
    assert check(paths).breaking == []  # the new release is now the one compared against
    with pytest.raises(SystemExit, match="released already"):
        run(paths, "--record")


def test_the_repository_passes_against_its_last_release():
    completed = subprocess.run([sys.executable, str(ROOT / "scripts" / "schema_evolution.py")],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "0 breaking" in completed.stdout


def test_the_breaks_of_0_2_0_against_0_1_0_are_named_in_the_changelog(tmp_path):
    # given only the 0.1.0 release on record, and the 0.2.0 schema
    (tmp_path / "releases").mkdir()
    first = ROOT / "schema" / "releases" / "0.1.0.graphql"
    (tmp_path / "releases" / "0.1.0.graphql").write_bytes(first.read_bytes())
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "0.2.0"\n')
    paths = Paths(ROOT / "schema" / "releases" / "0.2.0.graphql", tmp_path / "releases",
                  tmp_path / "pyproject.toml", ROOT / "CHANGELOG.md")
    # then the check finds the two breaks of explainAccess, and the changelog names them
    report = check(paths)
    assert sorted(change.type.name for change in report.breaking) == [
        "ARG_REMOVED", "REQUIRED_ARG_ADDED"]
    assert report.problems == []
