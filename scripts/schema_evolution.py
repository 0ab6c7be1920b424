"""Schema evolution check: ``schema.graphql`` against the schema of the last released version.

A released version's schema is kept, frozen, in ``schema/releases/VERSION.graphql`` (so a
fresh clone without tags knows it); the newest file there is the last release. The check
fails when

- the current schema breaks a client of that release (graphql-core's
  ``find_breaking_changes``) and the version in ``pyproject.toml`` has not moved its major
  number (before 1.0: its minor number), or ``CHANGELOG.md`` has no entry for the version
  naming each break by its schema coordinate (``Query.explainAccess(username:)``);
- the version in ``pyproject.toml`` is older than the last release;
- a released version has no entry in ``CHANGELOG.md``;
- something is deprecated without a reason (``@deprecated`` alone): the reason must tell
  clients what to use instead.

Dangerous changes (an optional argument added, an enum value added, a default changed)
are reported and do not fail. Additions are neither, so they pass at any version.

``--record`` files the current schema as the release of the current version (the last step
of a release, see README "Releases").

Exit status: 0 passed, 1 failed.
"""

import argparse
import re
import shutil
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

from graphql import (
    DEFAULT_DEPRECATION_REASON,
    BreakingChange,
    DangerousChange,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

ROOT = Path(__file__).resolve().parent.parent
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_HEADING = re.compile(r"^## \[?(\d+\.\d+\.\d+)\]?", re.MULTILINE)
#: A schema coordinate in graphql-core's descriptions: Type.field, Type.field(arg:), @dir(arg:).
_COORDINATE = re.compile(r"@?\w+\.\w+(?:\(\w+:\))?|@\w+(?:\(\w+:\))?")

Version = tuple[int, int, int]


class Paths(NamedTuple):
    schema: Path
    releases: Path
    pyproject: Path
    changelog: Path


class Report(NamedTuple):
    release: str
    version: str
    breaking: list[BreakingChange]
    dangerous: list[DangerousChange]
    problems: list[str]


def parse_version(text: str) -> Version:
    match = _VERSION.match(text)
    if match is None:
        raise ValueError(f"not a version MAJOR.MINOR.PATCH: {text!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def is_breaking_bump(release: Version, version: Version) -> bool:
    """Whether ``version`` may break clients of ``release``: a new major version, or before
    1.0 a new minor one."""
    if version[0] != release[0]:
        return version[0] > release[0]
    return release[0] == 0 and version[1] > release[1]


def coordinate(change: BreakingChange | DangerousChange) -> str:
    """The schema element a change is about, as a CHANGELOG entry must name it."""
    found = _COORDINATE.search(change.description)
    return found.group(0) if found else change.description.split()[0]


def changelog_entries(text: str) -> dict[str, str]:
    """Each version's section of a Keep-a-Changelog file (``## [1.2.0] - date``)."""
    headings = list(_HEADING.finditer(text))
    ends = [heading.start() for heading in headings[1:]] + [len(text)] if headings else []
    return {heading.group(1): text[heading.end():end]
            for heading, end in zip(headings, ends, strict=True)}


def releases(folder: Path) -> dict[Version, Path]:
    return {parse_version(path.stem): path for path in folder.glob("*.graphql")}


def project_version(pyproject: Path) -> str:
    return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def _schema(path: Path) -> GraphQLSchema:
    return build_schema(path.read_text(encoding="utf-8"))


def deprecated_without_reason(schema: GraphQLSchema) -> list[str]:
    """Coordinates deprecated with no reason of their own (graphql's default one)."""
    found = []
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        members: dict[str, object] = {}
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                members[f"{name}.{field_name}"] = field
                members.update({f"{name}.{field_name}({arg}:)": value
                                for arg, value in field.args.items()})
        elif isinstance(kind, GraphQLInputObjectType):
            members.update({f"{name}.{field}": value for field, value in kind.fields.items()})
        elif isinstance(kind, GraphQLEnumType):
            members.update({f"{name}.{value}": item for value, item in kind.values.items()})
        found += [coordinate for coordinate, member in members.items()
                  if getattr(member, "deprecation_reason", None) in (DEFAULT_DEPRECATION_REASON,
                                                                      "")]
    return found


def check(paths: Paths) -> Report:
    """Compare the current schema with the last release's and list what fails the check."""
    released = releases(paths.releases)
    if not released:
        raise SystemExit(f"no released schema in {paths.releases}")
    last = max(released)
    release_text = ".".join(map(str, last))
    version_text = project_version(paths.pyproject)
    version = parse_version(version_text)
    entries = changelog_entries(paths.changelog.read_text(encoding="utf-8"))
    old, new = _schema(released[last]), _schema(paths.schema)
    breaking, dangerous = find_breaking_changes(old, new), find_dangerous_changes(old, new)
    problems = [f"CHANGELOG.md has no entry for the released version {'.'.join(map(str, v))}"
                for v in sorted(released) if ".".join(map(str, v)) not in entries]
    problems += [f"{name} is deprecated without a reason: say what to use instead"
                 for name in deprecated_without_reason(new)]
    if version < last:
        problems.append(f"pyproject.toml's version {version_text} is older than the last "
                        f"release {release_text}")
    elif breaking:
        if not is_breaking_bump(last, version):
            needed = "major" if last[0] else "minor (before 1.0) or major"
            problems.append(f"{len(breaking)} breaking change(s) against {release_text}, but "
                            f"the version {version_text} has not moved its {needed} number")
        elif version_text not in entries:
            problems.append(f"CHANGELOG.md has no entry for {version_text}, which breaks "
                            f"clients of {release_text}")
        else:
            problems += [f"CHANGELOG.md's entry for {version_text} does not name "
                         f"`{coordinate(change)}` ({change.description})"
                         for change in breaking if coordinate(change) not in entries[version_text]]
    return Report(release_text, version_text, breaking, dangerous, problems)


def record(paths: Paths) -> Path:
    """File the current schema as the release of the current version."""
    version = project_version(paths.pyproject)
    parse_version(version)
    target = paths.releases / f"{version}.graphql"
    if target.exists():
        raise SystemExit(f"{target} exists: version {version} is released already")
    if version not in changelog_entries(paths.changelog.read_text(encoding="utf-8")):
        raise SystemExit(f"CHANGELOG.md has no entry for {version}")
    shutil.copyfile(paths.schema, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, default=ROOT / "schema.graphql")
    parser.add_argument("--releases", type=Path, default=ROOT / "schema" / "releases")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    parser.add_argument("--record", action="store_true",
                        help="file the current schema as the current version's release")
    args = parser.parse_args(argv)
    paths = Paths(args.schema, args.releases, args.pyproject, args.changelog)
    if args.record:
        print(f"recorded {record(paths)}")
        return 0
    report = check(paths)
    print(f"schema.graphql (version {report.version}) against release {report.release}: "
          f"{len(report.breaking)} breaking, {len(report.dangerous)} dangerous change(s)")
    for change in report.breaking:
        print(f"  breaking  {change.type.name}: {change.description}")
    for danger in report.dangerous:
        print(f"  dangerous {danger.type.name}: {danger.description}")
    for problem in report.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
