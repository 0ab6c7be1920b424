"""Separation of duties (职责分离) in the adjustment procedure and in administration.

Whatever roles an account holds, some acts stay with someone else: the officer who
recorded a decision does not review the appeal against it, nobody acts on a case or
an appeal about himself, no account changes its own role assignments, and the system
admin holds no data role. Each refusal names its rule with a stable ``reason`` a
front end can show.
"""

from collections.abc import Iterable

from domain.enums import Role
from domain.errors import Forbidden

RECORDED_THE_DECISION = "RECORDED_THE_DECISION"
OWN_CASE = "OWN_CASE"
OWN_ACCOUNT = "OWN_ACCOUNT"
INCOMPATIBLE_ROLES = "INCOMPATIBLE_ROLES"

#: Roles that read or write cadre data; the system admin may hold none of them.
DATA_ROLES = frozenset({Role.ORG, Role.DISCIPLINE, Role.CADRE})


def check_not_decision_maker(actor_id: int, decided_by: int | None) -> None:
    """Whoever recorded the decision may not accept, extend or decide the appeal.

    Raises:
        Forbidden: with reason RECORDED_THE_DECISION.
    """
    if decided_by is not None and actor_id == decided_by:
        raise Forbidden("The officer who recorded the decision cannot review the appeal "
                        "against it.", field="reviewer", reason=RECORDED_THE_DECISION)


def check_not_about_self(actor_cadre_id: int | None, case_cadre_id: int) -> None:
    """Nobody acts on a case, or an appeal, about himself, whatever roles he holds.

    Raises:
        Forbidden: with reason OWN_CASE.
    """
    if actor_cadre_id is not None and actor_cadre_id == case_cadre_id:
        raise Forbidden("Nobody may act on a case or an appeal about himself.",
                        field="id", reason=OWN_CASE)


def check_not_own_account(actor_id: int, account_id: int) -> None:
    """No account changes its own role assignments (nor deactivates itself).

    Raises:
        Forbidden: with reason OWN_ACCOUNT.
    """
    if actor_id == account_id:
        raise Forbidden("No account may change its own role assignments or status.",
                        field="username", reason=OWN_ACCOUNT)


def check_compatible(held: Iterable[Role], new: Role) -> None:
    """The system admin role and a data role (org, discipline, cadre) never share an account.

    Raises:
        Forbidden: with reason INCOMPATIBLE_ROLES, in either order of assignment.
    """
    roles = set(held)
    clash = ((new is Role.ADMIN and roles & DATA_ROLES)
             or (new in DATA_ROLES and Role.ADMIN in roles))
    if clash:
        raise Forbidden("An account holding the system admin role may not also hold a data "
                        "role (org, discipline, cadre).", field="role",
                        reason=INCOMPATIBLE_ROLES)
