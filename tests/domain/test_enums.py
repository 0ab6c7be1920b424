"""Enum names equal their values: stored strings serialize as GraphQL enum values unchanged."""

from enum import Enum

import pytest

from domain import enums

ALL = [cls for cls in vars(enums).values()
       if isinstance(cls, type) and issubclass(cls, Enum) and cls is not Enum]


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
def test_every_enum_value_equals_its_name_except_roles(cls):
    for member in cls:
        if cls is enums.Role:
            assert member.value == member.name.lower()
        else:
            assert member.value == member.name


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
def test_every_enum_value_has_a_chinese_term(cls):
    assert all(enums.CHINESE[member] for member in cls)
