"""What a policy change would change: for each role under each relation, and for each partner
token, the ``Type.field`` whose access moves between read, masked and denied, or gains or loses
write. Pure: both policies are given compiled; record counts are the caller's (they need the
database).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from authz.compiled import CompiledPolicy
from authz.policy import RELATIONS
from authz.scope import PARTNER, partner_readable

READ = "READ"
MASKED = "MASKED"
DENIED = "DENIED"
#: The role partner tokens act as; reported per token rather than per role.
PARTNER_ROLE = PARTNER[0]


@dataclass(frozen=True)
class Subject:
    """Who a change reaches: a role under a relation, or one partner token (under ``scope``)."""

    role: str
    relation: str
    token_id: int | None = None


@dataclass(frozen=True)
class FieldChange:
    subject: Subject
    field: str
    before: str
    after: str
    writable_before: bool
    writable_after: bool


@dataclass(frozen=True)
class Token:
    """A partner token as the impact needs it."""

    id: int
    scopes: frozenset[str]


def access(policy: CompiledPolicy, role: str, relation: str, field: str) -> tuple[str, bool]:
    """``(READ | MASKED | DENIED, writable)`` of ``field`` for ``role`` under ``relation``."""
    grants = frozenset({(role, relation)})
    if field in policy.fields_for(grants, "read"):
        state = READ
    elif field in policy.masked_for(grants):
        state = MASKED
    else:
        state = DENIED
    return state, field in policy.fields_for(grants, "write")


def _token_access(policy: CompiledPolicy, token: Token, field: str) -> tuple[str, bool]:
    return (READ if field in partner_readable(policy, token.scopes) else DENIED), False


def field_changes(before: CompiledPolicy, after: CompiledPolicy,
                  tokens: Iterable[Token] = ()) -> list[FieldChange]:
    """Every field whose access changes, per role and relation (the role ``partner`` as the
    policy grants it, whatever the scopes), then per partner token (within its scopes)."""
    catalogue = sorted(before.fields | after.fields)
    roles = sorted(before.roles | after.roles)
    found = []
    for role in roles:
        for relation in RELATIONS:
            subject = Subject(role, relation)
            for field in catalogue:
                was = access(before, role, relation, field)
                will = access(after, role, relation, field)
                if was != will:
                    found.append(FieldChange(subject, field, was[0], will[0], was[1], will[1]))
    for token in tokens:
        subject = Subject(PARTNER_ROLE, PARTNER[1], token.id)
        for field in catalogue:
            was, will = _token_access(before, token, field), _token_access(after, token, field)
            if was != will:
                found.append(FieldChange(subject, field, was[0], will[0], False, False))
    return found


def visibility_changes(changes: Iterable[FieldChange]) -> dict[tuple[Subject, str], int]:
    """Record types whose rows turn visible (+1) or hidden (-1) for a subject: rows are
    visible by their ``Type.id`` (`authz.scope`)."""
    found = {}
    for change in changes:
        type_name, field = change.field.split(".", 1)
        if field != "id" or (change.before == READ) == (change.after == READ):
            continue
        found[(change.subject, type_name)] = 1 if change.after == READ else -1
    return found
