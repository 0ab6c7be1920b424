"""Registering a client's manifest (Apollo's generator, graphql-codegen's persisted
documents) and running its operations as a partner, by POST and by GET, as Apollo's
persisted-queries link sends them. The two manifests are the tools' own output for the
operations of examples/typescript."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.helpers import errors_by_code, nodes
from tests.api.partner_helpers import Partner, issue, unique, unit_ids
from tests.api.test_cli import cadre

HERE = Path(__file__).parent / "manifests"
APOLLO = (HERE / "apollo.json").read_text()
CODEGEN = (HERE / "codegen.json").read_text()
REGISTER = """mutation Register($manifest: String!, $tokenId: ID) {
  registerPersistedOperations(manifest: $manifest, tokenId: $tokenId) {
    operations { id name query } token { id operations { id } } } }"""
PERSONAL = "query ManifestPersonal { cadres(first: 1) { edges { node { idNumber } } } }"


def _ids(manifest: str) -> dict[str, str]:
    """Operation name → id, as the client will send it."""
    data = json.loads(manifest)
    if "operations" in data:
        return {op["name"]: op["id"] for op in data["operations"]}
    return {body.split()[1].split("(")[0]: key for key, body in data.items()}


@pytest.fixture(scope="module")
async def partner(client: Any, as_user: Any) -> tuple[Partner, str]:
    admin = as_user("demo-admin")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]])
    payload = body["data"]["issuePartnerToken"]
    return Partner(client, payload["secret"]), payload["token"]["id"]


async def _get(partner: Partner, operation_id: str, **variables: Any) -> dict[str, Any]:
    """A GET as Apollo's link sends it with ``useGETForHashedQueries``."""
    params = {"operationName": "PartnerGrades", "variables": json.dumps(variables),
              "extensions": json.dumps({"persistedQuery": {"version": 1,
                                                           "sha256Hash": operation_id}})}
    response = await partner.http.get("/graphql", params=params, headers={
        **partner.headers, "accept": "application/graphql-response+json,application/json;"
                                     "q=0.9"})
    return {**response.json(), "status": response.status_code}


@pytest.mark.parametrize("manifest", [APOLLO, CODEGEN], ids=["apollo", "codegen"])
async def test_a_partner_runs_a_manifests_operation_by_its_id_by_post_and_get(
        as_user, partner, manifest):
    admin = as_user("demo-admin")
    client, token_id = partner
    body = await admin(REGISTER, manifest=manifest, tokenId=token_id)
    assert "errors" not in body, body
    operation_id = _ids(manifest)["PartnerGrades"]
    assert operation_id in {op["id"] for op in
                            body["data"]["registerPersistedOperations"]["token"]["operations"]}

    posted = await client.run(operation_id, first=5)
    got = await _get(client, operation_id, first=5)

    assert posted["status"] == got["status"] == 200
    assert nodes(posted) == nodes(got) and len(nodes(posted)) == 5
    assert all(n["unit"]["code"].startswith("C-K1") and n["__typename"] == "Cadre"
               for n in nodes(posted))
    assert any(e["grade"] for n in nodes(posted) for e in n["evaluations"])


async def test_codegen_ids_are_sha1_and_apollo_ids_sha256_of_the_registered_text(as_user):
    body = await as_user("demo-admin")(REGISTER, manifest=CODEGEN)
    for operation in body["data"]["registerPersistedOperations"]["operations"]:
        assert operation["id"] == hashlib.sha1(operation["query"].encode()).hexdigest()
    body = await as_user("demo-admin")(REGISTER, manifest=APOLLO)
    for operation in body["data"]["registerPersistedOperations"]["operations"]:
        assert operation["id"] == hashlib.sha256(operation["query"].encode()).hexdigest()
        assert "__typename" in operation["query"]


async def test_registering_a_manifest_again_changes_nothing(as_user, count_rows):
    admin = as_user("demo-admin")
    await admin(REGISTER, manifest=APOLLO)
    before = await count_rows("persisted_operations")
    body = await admin(REGISTER, manifest=APOLLO)
    assert [op["id"] for op in body["data"]["registerPersistedOperations"]["operations"]] == [
        op["id"] for op in json.loads(APOLLO)["operations"]]
    assert await count_rows("persisted_operations") == before


def _forged() -> str:
    """A codegen manifest whose id names another text than its own."""
    other = "query Forged { units { code } }"
    return json.dumps({hashlib.sha1(b"query Other { units { id } }").hexdigest(): other})


@pytest.mark.parametrize("manifest", [
    "not json", "[]", json.dumps({"format": "apollo-persisted-query-manifest", "version": 2,
                                  "operations": []}),
    json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                "operations": [{"id": "abc", "name": "X", "body": "query X { units { id } }"}]}),
    json.dumps({}), _forged(),
    json.dumps({hashlib.sha1(b"query Bad { nope }").hexdigest(): "query Bad { nope }"}),
], ids=["not-json", "a-list", "version-2", "short-id", "empty", "forged-id", "invalid"])
async def test_a_bad_manifest_is_refused_and_nothing_is_registered(as_user, count_rows,
                                                                   manifest):
    before = await count_rows("persisted_operations")
    body = await as_user("demo-admin")(REGISTER, manifest=manifest)
    [error] = errors_by_code(body, "BAD_USER_INPUT")
    assert error["extensions"]["field"] == "manifest"
    assert body["data"] is None
    assert await count_rows("persisted_operations") == before


async def test_an_operation_outside_the_tokens_scopes_refuses_the_whole_manifest(
        as_user, partner, database):
    manifest = json.dumps({hashlib.sha256(PERSONAL.encode()).hexdigest(): PERSONAL})
    body = await as_user("demo-admin")(REGISTER, manifest=manifest, tokenId=partner[1])
    [error] = errors_by_code(body, "BAD_USER_INPUT")
    assert error["extensions"]["field"] == "tokenId"
    async with database.connect() as connection:
        found = await connection.scalar(text(
            "SELECT count(*) FROM persisted_operations WHERE name = 'ManifestPersonal'"))
    assert found == 0


async def test_only_the_system_admin_registers_a_manifest(as_user, count_rows):
    before = await count_rows("persisted_operations")
    body = await as_user("demo-org")(REGISTER, manifest=CODEGEN)
    assert errors_by_code(body, "FORBIDDEN") and body["data"] is None
    assert await count_rows("persisted_operations") == before


async def test_a_partner_sending_the_manifests_text_is_still_refused(as_user, partner):
    client, token_id = partner
    await as_user("demo-admin")(REGISTER, manifest=APOLLO, tokenId=token_id)
    [operation] = [op for op in json.loads(APOLLO)["operations"]
                   if op["name"] == "PartnerGrades"]
    body = await client.post({"query": operation["body"], "extensions": {"persistedQuery": {
        "version": 1, "sha256Hash": operation["id"]}}})
    assert body["status"] == 403
    assert errors_by_code(body, "PERSISTED_QUERY_REQUIRED")


async def test_the_command_registers_a_manifest_for_a_named_token(as_user, client,
                                                                  database_url, tmp_path):
    admin = as_user("demo-admin")
    name = unique("manifest")
    token = await issue(admin, [(await unit_ids(admin))["C-K1"]], name=name)
    secret = token["data"]["issuePartnerToken"]["secret"]
    path = tmp_path / "persisted-documents.json"
    path.write_text(CODEGEN)

    result = cadre("partner", "register-operations", str(path), "--token", name, "--by",
                   "demo-admin", database_url=database_url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == list(json.loads(CODEGEN))
    answer = await Partner(client, secret).run(_ids(CODEGEN)["PartnerGrades"], first=2)
    assert answer["status"] == 200 and len(nodes(answer)) == 2


async def test_the_command_refuses_an_unknown_token(database_url, tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(APOLLO)
    result = cadre("partner", "register-operations", str(path), "--token", "no-such-token",
                   "--by", "demo-admin", database_url=database_url, cwd=tmp_path)
    assert result.returncode == 1 and "no-such-token" in result.stderr
