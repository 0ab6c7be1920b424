"""Statements compiled for the driver: argument order, and integers written into the text."""

import pytest
from sqlalchemy import Integer, String, any_, bindparam, column, select, table
from sqlalchemy.dialects.postgresql import ARRAY, asyncpg

from db.direct import driver_statement, inline

ROWS = table("rows", column("id", Integer), column("name", String))
STATEMENT = select(ROWS.c.id).where(
    ROWS.c.name == bindparam("name", type_=String),
    ROWS.c.id == any_(bindparam("units", type_=ARRAY(Integer))),
    ROWS.c.id < bindparam("limit", type_=Integer),
    ROWS.c.id.in_([7, 8]))


def test_arguments_follow_the_placeholders_and_the_statement_keeps_its_constants():
    compiled = driver_statement(STATEMENT, asyncpg.dialect())
    assert compiled.names == ("name", "units", "limit", "id_1_1", "id_1_2")
    assert compiled.arguments({"name": "a", "units": [1, 2], "limit": 5}) == (
        "a", [1, 2], 5, 7, 8)


def test_integers_are_written_into_the_text_and_the_rest_renumbered():
    inlined = inline(driver_statement(STATEMENT, asyncpg.dialect()), {"units": [3, 1],
                                                                      "limit": 51})
    assert inlined.names == ("name",)
    assert "$1::VARCHAR" in inlined.sql and "$2" not in inlined.sql
    assert "(ARRAY[3,1]::INTEGER[])" in inlined.sql and "(51)::INTEGER" in inlined.sql
    assert "(7)::INTEGER, (8)::INTEGER" in inlined.sql  # the statement's own constants
    assert inlined.arguments({"name": "a", "units": [3, 1], "limit": 51}) == ("a",)


def test_an_empty_unit_list_is_an_empty_array():
    inlined = inline(driver_statement(STATEMENT, asyncpg.dialect()), {"units": []})
    assert "(ARRAY[]::INTEGER[])" in inlined.sql


@pytest.mark.parametrize("value", ["1; DROP TABLE rows", 1.5, True, ["1"]])
def test_nothing_but_integers_is_written_into_a_statement(value):
    with pytest.raises(TypeError):
        inline(driver_statement(STATEMENT, asyncpg.dialect()), {"limit": value})
