"""Separation of duties: each rule refuses its case and lets the twin through."""

import pytest

from domain import duties
from domain.enums import Role
from domain.errors import Forbidden


def test_the_officer_who_recorded_the_decision_may_not_review_the_appeal():
    with pytest.raises(Forbidden) as refused:
        duties.check_not_decision_maker(actor_id=7, decided_by=7)
    assert refused.value.reason == duties.RECORDED_THE_DECISION


def test_another_officer_may_review_the_appeal():
    duties.check_not_decision_maker(actor_id=8, decided_by=7)


def test_nobody_acts_on_a_case_about_himself():
    with pytest.raises(Forbidden) as refused:
        duties.check_not_about_self(actor_cadre_id=25, case_cadre_id=25)
    assert refused.value.reason == duties.OWN_CASE


@pytest.mark.parametrize("actor_cadre_id", [None, 24])
def test_an_officer_acts_on_a_case_about_someone_else(actor_cadre_id):
    duties.check_not_about_self(actor_cadre_id, case_cadre_id=25)


def test_no_account_changes_its_own_roles():
    with pytest.raises(Forbidden) as refused:
        duties.check_not_own_account(actor_id=3, account_id=3)
    assert refused.value.reason == duties.OWN_ACCOUNT


def test_an_admin_changes_another_accounts_roles():
    duties.check_not_own_account(actor_id=3, account_id=4)


@pytest.mark.parametrize(("held", "new"), [
    ({Role.ADMIN}, Role.ORG), ({Role.ADMIN}, Role.DISCIPLINE), ({Role.ADMIN}, Role.CADRE),
    ({Role.ORG}, Role.ADMIN), ({Role.CADRE}, Role.ADMIN), ({Role.DISCIPLINE}, Role.ADMIN)])
def test_the_admin_role_and_a_data_role_never_share_an_account(held, new):
    with pytest.raises(Forbidden) as refused:
        duties.check_compatible(held, new)
    assert refused.value.reason == duties.INCOMPATIBLE_ROLES


@pytest.mark.parametrize(("held", "new"), [
    (set(), Role.ADMIN), ({Role.ORG}, Role.DISCIPLINE), ({Role.CADRE}, Role.ORG),
    ({Role.ADMIN}, Role.ADMIN), (set(), Role.ORG)])
def test_compatible_roles_share_an_account(held, new):
    duties.check_compatible(held, new)
