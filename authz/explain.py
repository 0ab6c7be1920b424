"""Why a principal may or may not read a field of a record, and which rule decided it.

Reason codes are stable: front ends and partners may branch on them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from authz.compiled import Grant

ALLOWED = "ALLOWED"
#: The caller holds no relation to the record (it lies outside his jurisdiction).
NOT_IN_SCOPE = "NOT_IN_SCOPE"
#: The caller relates to the record, but no rule grants the field for that relation.
NOT_GRANTED = "NOT_GRANTED"
#: The policy knows no such field.
UNKNOWN_FIELD = "UNKNOWN_FIELD"
#: The policy grants it, but the partner token's scopes do not include it.
OUTSIDE_TOKEN_SCOPES = "OUTSIDE_TOKEN_SCOPES"


@dataclass(frozen=True)
class Explanation:
    allowed: bool
    reason: str
    rule: tuple[str, ...] | None = None
    grant: Grant | None = None


def explain(enforcer: Any, catalogue: frozenset[str], grants: Iterable[Grant],
            type_field: str, action: str = "read",
            within: frozenset[str] | None = None) -> Explanation:
    """Ask Casbin itself, grant by grant, and report the first rule that allows.

    Args:
        enforcer: the Casbin enforcer holding the current policy.
        catalogue: every ``Type.field`` the policy governs.
        grants: the (role, relation) pairs the caller holds towards the record.
        type_field: the field asked about, e.g. ``Cadre.idNumber``.
        action: ``read`` or ``write``.
        within: for a partner token, the fields its scopes cover (None: no such limit).
    """
    if type_field not in catalogue:
        return Explanation(False, UNKNOWN_FIELD)
    held = sorted(grants)
    if not held:
        return Explanation(False, NOT_IN_SCOPE)
    for role, relation in held:
        allowed, rule = enforcer.enforce_ex(role, relation, type_field, action)
        if allowed:
            if within is not None and type_field not in within:
                return Explanation(False, OUTSIDE_TOKEN_SCOPES, tuple(rule), (role, relation))
            return Explanation(True, ALLOWED, tuple(rule), (role, relation))
    return Explanation(False, NOT_GRANTED)


def explain_each(enforcer: Any, catalogue: frozenset[str], grants: Iterable[Grant],
                 type_field: str, action: str = "read",
                 within: frozenset[str] | None = None) -> list[Explanation]:
    """The decision for each (role, relation) in ``grants`` on its own, in a stable order."""
    found = []
    for grant in sorted(grants):
        one = explain(enforcer, catalogue, [grant], type_field, action, within)
        found.append(Explanation(one.allowed, one.reason, one.rule, grant))
    return found
