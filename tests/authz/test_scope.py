"""What one principal may see: unit subtrees, grants per record, writes and SQL row filters."""

import pytest

from authz.compiled import compile_policy
from authz.policy import memory_enforcer
from authz.scope import SELF, SELF_FINALISED, Scope, UnitTree, require_write
from db.models import Cadre
from domain.enums import Role
from domain.errors import Forbidden
from domain.principal import Holding, Principal

POLICY = compile_policy(memory_enforcer(), version=1)

CITY, COUNTY_A, TOWNSHIP_A, COUNTY_B, TOWNSHIP_B, AGENCY = 1, 2, 3, 4, 5, 6
TREE = UnitTree([(CITY, None), (COUNTY_A, CITY), (TOWNSHIP_A, COUNTY_A),
                 (COUNTY_B, CITY), (TOWNSHIP_B, COUNTY_B), (AGENCY, CITY)])
ALL_UNITS = {CITY, COUNTY_A, TOWNSHIP_A, COUNTY_B, TOWNSHIP_B, AGENCY}
OWN_CADRE, OTHER_CADRE = 100, 101

ORG_GRANT = ("org", "jurisdiction")
INSPECTOR = frozenset({("discipline", "jurisdiction")})


def scope_of(*holdings: tuple[Role, int | None], cadre_id: int | None = None) -> Scope:
    principal = Principal(7, "someone", tuple(Holding(r, u) for r, u in holdings), cadre_id)
    return Scope(principal, TREE, POLICY)


def sql(scope: Scope) -> str:
    columns = Cadre.__table__.c
    clause = scope.row_filter("Cadre.id", columns.unit_id, columns.id)
    return str(clause.compile(compile_kwargs={"literal_binds": True}))


COUNTY_ORG = scope_of((Role.ORG, COUNTY_A))
CITY_DISCIPLINE = scope_of((Role.DISCIPLINE, None))
THE_CADRE = scope_of((Role.CADRE, None), cadre_id=OWN_CADRE)
ADMIN = scope_of((Role.ADMIN, None))


# -- unit tree -------------------------------------------------------------------------
@pytest.mark.parametrize(("unit", "expected"), [
    (CITY, ALL_UNITS),
    (COUNTY_A, {COUNTY_A, TOWNSHIP_A}),
    (TOWNSHIP_B, {TOWNSHIP_B}),
    (AGENCY, {AGENCY}),
    (None, ALL_UNITS),
    (999, set()),
], ids=["root", "county", "leaf township", "leaf agency", "none is everything", "unknown"])
def test_a_subtree_holds_the_unit_and_its_descendants(unit: int | None, expected: set) -> None:
    assert TREE.subtree(unit) == expected


# -- grants per record -------------------------------------------------------------------------
def test_a_county_org_officer_has_jurisdiction_only_over_his_subtree() -> None:
    assert set(COUNTY_ORG.unit_grants) == {COUNTY_A, TOWNSHIP_A}
    assert COUNTY_ORG.cadre_grants(TOWNSHIP_A, OTHER_CADRE) == {ORG_GRANT}
    assert COUNTY_ORG.cadre_grants(TOWNSHIP_B, OTHER_CADRE) == set()
    assert COUNTY_ORG.cadre_grants(CITY, OTHER_CADRE) == set()


def test_a_county_org_officer_reads_personal_fields_in_his_subtree_only() -> None:
    inside = COUNTY_ORG.readable(COUNTY_ORG.cadre_grants(COUNTY_A, OTHER_CADRE))
    outside = COUNTY_ORG.readable(COUNTY_ORG.cadre_grants(COUNTY_B, OTHER_CADRE))
    assert "Cadre.idNumber" in inside
    assert outside == set()


def test_the_cadre_gets_the_self_grant_for_his_own_record_only() -> None:
    assert THE_CADRE.unit_grants == {}
    assert THE_CADRE.cadre_grants(TOWNSHIP_A, OWN_CADRE) == {SELF}
    assert THE_CADRE.cadre_grants(TOWNSHIP_A, OTHER_CADRE) == set()


def test_an_org_officer_who_is_also_a_cadre_combines_both_grants_on_his_own_record() -> None:
    scope = scope_of((Role.ORG, COUNTY_A), (Role.CADRE, None), cadre_id=OWN_CADRE)
    assert scope.cadre_grants(TOWNSHIP_A, OWN_CADRE) == {ORG_GRANT, SELF}
    assert scope.cadre_grants(TOWNSHIP_A, OTHER_CADRE) == {ORG_GRANT}


def test_the_cadre_reads_the_evaluator_comment_of_his_finalised_evaluation_only() -> None:
    own = THE_CADRE.cadre_grants(COUNTY_A, OWN_CADRE)
    finalised = Scope.evaluation_grants(own, finalised=True)
    draft = Scope.evaluation_grants(own, finalised=False)
    assert finalised == {SELF, SELF_FINALISED}
    assert draft == {SELF}
    assert "Evaluation.comment" in THE_CADRE.readable(finalised)
    assert "Evaluation.comment" not in THE_CADRE.readable(draft)
    assert "Evaluation.grade" in THE_CADRE.readable(draft)


def test_a_finalised_evaluation_adds_no_self_grant_for_someone_elses_record() -> None:
    grants = COUNTY_ORG.cadre_grants(COUNTY_A, OTHER_CADRE)
    assert Scope.evaluation_grants(grants, finalised=True) == {ORG_GRANT}


def test_a_discipline_inspector_can_never_read_the_evaluator_comment() -> None:
    readable = CITY_DISCIPLINE.ever_readable()
    assert "Evaluation.comment" not in readable
    assert {"Finding.informant", "Evaluation.grade", "Cadre.idNumber"} <= readable


def test_the_cadre_can_eventually_read_the_comment_but_never_the_informant() -> None:
    readable = THE_CADRE.ever_readable()
    assert "Evaluation.comment" in readable
    assert "Finding.informant" not in readable
    assert "Finding.evidence" not in readable


def test_the_administrator_can_read_user_accounts_and_no_cadre_field() -> None:
    readable = ADMIN.ever_readable()
    assert "UserAccount.username" in readable
    administrative = ("UserAccount.", "AuditEvent.", "PolicyRule.", "AccessExplanation.",
                      "PartnerToken.", "PersistedOperation.")
    assert not {f for f in readable if not f.startswith(administrative)}
    assert ADMIN.can_read_system("UserAccount.id")
    assert not COUNTY_ORG.can_read_system("UserAccount.id")


def test_only_the_administrator_reads_the_audit_trail_and_no_one_writes_it() -> None:
    assert ADMIN.can_read_system("AuditEvent.id")
    assert "AuditEvent.actor" in ADMIN.ever_readable()
    assert not COUNTY_ORG.can_read_system("AuditEvent.id")
    assert not {f for f in ADMIN.writable(ADMIN.global_grants) if f.startswith("AuditEvent.")}


# -- writes ----------------------------------------------------------------------------------
def test_a_discipline_inspector_writing_a_cadre_name_is_forbidden_naming_the_field() -> None:
    with pytest.raises(Forbidden) as caught:
        require_write(CITY_DISCIPLINE, INSPECTOR, ["Finding.status", "Cadre.name"])
    assert (caught.value.field, caught.value.code) == ("Cadre.name", "FORBIDDEN")


def test_a_discipline_inspector_may_write_a_finding() -> None:
    require_write(CITY_DISCIPLINE, INSPECTOR, ["Finding.status", "Finding.evidence"])


def test_an_org_officer_may_write_cadre_basics_in_his_jurisdiction() -> None:
    grants = COUNTY_ORG.cadre_grants(TOWNSHIP_A, OTHER_CADRE)
    require_write(COUNTY_ORG, grants, ["Cadre.name", "Cadre.position", "Cadre.status"])


def test_an_org_officer_may_not_write_outside_his_jurisdiction() -> None:
    grants = COUNTY_ORG.cadre_grants(TOWNSHIP_B, OTHER_CADRE)
    with pytest.raises(Forbidden) as caught:
        require_write(COUNTY_ORG, grants, ["Cadre.name"])
    assert caught.value.field == "Cadre.name"


def test_the_cadre_may_not_write_his_own_record() -> None:
    with pytest.raises(Forbidden) as caught:
        require_write(THE_CADRE, frozenset({SELF, SELF_FINALISED}), ["Cadre.phone"])
    assert (caught.value.field, caught.value.code) == ("Cadre.phone", "FORBIDDEN")


# -- row filters -----------------------------------------------------------------------------
def test_the_administrator_sees_no_cadre_rows() -> None:
    assert sql(ADMIN) == "false"


def test_a_county_org_officer_sees_the_rows_of_his_subtree() -> None:
    assert sql(COUNTY_ORG) == "cadres.unit_id IN (2, 3)"


def test_a_cadre_sees_his_own_row() -> None:
    assert sql(THE_CADRE) == "cadres.id = 100"


def test_an_org_officer_who_is_also_a_cadre_sees_his_subtree_or_his_own_row() -> None:
    scope = scope_of((Role.ORG, COUNTY_B), (Role.CADRE, None), cadre_id=OWN_CADRE)
    assert sql(scope) == "cadres.unit_id IN (4, 5) OR cadres.id = 100"


def test_a_city_wide_holder_sees_every_row_without_a_unit_list() -> None:
    assert sql(CITY_DISCIPLINE) == "true"
    assert sql(scope_of((Role.ORG, CITY))) == "true"


def test_a_holder_over_an_unknown_unit_sees_nothing() -> None:
    assert sql(scope_of((Role.ORG, 999))) == "false"
