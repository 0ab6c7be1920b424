"""Reading persisted-operation manifests in Apollo's and graphql-codegen's formats."""

import hashlib
import json

import pytest

from domain.errors import InvalidInput
from domain.manifests import id_matches, is_operation_id, read_manifest

TEXT = "query Grades($first: Int) {\n  cadres(first: $first) {\n    __typename\n  }\n}"
SHA256 = hashlib.sha256(TEXT.encode()).hexdigest()
SHA1 = hashlib.sha1(TEXT.encode()).hexdigest()


def apollo(*operations: dict) -> str:
    return json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                       "operations": list(operations)})


def test_an_apollo_manifest_gives_each_operation_its_id_name_and_text():
    [found] = read_manifest(apollo({"id": SHA256, "name": "Grades", "type": "query",
                                    "body": TEXT}))
    assert (found.id, found.name, found.body) == (SHA256, "Grades", TEXT)


def test_codegen_documents_are_named_after_their_operation_with_sha1_or_sha256_ids():
    found = read_manifest(json.dumps({SHA1: TEXT, SHA256: TEXT}))
    assert [(op.id, op.name) for op in found] == [(SHA1, "Grades"), (SHA256, "Grades")]


def test_an_anonymous_document_is_named_after_its_id():
    text = "{ units { id } }"
    [found] = read_manifest(json.dumps({hashlib.sha1(text.encode()).hexdigest(): text}))
    assert found.name.startswith("operation ")


@pytest.mark.parametrize("operation_id", [SHA1, SHA256])
def test_an_id_matches_only_the_hash_of_its_own_text(operation_id):
    assert is_operation_id(operation_id) and id_matches(operation_id, TEXT)
    assert not id_matches(operation_id, TEXT + " ")


@pytest.mark.parametrize("value", ["", SHA256.upper(), SHA256[:-1], "g" * 64, SHA1 + "0"])
def test_ids_are_lowercase_hex_of_40_or_64_digits(value):
    assert not is_operation_id(value)


@pytest.mark.parametrize("text", [
    "{", "[]", "{}", json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}),
    apollo({"id": SHA256, "name": "Grades", "body": TEXT + "\n"}),
    apollo({"id": SHA256, "name": "", "body": TEXT}),
    apollo({"id": SHA256, "name": "Grades"}),
    json.dumps({SHA1: 7}), json.dumps({"x" * 40: TEXT}),
    json.dumps({hashlib.sha1(str(i).encode()).hexdigest(): str(i) for i in range(101)}),
])
def test_malformed_manifests_are_refused_naming_the_manifest(text):
    with pytest.raises(InvalidInput) as refused:
        read_manifest(text)
    assert refused.value.field == "manifest"
