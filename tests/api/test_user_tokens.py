"""User tokens are bound to the account: its id and its token generation, checked on every
request. A deleted, deactivated or revoked account's tokens fail at once; a re-created
username does not inherit them."""

import os
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import text

from tests.api.helpers import errors_by_code
from tests.api.processes import server

ME = "{ me { username roles { role } } }"
REVOKE = """mutation R($username: String!) {
  revokeUserTokens(username: $username) { username tokenGeneration } }"""


async def _status(client, bearer: str) -> int:
    response = await client.post("/graphql", json={"query": ME},
                                 headers={"Authorization": f"Bearer {bearer}"})
    return response.status_code


async def _delete(database, username: str) -> None:
    async with database.begin() as connection:
        await connection.execute(text(
            "DELETE FROM role_assignments WHERE user_id IN "
            "(SELECT id FROM users WHERE username = :name)"), {"name": username})
        await connection.execute(text("DELETE FROM users WHERE username = :name"),
                                 {"name": username})


async def test_a_token_of_a_deleted_account_is_refused(client, token, account, database):
    # given an account and its token, which works
    username = await account("leaver", [("org", 2)])
    bearer = token(username)
    assert await _status(client, bearer) == 200
    # when the account is deleted, then the token is refused at once
    await _delete(database, username)
    assert await _status(client, bearer) == 401


async def test_a_recreated_username_does_not_inherit_old_tokens(client, token, account,
                                                                database):
    # given a discipline officer's token, then his account deleted
    old = await account("namesake", [("discipline", 1)])
    stale = token(old)
    await _delete(database, old)
    # when another account is created under the same name with the org role
    async with database.begin() as connection:
        user_id = (await connection.execute(text(
            "INSERT INTO users (username, display_name, active, created_at) "
            "VALUES (:name, :name, :yes, CURRENT_TIMESTAMP) RETURNING id"),
            {"name": old, "yes": True})).scalar_one()
        await connection.execute(text("INSERT INTO role_assignments (user_id, role, unit_id) "
                                      "VALUES (:id, 'org', 1)"), {"id": user_id})
    # then the old token is refused, and a token of the new account works
    assert await _status(client, stale) == 401
    assert await _status(client, token(old, fresh=True)) == 200


async def test_a_token_of_a_deactivated_account_is_refused(client, token, account, database):
    username = await account("deactivated", [("org", 2)])
    bearer = token(username)
    assert await _status(client, bearer) == 200
    async with database.begin() as connection:
        await connection.execute(text("UPDATE users SET active = :no WHERE username = :name"),
                                 {"no": False, "name": username})
    assert await _status(client, bearer) == 401


async def test_revoking_a_users_tokens_refuses_every_outstanding_one(client, token, account,
                                                                     as_user):
    # given an officer holding two tokens that work
    username = await account("revoked", [("org", 2)])
    first, second = token(username), token(username, ttl=600)
    assert await _status(client, first) == await _status(client, second) == 200
    # when the admin revokes his tokens
    body = await as_user("demo-admin")(REVOKE, username=username)
    assert body["data"]["revokeUserTokens"]["tokenGeneration"] == 2
    # then both are refused from the next request on; a token issued after works
    assert await _status(client, first) == await _status(client, second) == 401
    assert await _status(client, token(username, fresh=True)) == 200


@pytest.mark.parametrize("caller", ["demo-org", "demo-discipline", "demo-cadre"])
async def test_only_the_admin_revokes_a_users_tokens(client, token, account, as_user, caller):
    username = await account("kept", [("org", 2)])
    bearer = token(username)
    body = await as_user(caller)(REVOKE, username=username)
    assert errors_by_code(body, "FORBIDDEN")
    assert await _status(client, bearer) == 200


async def test_revoking_the_tokens_of_an_unknown_account_is_not_found(as_user):
    body = await as_user("demo-admin")(REVOKE, username="nobody-at-all")
    assert errors_by_code(body, "NOT_FOUND")


async def test_revocations_are_on_the_audit_trail(as_user, account):
    username = await account("audited", [("org", 2)])
    await as_user("demo-admin")(REVOKE, username=username)
    trail = (await as_user("demo-admin")("""{ auditEvents(filter: {recordType: "UserAccount",
      actor: "demo-admin"}, first: 100) { edges { node { operation } } } }"""))
    assert "revokeUserTokens" in [e["node"]["operation"]
                                  for e in trail["data"]["auditEvents"]["edges"]]


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="two server processes share PostgreSQL")
async def test_a_revocation_on_one_server_is_refused_by_the_other_at_once(
        settings, token, account):
    username = await account("everywhere", [("org", 2)])
    bearer = token(username)
    admin = token("demo-admin")
    with ExitStack() as stack:
        a, b = (stack.enter_context(server(settings.database_url)) for _ in range(2))
        async with httpx.AsyncClient(timeout=10) as http:
            def call(url: str, who: str, query: str, **variables: str):  # noqa: ANN202
                return http.post(url, json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {who}"})

            assert (await call(b, bearer, ME)).status_code == 200
            revoked = await call(a, admin, REVOKE, username=username)
            assert "errors" not in revoked.json()
            # The very next request on the other server is refused.
            assert (await call(b, bearer, ME)).status_code == 401


DEACTIVATE = "mutation D($username: String!) { deactivateUser(username: $username) { username } }"


async def test_deactivating_an_account_refuses_its_tokens_for_good(client, token, account,
                                                                    as_user, database):
    # given an officer whose token works
    username = await account("retired", [("org", 2)])
    bearer = token(username)
    assert await _status(client, bearer) == 200
    # when the admin deactivates the account, then the token is refused at once
    body = await as_user("demo-admin")(DEACTIVATE, username=username)
    assert body["data"]["deactivateUser"]["username"] == username
    assert await _status(client, bearer) == 401
    # and stays refused if the account is activated again later
    async with database.begin() as connection:
        await connection.execute(text("UPDATE users SET active = :yes WHERE username = :name"),
                                 {"yes": True, "name": username})
    assert await _status(client, bearer) == 401
    assert await _status(client, token(username, fresh=True)) == 200


async def test_the_admin_may_not_deactivate_his_own_account(client, token, as_user):
    body = await as_user("demo-admin")(DEACTIVATE, username="demo-admin")
    assert errors_by_code(body, "FORBIDDEN")[0]["extensions"]["reason"] == "OWN_ACCOUNT"
    assert await _status(client, token("demo-admin")) == 200


async def test_only_the_admin_deactivates_an_account(client, token, account, as_user):
    username = await account("staying", [("org", 2)])
    body = await as_user("demo-org")(DEACTIVATE, username=username)
    assert errors_by_code(body, "FORBIDDEN")
    assert await _status(client, token(username)) == 200
