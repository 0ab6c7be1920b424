"""The unit tree is cached with the policy, per policy version: no request reads it, and a
write to the units (here by SQL, as the seed or an operator makes it) raises the version,
so the next request sees the new tree."""

import httpx
from sqlalchemy import text

from tests.api.helpers import units_changed
from tests.api.test_sql_statements import ROSTER_PAGE, counting_statements

UNITS = "{ units { code name } }"
CODE = "CACHE-T1"


def _codes(body: dict) -> set[str]:
    return {unit["code"] for unit in body["data"]["units"]}


async def test_a_roster_request_reads_no_unit_tree(as_user):
    org = as_user("demo-org")
    await org(ROSTER_PAGE, first=10)  # the policy and the tree are loaded by now
    with counting_statements() as statements:
        body = await org(ROSTER_PAGE, first=10)
    assert body["data"]["cadres"]["edges"][0]["node"]["unit"]["name"]
    assert not [s for s in statements if "FROM units" in s and "JOIN" not in s], statements


async def test_a_unit_added_and_removed_outside_the_api_is_seen_once_announced(
        as_user, database, database_url):
    org = as_user("demo-org")
    assert CODE not in _codes(await org(UNITS))
    async with database.begin() as connection:
        await connection.execute(text(
            "INSERT INTO units (code, name, kind, parent_id) "
            "SELECT :code, '缓存测试镇', 'TOWNSHIP', id FROM units WHERE parent_id IS NULL"),
            {"code": CODE})
    try:
        await units_changed(database_url, org, CODE)
    finally:
        async with database.begin() as connection:
            await connection.execute(text("DELETE FROM units WHERE code = :code"),
                                     {"code": CODE})
    await units_changed(database_url, org, CODE, present=False)


async def test_without_redis_a_unit_change_is_seen_by_the_very_next_request(
        settings, database, token):
    """No channel to trust: the version is read per request, as for the policy."""
    from api.app import create_app
    from tests.conftest import GraphQLClient

    app = create_app(settings.model_copy(update={"redis_url": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            org = GraphQLClient(http, token("demo-org"))
            assert CODE not in _codes(await org(UNITS))
            async with database.begin() as connection:
                await connection.execute(text(
                    "INSERT INTO units (code, name, kind, parent_id) SELECT :code, "
                    "'缓存测试镇', 'TOWNSHIP', id FROM units WHERE parent_id IS NULL"),
                    {"code": CODE})
            try:
                assert CODE in _codes(await org(UNITS))
            finally:
                async with database.begin() as connection:
                    await connection.execute(text("DELETE FROM units WHERE code = :code"),
                                             {"code": CODE})
            assert CODE not in _codes(await org(UNITS))
