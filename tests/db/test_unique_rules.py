"""The database itself refuses a second row where the rules allow one (SQLite and
PostgreSQL alike), and accepts the row that does not clash."""

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

_ids = itertools.count(900_001)


async def _insert(database, sql: str, **params) -> None:
    async with database.begin() as connection:
        await connection.execute(text(sql), params)


async def _new_case(database, cadre_id: int, stage: str) -> None:
    await _insert(database, "INSERT INTO adjustment_cases (id, cadre_id, stage, opened_by, "
                  "opened_at, version) VALUES (:id, :cadre, :stage, 1, '2026-01-01', 1)",
                  id=next(_ids), cadre=cadre_id, stage=stage)


async def test_a_cadre_has_at_most_one_open_case(database):
    await _new_case(database, 290, "VERIFICATION")
    with pytest.raises(IntegrityError):
        await _new_case(database, 290, "PROPOSAL")


async def test_a_cadre_with_closed_cases_may_have_one_open_case(database):
    await _new_case(database, 291, "CLOSED")
    await _new_case(database, 291, "CLOSED")
    await _new_case(database, 291, "VERIFICATION")


RULE = ("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) "
        "VALUES ('p', 'cadre', 'self', :object, 'write')")


async def test_a_policy_line_is_stored_once(database):
    await _insert(database, RULE, object="race:one")
    with pytest.raises(IntegrityError):
        await _insert(database, RULE, object="race:one")
    await _insert(database, "DELETE FROM casbin_rule WHERE v2 = 'race:one'")


async def test_different_policy_lines_are_stored_side_by_side(database):
    await _insert(database, RULE, object="race:two")
    await _insert(database, RULE, object="race:three")
    await _insert(database, "DELETE FROM casbin_rule WHERE v2 LIKE 'race:%'")


async def _holding(database, username: str, role: str, unit_id: int | None) -> None:
    await _insert(database, "INSERT INTO role_assignments (user_id, role, unit_id) "
                  "SELECT id, :role, :unit FROM users WHERE username = :name",
                  role=role, unit=unit_id, name=username)


async def test_a_unit_less_role_is_held_once(database, account):
    username = await account("unit-less", [])
    await _holding(database, username, "cadre", None)
    with pytest.raises(IntegrityError):
        await _holding(database, username, "cadre", None)


async def test_a_role_is_held_over_several_units(database, account):
    username = await account("several-units", [])
    await _holding(database, username, "org", 2)
    await _holding(database, username, "org", 3)
    with pytest.raises(IntegrityError):
        await _holding(database, username, "org", 3)
