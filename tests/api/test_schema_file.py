"""schema.graphql is generated from the code; denied fields must be nullable."""

from pathlib import Path

from graphql import GraphQLNonNull

from api.guard import GUARDED_TYPES, UNGUARDED_FIELDS
from api.schema import build_schema, schema_sdl
from authz.compiled import compile_policy
from authz.policy import memory_enforcer

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"


def test_schema_file_matches_the_code():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is stale: run `make schema`")


def test_every_guarded_field_is_nullable():
    schema = build_schema()._schema
    for type_name in GUARDED_TYPES:
        for name, field in schema.type_map[type_name].fields.items():
            if name not in UNGUARDED_FIELDS:
                assert not isinstance(field.type, GraphQLNonNull), f"{type_name}.{name}"


def test_every_guarded_field_is_in_the_policy_catalogue():
    catalogue = compile_policy(memory_enforcer(), 1).fields
    schema = build_schema()._schema
    for type_name in GUARDED_TYPES:
        for name in schema.type_map[type_name].fields:
            assert f"{type_name}.{name}" in catalogue, f"{type_name}.{name} has no field group"
