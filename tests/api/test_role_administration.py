"""Role administration rules over HTTP: no account changes its own roles, and the system
admin role never shares an account with a data role, in either order."""

from tests.api.helpers import errors_by_code
from tests.api.test_policy_admin import ASSIGN, REVOKE

ROLES_OF = """query { users { username roles { role unit { code } } } }"""
TRAIL = """{ auditEvents(filter: {recordType: "UserAccount", actor: "demo-admin"}, first: 100) {
  edges { node { operation actor fields } } } }"""


def _reason(body: dict) -> str:
    return errors_by_code(body, "FORBIDDEN")[0]["extensions"]["reason"]


async def _roles(as_user, username: str) -> set[tuple[str, str | None]]:
    users = (await as_user("demo-admin")(ROLES_OF))["data"]["users"]
    found = next(u for u in users if u["username"] == username)
    return {(r["role"], (r["unit"] or {}).get("code")) for r in found["roles"]}


async def test_the_admin_may_not_give_himself_a_role(as_user):
    # when the admin assigns himself the org role, then FORBIDDEN (OWN_ACCOUNT)
    body = await as_user("demo-admin")(ASSIGN, input={"username": "demo-admin", "role": "ORG",
                                                      "unitCode": "C"})
    assert _reason(body) == "OWN_ACCOUNT"
    assert await _roles(as_user, "demo-admin") == {("ADMIN", None)}


async def test_the_admin_may_not_withdraw_his_own_role(as_user):
    body = await as_user("demo-admin")(REVOKE, input={"username": "demo-admin",
                                                      "role": "ADMIN"})
    assert _reason(body) == "OWN_ACCOUNT"
    assert await _roles(as_user, "demo-admin") == {("ADMIN", None)}


async def test_the_admin_gives_another_account_a_role_on_the_audit_trail(as_user, account):
    clerk = await account("clerk", [])
    body = await as_user("demo-admin")(ASSIGN, input={"username": clerk, "role": "ORG",
                                                      "unitCode": "C-K2"})
    assert body["data"]["assignRole"]["username"] == clerk
    assert await _roles(as_user, clerk) == {("ORG", "C-K2")}
    trail = (await as_user("demo-admin")(TRAIL))["data"]["auditEvents"]["edges"]
    assert {"operation": "assignRole", "actor": "demo-admin", "fields": ["org", "C-K2"]} in [
        e["node"] for e in trail]


async def test_an_admin_may_not_take_a_data_role(as_user, account):
    # given a second admin account
    other_admin = await account("admin", [("admin", None)])
    # when the admin gives him the org role, then FORBIDDEN (INCOMPATIBLE_ROLES)
    body = await as_user("demo-admin")(ASSIGN, input={"username": other_admin, "role": "ORG",
                                                      "unitCode": "C"})
    assert _reason(body) == "INCOMPATIBLE_ROLES"
    assert await _roles(as_user, other_admin) == {("ADMIN", None)}


async def test_an_account_with_a_data_role_may_not_become_admin(as_user):
    body = await as_user("demo-admin")(ASSIGN, input={"username": "demo-org", "role": "ADMIN"})
    assert _reason(body) == "INCOMPATIBLE_ROLES"
    assert ("ADMIN", None) not in await _roles(as_user, "demo-org")


async def test_an_account_without_roles_becomes_admin_and_one_with_data_roles_gets_another(
        as_user, account):
    admin = as_user("demo-admin")
    fresh = await account("fresh", [])
    assert "errors" not in await admin(ASSIGN, input={"username": fresh, "role": "ADMIN"})
    officer = await account("officer", [("org", 2)])
    assert "errors" not in await admin(ASSIGN, input={"username": officer,
                                                      "role": "DISCIPLINE", "unitCode": "C"})
    assert await _roles(as_user, officer) == {("ORG", "C-K1"), ("DISCIPLINE", "C")}
