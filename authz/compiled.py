"""Casbin decisions compiled into lookups.

`Enforcer.enforce()` costs about 2 ms a call, far too slow to ask per row and
field. The policy is therefore expanded once per policy version into sets of
fields per (role, relation, action); a test proves the sets agree with
`enforce()` for every combination.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from authz.masking import MASKABLE
from authz.policy import ACTIONS, RELATIONS

#: A role held in a relation to a record, e.g. ("org", "jurisdiction").
Grant = tuple[str, str]
NO_FIELDS: frozenset[str] = frozenset()


@dataclass
class CompiledPolicy:
    """Every decision of one policy version, as sets of ``Type.field`` names."""

    version: int
    fields: frozenset[str]
    roles: frozenset[str]
    granted: dict[tuple[str, str, str], frozenset[str]]
    #: The fields of each field group (``g2`` parent), nested groups resolved.
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    _memo: dict[tuple[frozenset[Grant], str], frozenset[str]] = field(default_factory=dict)

    def allows(self, role: str, relation: str, type_field: str, action: str = "read") -> bool:
        return type_field in self.granted.get((role, relation, action), NO_FIELDS)

    def fields_for(self, grants: frozenset[Grant], action: str = "read") -> frozenset[str]:
        """The fields that any of ``grants`` allows; memoised, grant sets repeat across rows."""
        key = (grants, action)
        found = self._memo.get(key)
        if found is None:
            found = frozenset().union(
                *(self.granted.get((role, rel, action), NO_FIELDS) for role, rel in grants)
            )
            self._memo[key] = found
        return found

    def masked_for(self, grants: frozenset[Grant]) -> frozenset[str]:
        """The fields ``grants`` show masked: granted ``mask``, with a masking rule, and not
        readable (read wins over mask)."""
        return ((self.fields_for(grants, "mask") & MASKABLE)
                - self.fields_for(grants, "read"))

    def fields_in_groups(self, names: frozenset[str]) -> frozenset[str]:
        """The fields of the field groups ``names`` (unknown names contribute none)."""
        return frozenset().union(*(self.groups.get(name, NO_FIELDS) for name in names))


def compile_policy(enforcer: Any, version: int) -> CompiledPolicy:
    """Expand the enforcer's policy into per-(role, relation, action) field sets.

    Role inheritance (``g``) and field groups (``g2``) are resolved by the
    enforcer's own role managers, so depth limits and cycles behave exactly as
    in ``enforce()``.
    """
    roles_rm = enforcer.get_named_role_manager("g")
    groups_rm = enforcer.get_named_role_manager("g2")
    rules = enforcer.get_policy()
    field_groups = enforcer.get_named_grouping_policy("g2")
    role_links = enforcer.get_named_grouping_policy("g")

    catalogue = {child for child, *_ in field_groups if "." in child}
    catalogue |= {obj for _, _, obj, _ in rules if "." in obj}
    roles = {sub for sub, *_ in rules} | {name for link in role_links for name in link[:2]}

    members: dict[str, frozenset[str]] = {}

    def members_of(obj: str) -> frozenset[str]:
        if obj not in members:
            members[obj] = frozenset(f for f in catalogue if groups_rm.has_link(f, obj))
        return members[obj]

    granted: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for sub, rel, obj, act in rules:
        if rel not in RELATIONS or act not in ACTIONS:
            continue
        fields = members_of(obj)
        for role in roles:
            if roles_rm.has_link(role, sub):
                granted[(role, rel, act)] |= fields
    return CompiledPolicy(
        version=version,
        fields=frozenset(catalogue),
        roles=frozenset(roles),
        granted={key: frozenset(value) for key, value in granted.items()},
        groups={name: members_of(name) for _, name, *_ in field_groups if "." not in name},
    )
