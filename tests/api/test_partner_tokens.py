"""The system administrator issues, lists and revokes partner tokens and registers persisted
operations, over HTTP; secrets are shown once and kept only as hashes; bad tokens answer 401."""

import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from authz.tokens import new_secret
from tests.api.partner_helpers import (
    ALLOW,
    ISSUE,
    REGISTER,
    REVOKE,
    TOKENS,
    Partner,
    in_days,
    issue,
    register,
    unique,
    unit_ids,
)

UNITS_OP = "query PartnerUnits { units { code } }"
CADRE_NAMES = "query PartnerNames { cadres(first: 3) { edges { node { name } } } }"


async def _issued(as_user: Any, **extra: Any) -> dict[str, Any]:
    admin = as_user("demo-admin")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]],
                       operations=[await register(admin, UNITS_OP, "units")], **extra)
    assert "errors" not in body, body
    return body["data"]["issuePartnerToken"]


async def _rows(database: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with database.connect() as connection:
        return [dict(row._mapping) for row in await connection.execute(text(sql), params)]


async def test_an_admin_issues_a_token_whose_secret_is_stored_only_as_a_hash(as_user,
                                                                              database):
    payload = await _issued(as_user)

    secret, token = payload["secret"], payload["token"]
    assert secret.startswith("cp_") and len(secret) >= 40
    assert token["scopes"] == ["cadre:basic", "evaluation:grade"]
    assert token["units"] == [{"code": "C-K1"}] and token["active"] is True
    assert token["operations"][0]["name"] == "units"
    [row] = await _rows(database, "SELECT * FROM partner_tokens WHERE id = :id",
                        id=int(token["id"]))
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) for value in row.values())
    trail = await _rows(database, "SELECT * FROM audit_events ORDER BY id DESC LIMIT 5")
    assert not any(secret in str(value) for event in trail for value in event.values())


async def test_listing_tokens_never_shows_a_secret(as_user):
    payload = await _issued(as_user)

    body = await as_user("demo-admin")(TOKENS)

    listed = {t["id"]: t for t in body["data"]["partnerTokens"]}
    assert listed[payload["token"]["id"]]["name"] == payload["token"]["name"]
    assert payload["secret"] not in str(body)
    fields = await as_user("demo-admin")('{ __type(name: "PartnerToken") { fields { name } } }')
    assert "secret" not in {f["name"] for f in fields["data"]["__type"]["fields"]}


async def test_only_the_admin_administers_tokens(as_user, count_rows):
    org = as_user("demo-org")
    before = await count_rows("partner_tokens")

    refused = await issue(org, ["1"])
    listed = await org(TOKENS)

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed["data"]["partnerTokens"] == []
    assert await count_rows("partner_tokens") == before
    admin = await as_user("demo-admin")(TOKENS)
    assert admin["data"]["partnerTokens"]


async def test_the_partner_is_served_until_the_token_is_revoked(as_user, client):
    payload = await _issued(as_user)
    partner = Partner(client, payload["secret"])
    sha = hashlib.sha256(UNITS_OP.encode()).hexdigest()
    assert (await partner.run(sha))["status"] == 200

    revoked = await as_user("demo-admin")(REVOKE, id=payload["token"]["id"])
    after = await partner.run(sha)

    assert revoked["data"]["revokePartnerToken"]["token"]["active"] is False
    assert after["status"] == 401
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = await as_user("demo-admin")(REVOKE, id=payload["token"]["id"])
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_bad_partner_tokens_all_answer_401_with_one_message(as_user, client, database,
                                                                  token):
    expired = await _issued(as_user)
    await _set(database, "UPDATE partner_tokens SET expires_at = :at WHERE id = :id",
               at=_past(), id=int(expired["token"]["id"]))
    revoked = await _issued(as_user)
    await as_user("demo-admin")(REVOKE, id=revoked["token"]["id"])
    sha = hashlib.sha256(UNITS_OP.encode()).hexdigest()
    bearers = [expired["secret"], revoked["secret"], "cp_short", new_secret(),
               revoked["secret"][:-1] + "*", token("demo-org", -10)]

    answers = [await Partner(client, bearer).run(sha) for bearer in bearers]

    assert {a["status"] for a in answers} == {401}
    assert len({a["errors"][0]["message"] for a in answers}) == 1
    assert {a["errors"][0]["extensions"]["code"] for a in answers} == {"UNAUTHENTICATED"}


async def test_last_use_is_recorded_at_most_once_a_minute(as_user, client):
    payload = await _issued(as_user)
    partner = Partner(client, payload["secret"])
    sha = hashlib.sha256(UNITS_OP.encode()).hexdigest()
    token_id = payload["token"]["id"]

    before = await _token(as_user, token_id)
    await partner.run(sha)
    first = await _token(as_user, token_id)
    await partner.run(sha)
    second = await _token(as_user, token_id)

    assert before["lastUsedAt"] is None
    assert first["lastUsedAt"] is not None and second["lastUsedAt"] == first["lastUsedAt"]


async def test_every_admin_action_is_on_the_audit_trail(as_user, database):
    admin = as_user("demo-admin")
    query = f"query Audited{unique('x').replace('-', '')} {{ units {{ id }} }}"
    await admin(REGISTER, input={"name": "audited", "query": query})
    payload = await _issued(as_user)
    token_id = payload["token"]["id"]
    await admin(ALLOW, tokenId=token_id, hashes=[hashlib.sha256(query.encode()).hexdigest()])
    await admin(REVOKE, id=token_id)

    events = await _rows(database, "SELECT actor, operation, record_type FROM audit_events "
                                   "ORDER BY id DESC LIMIT 4")

    assert [e["operation"] for e in reversed(events)] == [
        "registerPersistedOperation", "issuePartnerToken", "allowPartnerOperations",
        "revokePartnerToken"]
    assert {e["actor"] for e in events} == {"demo-admin"}


async def test_allowing_more_operations_keeps_those_already_allowed(as_user):
    payload = await _issued(as_user)
    sha = await register(as_user("demo-admin"), CADRE_NAMES, "names")

    body = await as_user("demo-admin")(ALLOW, tokenId=payload["token"]["id"], hashes=[sha])

    held = {op["id"] for op in body["data"]["allowPartnerOperations"]["token"]["operations"]}
    assert held == {sha, payload["token"]["operations"][0]["id"]}


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"scopes": ["cadre:personal"]}, "BAD_USER_INPUT", "scopes"),
    ({"scopes": []}, "BAD_USER_INPUT", "scopes"),
    ({"expiresAt": "2001-01-01T00:00:00+00:00"}, "BAD_USER_INPUT", "expiresAt"),
    ({"expiresAt": in_days(400)}, "BAD_USER_INPUT", "expiresAt"),
    ({"expiresAt": "2030-01-01T00:00:00"}, "BAD_USER_INPUT", "expiresAt"),
    ({"unitIds": ["999999"]}, "NOT_FOUND", "unitIds"),
    ({"unitIds": ["x"]}, "BAD_USER_INPUT", "unitIds"),
    ({"unitIds": []}, "BAD_USER_INPUT", "unitIds"),
    ({"name": "  "}, "BAD_USER_INPUT", "name"),
    ({"agency": "x" * 101}, "BAD_USER_INPUT", "agency"),
    ({"operations": ["0" * 64]}, "NOT_FOUND", "operations"),
    ({"operations": ["nope"]}, "BAD_USER_INPUT", "operations"),
], ids=["unknown scope", "no scope", "past expiry", "too far", "naive time", "unknown unit",
        "bad unit id", "no unit", "blank name", "long agency", "unknown operation",
        "bad hash"])
async def test_bad_input_to_issue_is_refused_without_a_write(as_user, count_rows, change,
                                                             code, field):
    admin = as_user("demo-admin")
    before = await count_rows("partner_tokens"), await count_rows("audit_events")
    token_input = {"name": unique("bad"), "agency": "统计局", "scopes": ["cadre:basic"],
                   "unitIds": [(await unit_ids(admin))["C-K1"]], "expiresAt": in_days(30),
                   **change}

    body = await admin(ISSUE, input=token_input)

    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"].get("field")) == (code, field)
    assert (await count_rows("partner_tokens"), await count_rows("audit_events")) == before


async def test_a_second_token_of_the_same_name_conflicts(as_user):
    payload = await _issued(as_user)
    admin = as_user("demo-admin")
    body = await issue(admin, [(await unit_ids(admin))["C-K1"]],
                       name=payload["token"]["name"])
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"


@pytest.mark.parametrize("query", ["{ cadres { ", "{ cadres { nonsense } }", " "],
                         ids=["does not parse", "does not validate", "blank"])
async def test_registering_an_invalid_operation_is_bad_input(as_user, count_rows, query):
    before = await count_rows("persisted_operations")
    body = await as_user("demo-admin")(REGISTER, input={"name": "bad", "query": query})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "query"
    assert await count_rows("persisted_operations") == before


async def test_registering_returns_the_sha256_of_the_text_and_conflicts_the_second_time(
        as_user):
    query = f"query Twice{unique('x').replace('-', '')} {{ units {{ code }} }}"
    admin = as_user("demo-admin")
    first = await admin(REGISTER, input={"name": "twice", "query": query})
    second = await admin(REGISTER, input={"name": "twice", "query": query})
    operation = first["data"]["registerPersistedOperation"]["operation"]
    assert operation["id"] == hashlib.sha256(query.encode()).hexdigest()
    assert second["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_a_mutation_cannot_be_assigned_to_a_token(as_user):
    mutation = 'mutation { revokePartnerToken(id: "1") { token { id } } }'
    sha = await register(as_user("demo-admin"), mutation, "a mutation")
    payload = await _issued(as_user)
    body = await as_user("demo-admin")(ALLOW, tokenId=payload["token"]["id"], hashes=[sha])
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not a query" in body["errors"][0]["message"]


async def _token(as_user: Any, token_id: str) -> dict[str, Any]:
    body = await as_user("demo-admin")(TOKENS)
    return next(t for t in body["data"]["partnerTokens"] if t["id"] == token_id)


async def _set(database: Any, sql: str, **params: Any) -> None:
    async with database.begin() as connection:
        await connection.execute(text(sql), params)


def _past() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(minutes=1)
