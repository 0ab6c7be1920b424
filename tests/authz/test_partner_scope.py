"""Partner tokens over the real model and default policy: what the role ``partner`` may read
under relation ``scope``, narrowed to a token's scopes, on the records of its units only."""

import pytest

from authz.compiled import compile_policy
from authz.policy import memory_enforcer
from authz.scope import PARTNER as PARTNER_GRANT
from authz.scope import PartnerScope, UnitTree, partner_readable, require_write
from authz.statistics import STATISTICS_SCOPES
from authz.tokens import (
    PARTNER_SCOPES,
    check_scopes,
    hash_secret,
    is_well_formed,
    new_secret,
)
from db.models import Cadre
from domain.errors import Forbidden, InvalidInput
from domain.principal import PARTNER, Principal

ENFORCER = memory_enforcer()
POLICY = compile_policy(ENFORCER, version=1)
CITY, COUNTY_A, TOWNSHIP_A, COUNTY_B, TOWNSHIP_B = 1, 2, 3, 4, 5
TREE = UnitTree([(CITY, None), (COUNTY_A, CITY), (TOWNSHIP_A, COUNTY_A),
                 (COUNTY_B, CITY), (TOWNSHIP_B, COUNTY_B)])
BOTH = frozenset({"cadre:basic", "evaluation:grade"})

MATRIX = [
    ("partner", "scope", "Cadre.name", "read", True),
    ("partner", "scope", "Cadre.position", "read", True),
    ("partner", "scope", "Cadre.unit", "read", True),
    ("partner", "scope", "Evaluation.grade", "read", True),
    ("partner", "scope", "Evaluation.year", "read", True),
    ("partner", "scope", "Cadre.name", "write", False),
    ("partner", "scope", "Cadre.idNumber", "read", False),
    ("partner", "scope", "Cadre.phone", "read", False),
    ("partner", "scope", "Evaluation.score", "read", False),
    ("partner", "scope", "Evaluation.comment", "read", False),
    ("partner", "scope", "Finding.status", "read", False),
    ("partner", "scope", "PartnerToken.name", "read", False),
    ("org", "scope", "Cadre.name", "read", False),
    ("admin", "system", "PartnerToken.name", "read", True),
    ("admin", "system", "PartnerToken.revokedAt", "write", True),
    ("admin", "system", "PersistedOperation.query", "read", True),
    ("org", "jurisdiction", "PartnerToken.name", "read", False),
]


def partner(scopes: frozenset[str] = BOTH, units: frozenset[int] = frozenset({COUNTY_A}),
            subunits: bool = True) -> PartnerScope:
    principal = Principal(0, "partner:test", (), kind=PARTNER, token_id=1, scopes=scopes,
                          unit_ids=units, include_subunits=subunits)
    return PartnerScope(principal, TREE, POLICY)


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: "-".join(map(str, r)))
def test_the_default_policy_decides_each_partner_cell(row: tuple) -> None:
    role, relation, field, action, expected = row
    assert ENFORCER.enforce(role, relation, field, action) is expected
    assert POLICY.allows(role, relation, field, action) is expected


def test_every_scope_of_the_catalogue_is_a_field_group_the_policy_grants_partners() -> None:
    for scope in PARTNER_SCOPES.keys() - STATISTICS_SCOPES.keys():
        assert POLICY.groups[scope] and partner_readable(POLICY, frozenset({scope}))


def test_a_statistics_scope_groups_by_fields_the_policy_grants_partners_and_reads_none():
    for scope, fields in STATISTICS_SCOPES.items():
        assert scope in PARTNER_SCOPES
        assert fields <= POLICY.fields_for(frozenset({PARTNER_GRANT}))
        assert not partner_readable(POLICY, frozenset({scope}))


@pytest.mark.parametrize(("subunits", "expected"), [(True, {COUNTY_A, TOWNSHIP_A}),
                                                    (False, {COUNTY_A})])
def test_a_token_covers_its_units_with_or_without_subunits(subunits: bool,
                                                           expected: set[int]) -> None:
    scope = partner(subunits=subunits)
    assert set(scope.unit_grants) == expected
    assert scope.cadre_grants(TOWNSHIP_B, 9) == set()


def test_a_partner_reads_only_the_fields_of_its_scopes() -> None:
    basic = partner(frozenset({"cadre:basic"}))
    grants = basic.cadre_grants(COUNTY_A, 9)
    assert grants == {PARTNER_GRANT}
    assert "Cadre.name" in basic.readable(grants)
    assert "Cadre.evaluations" not in basic.readable(grants)
    assert "Evaluation.grade" not in basic.ever_readable()
    assert "Evaluation.grade" in partner().ever_readable()


def test_a_partner_never_reads_personal_data_or_findings_whatever_its_scopes() -> None:
    readable = partner().ever_readable()
    assert not {f for f in readable if f.startswith("Finding.")}
    assert not {"Cadre.idNumber", "Cadre.phone", "Cadre.birthDate",
                "Evaluation.comment"} & readable


def test_a_partner_writes_nothing() -> None:
    scope = partner()
    with pytest.raises(Forbidden):
        require_write(scope, scope.cadre_grants(COUNTY_A, 9), ["Cadre.name"])
    assert not scope.can_read_system("PartnerToken.id")


def test_the_partner_row_filter_is_its_units_in_sql() -> None:
    columns = Cadre.__table__.c
    clause = partner().row_filter("Cadre.id", columns.unit_id, columns.id)
    sql = str(clause.compile(compile_kwargs={"literal_binds": True}))
    assert sql == "cadres.unit_id IN (2, 3)"


def test_a_token_without_cadre_basics_sees_no_row() -> None:
    columns = Cadre.__table__.c
    clause = partner(frozenset({"evaluation:grade"})).row_filter("Cadre.id", columns.unit_id,
                                                                 columns.id)
    assert str(clause.compile(compile_kwargs={"literal_binds": True})) == "false"


def test_secrets_are_random_recognisable_and_hashed() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and is_well_formed(first) and first.startswith("cp_")
    assert not is_well_formed("cp_" + "a" * 10)
    assert len(hash_secret(first)) == 64 and hash_secret(first) != hash_secret(second)


def test_unknown_scopes_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_scopes(["cadre:basic", "cadre:personal"])
    assert caught.value.field == "scopes"
