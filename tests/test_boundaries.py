"""The layers keep to their places, read from the sources.

`authz/` decides from the policy and imports nothing of `db/`. `workflows/` hold rules
and no SQL (their statements live in `db.repositories`), and speak the domain's names:
the API's names (a ``Type.field`` of the schema, a mutation's name) are formed in `api/`
(the declarations of `api.writes`) and in `authz/` (the policy's keys).
"""

import ast
from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLObjectType, build_schema

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _strings(path: Path) -> set[str]:
    return {node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _graphql_names() -> set[str]:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    names = set()
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
            names |= {f"{type_.name}.{field}" for field in type_.fields}
    if schema.mutation_type is not None:
        names |= set(schema.mutation_type.fields)
    return names


def test_no_module_of_authz_imports_db():
    offenders = {path.name: sorted(name for name in _imports(path)
                                   if name == "db" or name.startswith("db."))
                 for path in _modules("authz")}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_module_of_workflows_holds_a_graphql_name():
    names = _graphql_names()
    offenders = {path.name: sorted(_strings(path) & names) for path in _modules("workflows")}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_module_of_workflows_writes_sql():
    # The session's type may be named; statements are built in db/ only.
    offenders = {path.name: sorted(name for name in _imports(path)
                                   if name.startswith("sqlalchemy")
                                   and name != "sqlalchemy.ext.asyncio")
                 for path in _modules("workflows")}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_boundary_check_sees_a_graphql_name(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text('FIELDS = ["Cadre.idNumber"]\nOPERATION = "createCadre"\n')
    assert _strings(module) & _graphql_names() == {"Cadre.idNumber", "createCadre"}
