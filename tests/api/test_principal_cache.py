"""A server keeps each account's principal and proves it current on every request, in the
request's transaction: a change to the account, its roles or its cadre file, made by any
writer (here: plain SQL, as an operator would), applies from the next request on."""

from sqlalchemy import literal, select, text

from api.auth import TokenSubject, TokenUser
from api.principals import Principals, policy_version_column
from db.engine import create_engine, create_sessionmaker
from tests.api.test_sql_statements import counting_statements

ME = "{ me { username roles { role unit { name } } cadre { id } } }"
CADRE = 'query C($id: ID!) { cadre(id: $id) { id name } }'


async def _me(client, bearer: str) -> tuple[int, dict]:
    response = await client.post("/graphql", json={"query": ME},
                                 headers={"Authorization": f"Bearer {bearer}"})
    return response.status_code, response.json()


async def _sql(database, statement: str, **values) -> None:
    async with database.begin() as connection:
        await connection.execute(text(statement), values)


async def test_a_role_granted_by_sql_applies_at_the_next_request(client, token, account,
                                                                database):
    # given an account holding one role, whose principal the server has read
    username = await account("grantee", [("discipline", 1)])
    bearer = token(username)
    status, body = await _me(client, bearer)
    assert status == 200 and [r["role"] for r in body["data"]["me"]["roles"]] == ["DISCIPLINE"]
    # when a second role is written straight into the table
    await _sql(database, "INSERT INTO role_assignments (user_id, role, unit_id) "
                         "SELECT id, 'org', 2 FROM users WHERE username = :name", name=username)
    # then the next request holds both
    status, body = await _me(client, bearer)
    assert sorted(r["role"] for r in body["data"]["me"]["roles"]) == ["DISCIPLINE", "ORG"]


async def test_a_role_revoked_by_sql_stops_applying_at_the_next_request(client, token,
                                                                        account, database):
    # given an org officer of the whole city, who reads a cadre
    username = await account("revokee", [("org", 1)])
    bearer = token(username)
    headers = {"Authorization": f"Bearer {bearer}"}
    seen = await client.post("/graphql", json={"query": CADRE, "variables": {"id": "1"}},
                             headers=headers)
    assert seen.json()["data"]["cadre"]["id"] == "1"
    # when his role is deleted by SQL
    await _sql(database, "DELETE FROM role_assignments WHERE user_id = "
                         "(SELECT id FROM users WHERE username = :name)", name=username)
    # then the cadre is out of his scope at once
    unseen = await client.post("/graphql", json={"query": CADRE, "variables": {"id": "1"}},
                               headers=headers)
    assert unseen.json()["data"]["cadre"] is None


async def test_a_deactivation_by_sql_refuses_the_cached_account(client, token, account,
                                                               database):
    username = await account("deactivated", [("org", 2)])
    bearer = token(username)
    assert (await _me(client, bearer))[0] == 200
    await _sql(database, "UPDATE users SET active = :no WHERE username = :name",
               no=False, name=username)
    assert (await _me(client, bearer))[0] == 401
    # twin: activated again, the same token works again (its generation never moved)
    await _sql(database, "UPDATE users SET active = :yes WHERE username = :name",
               yes=True, name=username)
    assert (await _me(client, bearer))[0] == 200


async def test_a_changed_cadre_file_and_username_apply_at_the_next_request(client, token,
                                                                         account, database):
    username = await account("linked", [("cadre", None)], cadre_id=None)
    bearer = token(username)
    assert (await _me(client, bearer))[1]["data"]["me"]["cadre"] is None
    await _sql(database, "UPDATE users SET cadre_id = (SELECT min(id) FROM cadres WHERE id NOT "
                         "IN (SELECT cadre_id FROM users WHERE cadre_id IS NOT NULL)), "
                         "username = :new WHERE username = :name",
               new=f"{username}-renamed", name=username)
    me = (await _me(client, bearer))[1]["data"]["me"]
    assert me["username"] == f"{username}-renamed"
    assert me["cadre"] is not None


async def test_a_known_account_costs_one_statement_and_no_read_of_its_roles(client, token,
                                                                           account):
    # given an account the server has read once
    username = await account("known", [("org", 2), ("discipline", 3)])
    bearer = token(username)
    await _me(client, bearer)
    # when it calls again
    with counting_statements() as statements:
        status, body = await _me(client, bearer)
    # then its roles come from the cache: the only statement on the account is the check
    assert status == 200 and len(body["data"]["me"]["roles"]) == 2
    on_accounts = [s for s in statements if "FROM users" in s]
    assert len(on_accounts) == 1, statements
    assert not any("role_assignments" in s for s in statements), statements


async def test_the_account_check_can_ride_along_another_statement(database_url, account,
                                                                  database):
    # given an account whose principal a server knows
    username = await account("rider", [("org", 2)])
    async with database.begin() as connection:
        user_id, generation = (await connection.execute(text(
            "SELECT id, token_generation FROM users WHERE username = :name"),
            {"name": username})).one()
    user = TokenUser(TokenSubject(user_id, generation))
    principals = Principals()
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            assert (await principals.resolve(session, user)).check is None  # read: proven
            caller = await principals.resolve(session, user)  # known: to be proven
            # when a statement doing other work carries the check and the policy version
            row = (await session.execute(select(caller.check.condition(),
                                                policy_version_column(),
                                                literal(7).label("work")))).one()
            # then they hold, and settle to the same principal
            assert row.fresh and row.policy_version >= 1 and row.work == 7
            settled = await principals.settle(session, user, caller, row.fresh,
                                              row.policy_version)
            assert settled.principal == caller.principal and settled.check is None
        # twin: once the account is deactivated, the same statement says so
        await _sql(database, "UPDATE users SET active = :no WHERE id = :id", no=False,
                   id=user_id)
        async with sessions() as session:
            caller = await principals.resolve(session, user)
            row = (await session.execute(select(caller.check.condition()))).one()
            assert not row.fresh
            assert await principals.settle(session, user, caller, row.fresh) is None
    finally:
        await engine.dispose()
