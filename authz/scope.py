"""What one principal may see: grants per record, field sets, and the SQL row filter.

A record's *grants* are the (role, relation) pairs the caller holds towards it:
("org", "jurisdiction") when the record's unit lies under a unit where he holds
the org role, ("cadre", "self") when it is his own file, ("partner", "scope")
when a partner token's units cover it. The fields he may read on the record are
the compiled policy's fields for those grants (for a partner, only those in the
field groups his token's scopes name).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from authz.compiled import CompiledPolicy, Grant
from authz.explain import NOT_GRANTED
from domain.enums import Role
from domain.errors import Forbidden
from domain.principal import Principal

SELF: Grant = (Role.CADRE.value, "self")
SELF_FINALISED: Grant = (Role.CADRE.value, "self_finalised")
SYSTEM: Grant = (Role.ADMIN.value, "system")
PARTNER: Grant = ("partner", "scope")
NO_GRANTS: frozenset[Grant] = frozenset()
NO_FIELDS: frozenset[str] = frozenset()


class UnitTree:
    """The unit hierarchy (city → counties and agencies → townships)."""

    def __init__(self, edges: Iterable[tuple[int, int | None]]) -> None:
        self.parent: dict[int, int | None] = dict(edges)
        self.children: dict[int | None, list[int]] = defaultdict(list)
        for unit_id, parent_id in self.parent.items():
            self.children[parent_id].append(unit_id)

    def subtree(self, unit_id: int | None) -> set[int]:
        """``unit_id`` and all its descendants; None stands for the whole tree."""
        if unit_id is None:
            return set(self.parent)
        found, stack = set(), [unit_id]
        while stack:
            current = stack.pop()
            if current in self.parent and current not in found:
                found.add(current)
                stack.extend(self.children.get(current, ()))
        return found


class Scope:
    """The compiled view of one principal over the records, built once per request."""

    def __init__(self, principal: Principal, tree: UnitTree, policy: CompiledPolicy) -> None:
        self.principal = principal
        self.tree = tree
        self.policy = policy
        unit_grants: dict[int, set[Grant]] = defaultdict(set)
        for holding in principal.holdings:
            if holding.role in (Role.CADRE, Role.ADMIN):
                continue
            for unit_id in tree.subtree(holding.unit_id):
                unit_grants[unit_id].add((holding.role.value, "jurisdiction"))
        self.unit_grants = {u: frozenset(g) for u, g in unit_grants.items()}
        self.own_cadre_id = principal.cadre_id if principal.holds(Role.CADRE) else None
        self.global_grants = frozenset({SYSTEM}) if principal.holds(Role.ADMIN) else NO_GRANTS

    # -- grants of one record ---------------------------------------------------------
    def cadre_grants(self, unit_id: int, cadre_id: int) -> frozenset[Grant]:
        grants = self.unit_grants.get(unit_id, NO_GRANTS)
        if cadre_id == self.own_cadre_id:
            grants = grants | {SELF}
        return grants

    @staticmethod
    def evaluation_grants(cadre_grants: frozenset[Grant], finalised: bool) -> frozenset[Grant]:
        if finalised and SELF in cadre_grants:
            return cadre_grants | {SELF_FINALISED}
        return cadre_grants

    def readable(self, grants: frozenset[Grant]) -> frozenset[str]:
        return self.policy.fields_for(grants, "read")

    def writable(self, grants: frozenset[Grant]) -> frozenset[str]:
        return self.policy.fields_for(grants, "write")

    def masked(self, grants: frozenset[Grant]) -> frozenset[str]:
        """Fields shown through their masking rule under ``grants`` (`authz.masking`)."""
        return self.policy.masked_for(grants)

    # -- whole-request facts ----------------------------------------------------------
    def possible_grants(self) -> list[frozenset[Grant]]:
        """Every grant set a record can carry for this principal."""
        sets = set(self.unit_grants.values()) | {self.global_grants}
        if self.own_cadre_id is not None:
            sets |= {g | {SELF} for g in list(sets)} | {frozenset({SELF, SELF_FINALISED})}
        return list(sets)

    def ever_readable(self) -> frozenset[str]:
        """Fields this principal may read on at least one record."""
        found: frozenset[str] | None = self.__dict__.get("_ever_readable")
        if found is None:  # asked by every request: a scope is built once (`scope_of`)
            found = frozenset().union(*(self.readable(g) for g in self.possible_grants()))
            self.__dict__["_ever_readable"] = found
        return found

    # -- row filters --------------------------------------------------------------------
    def row_filter(self, id_field: str, unit_column: Any,
                   cadre_column: Any) -> ColumnElement[bool]:
        """SQL condition selecting the rows whose ``id_field`` this principal may read."""
        units = {u for u, g in self.unit_grants.items() if id_field in self.readable(g)}
        conditions: list[ColumnElement[bool]] = []
        if units == set(self.tree.parent) and units:
            conditions.append(true())
        elif units:
            conditions.append(unit_column.in_(sorted(units)))
        if self.own_cadre_id is not None and id_field in self.readable(frozenset({SELF})):
            conditions.append(cadre_column == self.own_cadre_id)
        return or_(*conditions) if conditions else false()

    def rows(self, record_type: str, unit_column: Any, cadre_column: Any,
             field: str = "id") -> ColumnElement[bool]:
        """SQL condition selecting the rows of ``record_type`` whose ``field`` (its id,
        unless named) this principal may read; the policy's name of it is formed here."""
        return self.row_filter(f"{record_type}.{field}", unit_column, cadre_column)

    def may_read(self, grants: frozenset[Grant], record_type: str, field: str = "id") -> bool:
        """Whether ``field`` of ``record_type`` is readable under ``grants``."""
        return f"{record_type}.{field}" in self.readable(grants)

    def can_read_system(self, id_field: str) -> bool:
        return id_field in self.readable(self.global_grants)


def require_read(scope: Scope, grants: frozenset[Grant], fields: list[str]) -> frozenset[str]:
    """Refuse unless every field in ``fields`` is readable under ``grants``.

    Returns the fields readable under ``grants``, for the objects built next.

    Raises:
        Forbidden: naming the first field the caller may not read.
    """
    readable = scope.readable(grants)
    for type_field in fields:
        if type_field not in readable:
            raise Forbidden(f"Not allowed to read {type_field}.", field=type_field,
                            reason=NOT_GRANTED)
    return readable


def require_write(scope: Scope, grants: frozenset[Grant], fields: list[str]) -> None:
    """Refuse a write unless every field in ``fields`` is writable under ``grants``.

    Raises:
        Forbidden: naming the first field the caller may not write.
    """
    writable = scope.writable(grants)
    for type_field in fields:
        if type_field not in writable:
            raise Forbidden(f"Not allowed to write {type_field}.", field=type_field,
                            reason=NOT_GRANTED)


def partner_readable(policy: CompiledPolicy, scopes: frozenset[str]) -> frozenset[str]:
    """What a partner token with ``scopes`` may read on a record of its units: the fields
    the policy grants partners under relation ``scope``, within its scopes' field groups."""
    return policy.fields_for(frozenset({PARTNER})) & policy.fields_in_groups(scopes)


class PartnerScope(Scope):
    """A partner token's view: the records of its units, its scopes' fields, no writes."""

    def __init__(self, principal: Principal, tree: UnitTree, policy: CompiledPolicy) -> None:
        self.principal = principal
        self.tree = tree
        self.policy = policy
        units: set[int] = set()
        for unit_id in principal.unit_ids:
            units |= (tree.subtree(unit_id) if principal.include_subunits
                      else {unit_id} & tree.parent.keys())
        self.unit_grants = dict.fromkeys(units, frozenset({PARTNER}))
        self.own_cadre_id = None
        self.global_grants = NO_GRANTS
        self.scope_fields = policy.fields_in_groups(principal.scopes)
        self._readable: dict[frozenset[Grant], frozenset[str]] = {}

    def readable(self, grants: frozenset[Grant]) -> frozenset[str]:
        # Memoised: asked once per record, and a partner's records share one grant set.
        found = self._readable.get(grants)
        if found is None:
            found = self._readable[grants] = self.policy.fields_for(grants) & self.scope_fields
        return found

    def writable(self, grants: frozenset[Grant]) -> frozenset[str]:
        return NO_FIELDS

    def masked(self, grants: frozenset[Grant]) -> frozenset[str]:
        # A token reads what its scopes name, whole: no policy line masks for it.
        return NO_FIELDS


class UnrestrictedScope(Scope):
    """Every row and field visible: only for measuring what authorization costs."""

    def readable(self, grants: frozenset[Grant]) -> frozenset[str]:
        return self.policy.fields

    def row_filter(self, id_field: str, unit_column: Any,
                   cadre_column: Any) -> ColumnElement[bool]:
        return true()


#: Scopes built, by kind, principal, unit tree and policy; see `scope_of`.
_SCOPES: dict[tuple[Any, ...], Scope] = {}
MAX_SCOPES = 4096


def scope_of(kind: type[Scope], principal: Principal, tree: UnitTree,
             policy: CompiledPolicy) -> Scope:
    """The scope of ``principal`` under ``tree`` and ``policy``, built once and shared by
    the requests that follow (a scope never changes once built; a new policy or unit tree
    is a new object, hence a new scope)."""
    key = (kind, principal, id(tree), id(policy))
    found = _SCOPES.get(key)
    if found is None or found.tree is not tree or found.policy is not policy:
        if len(_SCOPES) >= MAX_SCOPES:
            _SCOPES.clear()  # simplest bound: a scope costs one build to come back
        found = _SCOPES[key] = kind(principal, tree, policy)
    return found
