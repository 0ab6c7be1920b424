"""Administering the policy and role assignments (system admin).

Rules are written in the caller's transaction, together with the new policy
version and the audit event, so a change is either whole or absent; the server
then reloads the policy through Casbin's adapter and tells the others.
"""

from dataclasses import dataclass
from datetime import datetime

from authz.policy import ACTIONS, RELATIONS, memory_enforcer
from authz.scope import Scope
from db import policy_store
from db.models import CasbinRule, RoleAssignment
from db.queries import policy_impact
from db.queries.policy_impact import Change, Impact
from db.repositories import units, users
from db.repositories.records import flush_unique
from db.uow import UnitOfWork
from domain import duties, limits
from domain.enums import Role
from domain.errors import Conflict, InvalidInput, NotFound

PTYPES = {"p": 4, "g": 2, "g2": 2}
VALUE_MAX = limits.POLICY_VALUE
#: Without this rule nobody could administer the policy any more.
LIFELINE = ("p", "admin", "system", "admin:policy", "write")


@dataclass(frozen=True)
class Rule:
    ptype: str
    values: tuple[str, ...]


def check_rule(ptype: str, values: list[str]) -> Rule:
    """A well-formed rule: known type, right arity, known relation and action.

    Raises:
        InvalidInput: naming ``ptype`` or ``values``.
    """
    if ptype not in PTYPES:
        raise InvalidInput(f"ptype must be one of {', '.join(PTYPES)}.", field="ptype")
    cleaned = tuple(v.strip() for v in values)
    if len(cleaned) != PTYPES[ptype]:
        raise InvalidInput(f"A {ptype} rule has {PTYPES[ptype]} values.", field="values")
    if any(not v or len(v) > VALUE_MAX or "," in v for v in cleaned):
        raise InvalidInput(f"Each value is 1 to {VALUE_MAX} characters without commas.",
                           field="values")
    if ptype == "p" and (cleaned[1] not in RELATIONS or cleaned[3] not in ACTIONS):
        raise InvalidInput(f"A p rule reads (role, relation, object, action) with relation in "
                           f"{', '.join(RELATIONS)} and action in {', '.join(ACTIONS)}.",
                           field="values")
    # The model itself must accept the line (Casbin's management API on a scratch enforcer).
    scratch = memory_enforcer([])
    added = (scratch.add_named_policy(ptype, list(cleaned)) if ptype == "p"
             else scratch.add_named_grouping_policy(ptype, list(cleaned)))
    if not added:
        raise InvalidInput("Casbin refused the rule.", field="values")
    return Rule(ptype, cleaned)


async def add_rule(uow: UnitOfWork, scope: Scope, ptype: str, values: list[str],
                   now: datetime) -> int:
    """Add one policy rule; returns the new policy version."""
    uow.authorize(scope, scope.global_grants, ["values"])
    rule = check_rule(ptype, values)
    if await policy_store.rule_ids(uow.session, rule.ptype, rule.values):
        raise Conflict("The policy already holds this rule.", field="values")
    row = CasbinRule(ptype=rule.ptype, **{f"v{i}": v for i, v in enumerate(rule.values)})
    uow.session.add(row)
    # The unique index settles a race the check above cannot see.
    await flush_unique(uow.session, "The policy already holds this rule.", "values")
    version = await policy_store.raise_version(uow.session)
    report = await _report(uow, scope, Change(policy_impact.ADD, rule.ptype, rule.values),
                           version - 1, now)
    await uow.complete([row.id], at=now, listed=[rule.ptype, *rule.values, *report])
    return version


async def remove_rule(uow: UnitOfWork, scope: Scope, ptype: str, values: list[str],
                      now: datetime) -> int:
    """Remove one policy rule; returns the new policy version."""
    uow.authorize(scope, scope.global_grants, ["values"])
    rule = check_rule(ptype, values)
    if (rule.ptype, *rule.values) == LIFELINE:
        raise Conflict("Removing this rule would lock every administrator out.",
                       field="values")
    ids = await policy_store.rule_ids(uow.session, rule.ptype, rule.values)
    if not ids:
        raise NotFound("The policy holds no such rule.", field="values")
    await policy_store.remove_rules(uow.session, ids)
    version = await policy_store.raise_version(uow.session)
    report = await _report(uow, scope, Change(policy_impact.REMOVE, rule.ptype, rule.values),
                           version - 1, now)
    await uow.complete(ids, at=now, listed=[rule.ptype, *rule.values, *report])
    return version


def check_changes(changes: list[tuple[str, str, list[str]]]) -> list[Change]:
    """Each ``(ADD | REMOVE, ptype, values)`` checked as `check_rule` checks a rule."""
    found = []
    for action, ptype, values in changes:
        rule = check_rule(ptype, values)
        found.append(Change(action, rule.ptype, rule.values))
    return found


async def _report(uow: UnitOfWork, scope: Scope, change: Change, version: int,
                  now: datetime) -> list[str]:
    """The impact of ``change``, already written in this transaction, as lines for the
    audit trail. Computed after the write, so the unique index has settled a race first: the
    policy before is the one read now, with the change undone."""
    lines = await policy_impact.policy_lines(uow.session)
    if change.action == policy_impact.ADD:
        lines.remove(change.line)
    else:
        lines.append(change.line)
    return policy_impact.summary(await policy_impact.compute_impact(
        uow.session, version, scope.tree, [change], LIFELINE, now, lines=lines))


async def preview_changes(uow: UnitOfWork, scope: Scope,
                          changes: list[tuple[str, str, list[str]]], now: datetime) -> Impact:
    """What ``changes`` would change, with the version to apply them by; the caller has
    checked that he may read the policy.

    Raises:
        InvalidInput, Conflict, NotFound: a malformed change, or one that cannot apply.
    """
    checked = check_changes(changes)
    return await policy_impact.compute_impact(
        uow.session, await policy_store.policy_version(uow.session), scope.tree, checked,
        LIFELINE, now)


async def apply_changes(uow: UnitOfWork, scope: Scope, changes: list[tuple[str, str, list[str]]],
                        version: str, now: datetime) -> tuple[int, Impact]:
    """Apply ``changes`` if ``version`` is the version of their impact on the policy now;
    returns the new policy version and the impact, which goes on the audit trail.

    Raises:
        Forbidden: the caller may not write the policy.
        Conflict: the policy changed since the impact was computed, or the changes differ
            from those reviewed (``impactVersion``).
    """
    uow.authorize(scope, scope.global_grants, ["values"])
    checked = check_changes(changes)
    # Raising the version first takes the policy's lock: concurrent applies go one by one,
    # and all but the first find the version moved.
    new_version = await policy_store.raise_version(uow.session)
    impact = await policy_impact.compute_impact(uow.session, new_version - 1, scope.tree,
                                                checked, LIFELINE, now)
    if impact.version != version:
        raise Conflict("The policy changed since this impact was computed, or the changes "
                       "differ from it: compute the impact again.", field="impactVersion")
    ids: list[int] = []
    for change in checked:
        if change.action == policy_impact.ADD:
            row = CasbinRule(ptype=change.ptype,
                             **{f"v{i}": v for i, v in enumerate(change.values)})
            uow.session.add(row)
            await flush_unique(uow.session, "The policy already holds this rule.", "changes")
            ids.append(row.id)
        else:
            found = await policy_store.rule_ids(uow.session, change.ptype, change.values)
            await policy_store.remove_rules(uow.session, found)
            ids.extend(found)
    await uow.complete(ids, at=now, listed=[f"{c.action} {', '.join(c.line)}" for c in checked]
                       + policy_impact.summary(impact))
    return new_version, impact


async def _user_and_unit(uow: UnitOfWork, username: str, role: Role,
                         unit_code: str | None) -> tuple[int, int | None]:
    # The account's row is locked: two concurrent changes of its roles (an admin role and
    # a data role, say) are checked one after the other, never side by side.
    user_id = await users.get_id(uow.session, username, lock=True)
    if user_id is None:
        raise NotFound(f"No user {username}.", field="username")
    if role in (Role.ADMIN, Role.CADRE):
        if unit_code is not None:
            raise InvalidInput(f"The {role.value} role holds no unit.", field="unitCode")
        return user_id, None
    if unit_code is None:
        raise InvalidInput(f"The {role.value} role holds over a unit.", field="unitCode")
    unit_id = await units.get_id(uow.session, unit_code)
    if unit_id is None:
        raise NotFound(f"No unit with code {unit_code}.", field="unitCode")
    return user_id, unit_id


async def assign_role(uow: UnitOfWork, scope: Scope, username: str, role: Role,
                      unit_code: str | None, now: datetime) -> None:
    """Let a user hold a role over a unit; takes effect on his next request everywhere."""
    uow.authorize(scope, scope.global_grants, ["roles"])
    user_id, unit_id = await _user_and_unit(uow, username, role, unit_code)
    duties.check_not_own_account(scope.principal.user_id, user_id)
    held = await users.list_roles(uow.session, user_id)
    duties.check_compatible(held, role)
    if await users.holds(uow.session, user_id, role, unit_id):
        raise Conflict("The user already holds this role there.", field="role")
    assignment = RoleAssignment(user_id=user_id, role=role, unit_id=unit_id)
    uow.session.add(assignment)
    await flush_unique(uow.session, "The user already holds this role there.", "role")
    await uow.complete([user_id], at=now, listed=[role.value, unit_code or ""])


async def revoke_role(uow: UnitOfWork, scope: Scope, username: str, role: Role,
                      unit_code: str | None, now: datetime) -> None:
    """Withdraw a role holding; takes effect on the user's next request everywhere."""
    uow.authorize(scope, scope.global_grants, ["roles"])
    user_id, unit_id = await _user_and_unit(uow, username, role, unit_code)
    duties.check_not_own_account(scope.principal.user_id, user_id)
    if not await users.remove_holding(uow.session, user_id, role, unit_id):
        raise NotFound("The user holds no such role there.", field="role")
    await uow.complete([user_id], at=now, listed=[role.value, unit_code or ""])
