"""Which fields are audited on read: the policy group `audited`."""

from authz.audited import AUDITED_FIELDS, audited_fields
from authz.compiled import compile_policy
from authz.policy import default_policy_lines, memory_enforcer


def test_the_default_policy_audits_the_personal_fields_evidence_and_informant():
    # DOMAIN.md: cadre personal (idNumber, phone, birthDate) and evidence, informant
    assert {"Cadre.idNumber", "Cadre.phone", "Cadre.birthDate", "Finding.evidence",
            "Finding.informant"} == AUDITED_FIELDS


def test_a_whole_field_group_can_be_audited_through_a_nested_group():
    lines = default_policy_lines() + [["g2", "evaluation:comment", "audited"]]
    assert "Evaluation.comment" in audited_fields(lines)
    assert "Cadre.name" not in audited_fields(lines)


def test_the_audited_group_grants_nothing():
    with_group = compile_policy(memory_enforcer(), version=1)
    without = compile_policy(memory_enforcer(
        [line for line in default_policy_lines() if line[-1] != "audited"]), version=1)
    assert with_group.granted == without.granted
