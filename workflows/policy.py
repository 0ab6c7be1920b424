"""Administering the policy and role assignments (system admin).

Rules are written in the caller's transaction, together with the new policy
version and the audit event, so a change is either whole or absent; the server
then reloads the policy through Casbin's adapter and tells the others.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update

from authz.policy import ACTIONS, RELATIONS, memory_enforcer, policy_version
from authz.scope import Scope, require_read, require_write
from db import audit
from db.models import CasbinRule, PolicyState, RoleAssignment, Unit, User
from db.uow import UnitOfWork
from domain import duties, limits
from domain.enums import Role
from domain.errors import Conflict, InvalidInput, NotFound
from workflows import policy_impact
from workflows.policy_impact import Change, Impact
from workflows.records import flush_unique

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


def _matches(rule: Rule) -> Any:
    columns = [CasbinRule.v0, CasbinRule.v1, CasbinRule.v2, CasbinRule.v3]
    return and_(CasbinRule.ptype == rule.ptype,
                *(column == value for column, value in zip(columns, rule.values, strict=False)))


async def _bump_version(uow: UnitOfWork) -> int:
    result = await uow.session.execute(
        update(PolicyState).where(PolicyState.id == 1)
        .values(version=PolicyState.version + 1).returning(PolicyState.version))
    return int(result.scalar_one())


async def add_rule(uow: UnitOfWork, scope: Scope, ptype: str, values: list[str],
                   now: datetime) -> int:
    """Add one policy rule; returns the new policy version."""
    require_write(scope, scope.global_grants, ["PolicyRule.values"])
    rule = check_rule(ptype, values)
    if await uow.session.scalar(select(CasbinRule.id).where(_matches(rule))) is not None:
        raise Conflict("The policy already holds this rule.", field="values")
    row = CasbinRule(ptype=rule.ptype, **{f"v{i}": v for i, v in enumerate(rule.values)})
    uow.session.add(row)
    # The unique index settles a race the check above cannot see.
    await flush_unique(uow.session, "The policy already holds this rule.", "values")
    version = await _bump_version(uow)
    report = await _report(uow, scope, Change(policy_impact.ADD, rule.ptype, rule.values),
                           version - 1, now)
    await audit.record(uow.session, actor=scope.principal, operation="addPolicyRule",
                       record_type="PolicyRule", record_ids=[row.id],
                       fields=[rule.ptype, *rule.values, *report], at=now)
    await uow.complete()
    return version


async def remove_rule(uow: UnitOfWork, scope: Scope, ptype: str, values: list[str],
                      now: datetime) -> int:
    """Remove one policy rule; returns the new policy version."""
    require_write(scope, scope.global_grants, ["PolicyRule.values"])
    rule = check_rule(ptype, values)
    if (rule.ptype, *rule.values) == LIFELINE:
        raise Conflict("Removing this rule would lock every administrator out.",
                       field="values")
    ids = list(await uow.session.scalars(select(CasbinRule.id).where(_matches(rule))))
    if not ids:
        raise NotFound("The policy holds no such rule.", field="values")
    await uow.session.execute(delete(CasbinRule).where(CasbinRule.id.in_(ids)))
    version = await _bump_version(uow)
    report = await _report(uow, scope, Change(policy_impact.REMOVE, rule.ptype, rule.values),
                           version - 1, now)
    await audit.record(uow.session, actor=scope.principal, operation="removePolicyRule",
                       record_type="PolicyRule", record_ids=ids,
                       fields=[rule.ptype, *rule.values, *report], at=now)
    await uow.complete()
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
    """What ``changes`` would change, with the version to apply them by (system admin).

    Raises:
        Forbidden: the caller may not read the policy.
        InvalidInput, Conflict, NotFound: a malformed change, or one that cannot apply.
    """
    require_read(scope, scope.global_grants, ["PolicyRule.values"])
    checked = check_changes(changes)
    return await policy_impact.compute_impact(uow.session, await policy_version(uow.session),
                                              scope.tree, checked, LIFELINE, now)


async def apply_changes(uow: UnitOfWork, scope: Scope, changes: list[tuple[str, str, list[str]]],
                        version: str, now: datetime) -> tuple[int, Impact]:
    """Apply ``changes`` if ``version`` is the version of their impact on the policy now;
    returns the new policy version and the impact, which goes on the audit trail.

    Raises:
        Forbidden: the caller may not write the policy.
        Conflict: the policy changed since the impact was computed, or the changes differ
            from those reviewed (``impactVersion``).
    """
    require_write(scope, scope.global_grants, ["PolicyRule.values"])
    checked = check_changes(changes)
    # Raising the version first takes the policy's lock: concurrent applies go one by one,
    # and all but the first find the version moved.
    new_version = await _bump_version(uow)
    impact = await policy_impact.compute_impact(uow.session, new_version - 1, scope.tree,
                                                checked, LIFELINE, now)
    if impact.version != version:
        raise Conflict("The policy changed since this impact was computed, or the changes "
                       "differ from it: compute the impact again.", field="impactVersion")
    ids: list[int] = []
    for change in checked:
        rule = Rule(change.ptype, change.values)
        if change.action == policy_impact.ADD:
            row = CasbinRule(ptype=rule.ptype,
                             **{f"v{i}": v for i, v in enumerate(rule.values)})
            uow.session.add(row)
            await flush_unique(uow.session, "The policy already holds this rule.", "changes")
            ids.append(row.id)
        else:
            found = list(await uow.session.scalars(select(CasbinRule.id)
                                                   .where(_matches(rule))))
            await uow.session.execute(delete(CasbinRule).where(CasbinRule.id.in_(found)))
            ids.extend(found)
    await audit.record(uow.session, actor=scope.principal, operation="applyPolicyChanges",
                       record_type="PolicyRule", record_ids=ids,
                       fields=[f"{c.action} {', '.join(c.line)}" for c in checked]
                       + policy_impact.summary(impact), at=now)
    await uow.complete()
    return new_version, impact


async def _user_and_unit(uow: UnitOfWork, username: str, role: Role,
                         unit_code: str | None) -> tuple[int, int | None]:
    # The account's row is locked: two concurrent changes of its roles (an admin role and
    # a data role, say) are checked one after the other, never side by side.
    user_id = await uow.session.scalar(select(User.id).where(User.username == username)
                                       .with_for_update())
    if user_id is None:
        raise NotFound(f"No user {username}.", field="username")
    if role in (Role.ADMIN, Role.CADRE):
        if unit_code is not None:
            raise InvalidInput(f"The {role.value} role holds no unit.", field="unitCode")
        return user_id, None
    if unit_code is None:
        raise InvalidInput(f"The {role.value} role holds over a unit.", field="unitCode")
    unit_id = await uow.session.scalar(select(Unit.id).where(Unit.code == unit_code))
    if unit_id is None:
        raise NotFound(f"No unit with code {unit_code}.", field="unitCode")
    return user_id, unit_id


def _holding(user_id: int, role: Role, unit_id: int | None) -> Any:
    unit = (RoleAssignment.unit_id.is_(None) if unit_id is None
            else RoleAssignment.unit_id == unit_id)
    return and_(RoleAssignment.user_id == user_id, RoleAssignment.role == role, unit)


async def assign_role(uow: UnitOfWork, scope: Scope, username: str, role: Role,
                      unit_code: str | None, now: datetime) -> None:
    """Let a user hold a role over a unit; takes effect on his next request everywhere."""
    require_write(scope, scope.global_grants, ["UserAccount.roles"])
    user_id, unit_id = await _user_and_unit(uow, username, role, unit_code)
    duties.check_not_own_account(scope.principal.user_id, user_id)
    held = await uow.session.scalars(select(RoleAssignment.role)
                                     .where(RoleAssignment.user_id == user_id))
    duties.check_compatible(held, role)
    if await uow.session.scalar(select(RoleAssignment.id)
                                .where(_holding(user_id, role, unit_id))) is not None:
        raise Conflict("The user already holds this role there.", field="role")
    assignment = RoleAssignment(user_id=user_id, role=role, unit_id=unit_id)
    uow.session.add(assignment)
    await flush_unique(uow.session, "The user already holds this role there.", "role")
    await audit.record(uow.session, actor=scope.principal, operation="assignRole",
                       record_type="UserAccount", record_ids=[user_id],
                       fields=[role.value, unit_code or ""], at=now)
    await uow.complete()


async def revoke_role(uow: UnitOfWork, scope: Scope, username: str, role: Role,
                      unit_code: str | None, now: datetime) -> None:
    """Withdraw a role holding; takes effect on the user's next request everywhere."""
    require_write(scope, scope.global_grants, ["UserAccount.roles"])
    user_id, unit_id = await _user_and_unit(uow, username, role, unit_code)
    duties.check_not_own_account(scope.principal.user_id, user_id)
    result = await uow.session.execute(delete(RoleAssignment)
                                       .where(_holding(user_id, role, unit_id)))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("The user holds no such role there.", field="role")
    await audit.record(uow.session, actor=scope.principal, operation="revokeRole",
                       record_type="UserAccount", record_ids=[user_id],
                       fields=[role.value, unit_code or ""], at=now)
    await uow.complete()
