"""The role matrix of the product brief over the real Casbin model and default policy.

Each row is (role, relation, field, action, expected) and is checked against both
``enforce()`` and the compiled policy the API actually consults.
"""

from itertools import pairwise, product

import pytest

from authz.compiled import CompiledPolicy, compile_policy
from authz.policy import ACTIONS, RELATIONS, default_policy_lines, memory_enforcer

ENFORCER = memory_enforcer()
POLICY = compile_policy(ENFORCER, version=1)

MATRIX = [
    # Organization department: cadre basics and evaluations read/write in jurisdiction.
    ("org", "jurisdiction", "Cadre.name", "read", True),
    ("org", "jurisdiction", "Cadre.name", "write", True),
    ("org", "jurisdiction", "Cadre.unit", "read", True),
    ("org", "jurisdiction", "Cadre.leadershipRole", "write", True),
    ("org", "jurisdiction", "Cadre.status", "write", True),
    ("org", "jurisdiction", "Cadre.idNumber", "read", True),
    ("org", "jurisdiction", "Cadre.phone", "read", True),
    ("org", "jurisdiction", "Cadre.birthDate", "read", True),
    ("org", "jurisdiction", "Evaluation.grade", "read", True),
    ("org", "jurisdiction", "Evaluation.grade", "write", True),
    ("org", "jurisdiction", "Evaluation.score", "write", True),
    ("org", "jurisdiction", "Evaluation.sources", "read", True),
    ("org", "jurisdiction", "Evaluation.comment", "read", True),
    ("org", "jurisdiction", "Evaluation.comment", "write", True),
    ("org", "jurisdiction", "Finding.status", "read", True),
    ("org", "jurisdiction", "Finding.status", "write", False),
    ("org", "jurisdiction", "Finding.description", "write", False),
    ("org", "jurisdiction", "Finding.evidence", "read", True),
    ("org", "jurisdiction", "Finding.evidence", "write", False),
    ("org", "jurisdiction", "Finding.informant", "read", False),
    ("org", "jurisdiction", "UserAccount.username", "read", False),
    # Discipline inspection: reads the file, owns the findings, never the evaluator comment.
    ("discipline", "jurisdiction", "Cadre.name", "read", True),
    ("discipline", "jurisdiction", "Cadre.name", "write", False),
    ("discipline", "jurisdiction", "Cadre.idNumber", "read", True),
    ("discipline", "jurisdiction", "Cadre.phone", "write", False),
    ("discipline", "jurisdiction", "Evaluation.grade", "read", True),
    ("discipline", "jurisdiction", "Evaluation.grade", "write", False),
    ("discipline", "jurisdiction", "Evaluation.score", "read", True),
    ("discipline", "jurisdiction", "Evaluation.comment", "read", False),
    ("discipline", "jurisdiction", "Evaluation.comment", "write", False),
    ("discipline", "jurisdiction", "Finding.status", "read", True),
    ("discipline", "jurisdiction", "Finding.status", "write", True),
    ("discipline", "jurisdiction", "Finding.description", "write", True),
    ("discipline", "jurisdiction", "Finding.evidence", "read", True),
    ("discipline", "jurisdiction", "Finding.evidence", "write", True),
    ("discipline", "jurisdiction", "Finding.informant", "read", True),
    ("discipline", "jurisdiction", "UserAccount.username", "read", False),
    # The cadre himself: reads his own file; the comment only once finalised; writes nothing.
    ("cadre", "self", "Cadre.name", "read", True),
    ("cadre", "self", "Cadre.position", "read", True),
    ("cadre", "self", "Cadre.name", "write", False),
    ("cadre", "self", "Cadre.idNumber", "read", True),
    ("cadre", "self", "Cadre.phone", "read", True),
    ("cadre", "self", "Cadre.phone", "write", False),
    ("cadre", "self", "Evaluation.grade", "read", True),
    ("cadre", "self", "Evaluation.score", "read", True),
    ("cadre", "self", "Evaluation.grade", "write", False),
    ("cadre", "self", "Evaluation.comment", "read", False),
    ("cadre", "self_finalised", "Evaluation.comment", "read", True),
    ("cadre", "self_finalised", "Evaluation.comment", "write", False),
    ("cadre", "self", "Finding.status", "read", True),
    ("cadre", "self", "Finding.status", "write", False),
    ("cadre", "self", "Finding.evidence", "read", False),
    ("cadre", "self", "Finding.informant", "read", False),
    # The system administrator: user accounts, no personal data.
    ("admin", "system", "UserAccount.username", "read", True),
    ("admin", "system", "UserAccount.roles", "write", True),
    ("admin", "system", "Cadre.name", "read", False),
    ("admin", "jurisdiction", "Cadre.name", "read", False),
    ("admin", "self", "Cadre.idNumber", "read", False),
    # The audit trail (纪实): the administrator reads it; no one writes it through the API.
    ("admin", "system", "AuditEvent.actor", "read", True),
    ("admin", "system", "AuditEvent.recordIds", "read", True),
    ("admin", "system", "AuditEvent.actor", "write", False),
    ("admin", "system", "AuditEvent.hash", "write", False),
    ("org", "jurisdiction", "AuditEvent.actor", "read", False),
    ("discipline", "jurisdiction", "AuditEvent.operation", "read", False),
    ("cadre", "self", "AuditEvent.recordIds", "read", False),
    # No role reads under a relation it does not hold.
    ("org", "self", "Cadre.name", "read", False),
    ("org", "self_finalised", "Evaluation.comment", "read", False),
    ("org", "system", "UserAccount.username", "read", False),
    ("discipline", "self", "Finding.informant", "read", False),
    ("cadre", "jurisdiction", "Cadre.name", "read", False),
    ("cadre", "system", "UserAccount.id", "read", False),
    ("admin", "jurisdiction", "UserAccount.username", "read", False),
    ("partner", "jurisdiction", "Cadre.name", "read", False),
]
HELD = {"org": {"jurisdiction"}, "discipline": {"jurisdiction"},
        "cadre": {"self", "self_finalised"}, "admin": {"system"}, "partner": {"scope"}}
RECORD_TYPES = ("Cadre.", "Evaluation.", "Finding.")


def row_id(row: tuple) -> str:
    role, relation, field, action, expected = row
    return f"{role}-{relation}-{field}-{action}-{'allow' if expected else 'deny'}"


def disagreements(enforcer, policy: CompiledPolicy, roles) -> list[tuple]:
    return [(role, rel, field, act)
            for role, field, rel, act in product(roles, sorted(policy.fields), RELATIONS, ACTIONS)
            if enforcer.enforce(role, rel, field, act) != policy.allows(role, rel, field, act)]


@pytest.mark.parametrize("row", MATRIX, ids=row_id)
def test_the_default_policy_decides_each_cell_of_the_matrix(row: tuple) -> None:
    role, relation, field, action, expected = row
    assert field in POLICY.fields
    assert ENFORCER.enforce(role, relation, field, action) is expected
    assert POLICY.allows(role, relation, field, action) is expected


def test_the_system_administrator_reads_no_cadre_record_under_any_relation() -> None:
    record_fields = [f for f in POLICY.fields if f.startswith(RECORD_TYPES)]
    assert len(record_fields) > 30
    for field, relation, action in product(record_fields, RELATIONS, ACTIONS):
        assert not ENFORCER.enforce("admin", relation, field, action), (field, relation)
        assert not POLICY.allows("admin", relation, field, action), (field, relation)


@pytest.mark.parametrize("role", sorted(HELD))
def test_no_role_is_granted_anything_under_a_relation_it_does_not_hold(role: str) -> None:
    for relation in set(RELATIONS) - HELD[role]:
        for field, action in product(sorted(POLICY.fields), ACTIONS):
            assert not ENFORCER.enforce(role, relation, field, action), (relation, field)
        assert POLICY.fields_for(frozenset({(role, relation)}), "read") == frozenset()


def test_the_cadre_himself_writes_only_his_appeal_and_his_statements() -> None:
    writes = POLICY.fields_for(frozenset({("cadre", r) for r in RELATIONS}), "write")
    statements = {f for f in POLICY.fields if f.startswith("FindingStatement.")}
    assert writes - statements == {"Appeal.grounds"}


def test_compiled_decisions_agree_with_enforce_for_every_combination() -> None:
    assert POLICY.roles == {"org", "discipline", "cadre", "admin", "partner"}
    assert {"Finding.informant", "Evaluation.comment", "UserAccount.id"} <= POLICY.fields
    assert disagreements(ENFORCER, POLICY, sorted(POLICY.roles | {"partner"})) == []


def test_compiled_decisions_agree_with_enforce_for_a_modified_policy() -> None:
    lines = default_policy_lines() + [
        ["p", "discipline", "jurisdiction", "Evaluation.comment", "read"],
        ["g", "senior-org", "org"],
        ["g", "chief-org", "senior-org"],
        ["g2", "cadre:labels", "cadre:extra"],
        ["p", "cadre", "self", "cadre:extra", "write"],
    ]
    enforcer = memory_enforcer(lines)
    policy = compile_policy(enforcer, version=2)
    assert policy.allows("discipline", "jurisdiction", "Evaluation.comment")
    assert not policy.allows("discipline", "jurisdiction", "Evaluation.score", "write")
    assert policy.allows("chief-org", "jurisdiction", "Cadre.name", "write")
    assert not policy.allows("senior-org", "jurisdiction", "Finding.informant")
    assert policy.allows("cadre", "self", "Cadre.labels", "write")
    assert not policy.allows("cadre", "self", "Cadre.name", "write")
    assert {"senior-org", "chief-org"} <= policy.roles
    assert disagreements(enforcer, policy, sorted(policy.roles | {"partner"})) == []


def test_compiled_decisions_agree_with_enforce_for_a_cyclic_role_hierarchy() -> None:
    lines = default_policy_lines() + [["g", "a", "b"], ["g", "b", "a"],
                                      ["p", "a", "jurisdiction", "Cadre.name", "read"]]
    enforcer = memory_enforcer(lines)
    assert disagreements(enforcer, compile_policy(enforcer, 3), ["a", "b"]) == []


def test_compiled_decisions_agree_with_enforce_for_a_deep_role_chain() -> None:
    chain = [f"level-{i}" for i in range(10)] + ["org"]
    lines = default_policy_lines() + [["g", low, high] for low, high in pairwise(chain)]
    enforcer = memory_enforcer(lines)
    assert disagreements(enforcer, compile_policy(enforcer, 4), chain[:1]) == []
