"""Which fields are audited on read: the policy group `audited`."""

from authz.audited import AUDITED_FIELDS, audited_fields
from authz.compiled import compile_policy
from authz.policy import default_policy_lines, memory_enforcer


def test_the_default_policy_audits_identity_number_phone_evidence_and_informant():
    assert {"Cadre.idNumber", "Cadre.phone", "Finding.evidence",
                              "Finding.informant"} == AUDITED_FIELDS


def test_a_whole_field_group_can_be_audited_through_a_nested_group():
    lines = default_policy_lines() + [["g2", "cadre:personal", "audited"]]
    assert "Cadre.birthDate" in audited_fields(lines)
    assert "Cadre.name" not in audited_fields(lines)


def test_the_audited_group_grants_nothing():
    with_group = compile_policy(memory_enforcer(), version=1)
    without = compile_policy(memory_enforcer(
        [line for line in default_policy_lines() if line[-1] != "audited"]), version=1)
    assert with_group.granted == without.granted
