"""Masked views: the masking rules, and the grant shape `mask` compiled beside read and write."""

import pytest

from authz.compiled import compile_policy
from authz.masking import mask_id_number, mask_phone
from authz.policy import default_policy_lines, memory_enforcer

ORG: frozenset[tuple[str, str]] = frozenset({("org", "jurisdiction")})
READ_PERSONAL = ["p", "org", "jurisdiction", "cadre:personal", "read"]


@pytest.mark.parametrize(("phone", "shown"), [
    ("13812345678", "138****5678"),
    ("010-12345678", "010*****5678"),
    ("1234567", "*******"),
])
def test_a_phone_keeps_its_prefix_and_last_four(phone, shown):
    assert mask_phone(phone) == shown


@pytest.mark.parametrize(("number", "shown"), [
    ("110105198503071234", "1101051985********"),
    ("11010585030712X", "11010585*******"),
    ("12345", "*****"),
])
def test_an_identity_number_keeps_region_and_birth_year_only(number, shown):
    assert mask_id_number(number) == shown


def test_read_wins_over_mask_under_the_default_policy():
    policy = compile_policy(memory_enforcer(), version=1)
    assert "Cadre.phone" in policy.fields_for(ORG, "mask")
    assert policy.masked_for(ORG) == frozenset()


def test_withdrawing_the_read_leaves_the_masked_view_of_maskable_fields_only():
    lines = [line for line in default_policy_lines() if line != READ_PERSONAL]
    policy = compile_policy(memory_enforcer(lines), version=1)
    assert policy.masked_for(ORG) == {"Cadre.phone", "Cadre.idNumber"}
    # The birth date has no masking rule: withdrawn, it is simply denied.
    assert "Cadre.birthDate" not in policy.fields_for(ORG, "read") | policy.masked_for(ORG)


def test_without_a_mask_grant_nothing_is_masked():
    lines = [line for line in default_policy_lines()
             if line not in (READ_PERSONAL, ["p", "org", "jurisdiction", "cadre:personal",
                                             "mask"])]
    policy = compile_policy(memory_enforcer(lines), version=1)
    assert policy.masked_for(ORG) == frozenset()
