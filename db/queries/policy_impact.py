"""The policy what-if: what a list of rule changes would change, before it is applied.

For each role under each relation, and each active partner token, the ``Type.field`` whose
access moves (`authz.impact`), with the number of records in the database each change reaches
and the rows that turn visible or hidden: counts only, never a value. The report carries a
version (the policy version it was computed on and a digest of the changes); the changes
are applied only with that version (`workflows.policy.apply_changes`), so an administrator
applies exactly what he reviewed.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.compiled import CompiledPolicy, compile_policy
from authz.impact import (
    PARTNER_ROLE,
    FieldChange,
    Subject,
    Token,
    field_changes,
    visibility_changes,
)
from authz.policy import memory_enforcer
from authz.scope import UnitTree
from db.models import (
    AdjustmentCase,
    Award,
    Cadre,
    CasbinRule,
    Evaluation,
    Finding,
    FollowUp,
    PartnerToken,
    RoleAssignment,
    User,
)
from domain.enums import Role
from domain.errors import Conflict, InvalidInput, NotFound

ADD = "ADD"
REMOVE = "REMOVE"
#: Record types counted, with the column naming their cadre (the cadre decides the unit).
COUNTED: dict[str, tuple[Any, Any]] = {
    "Cadre": (Cadre, Cadre.id),
    "Evaluation": (Evaluation, Evaluation.cadre_id),
    "Finding": (Finding, Finding.cadre_id),
    "AdjustmentCase": (AdjustmentCase, AdjustmentCase.cadre_id),
    "FollowUp": (FollowUp, FollowUp.cadre_id),
    "Award": (Award, Award.cadre_id),
}
#: The longest report: more field lines are refused (split the change).
MAX_FIELD_CHANGES = 1000


@dataclass(frozen=True)
class Change:
    """One rule to add or remove; ``values`` already checked (`workflows.policy.check_rule`)."""

    action: str
    ptype: str
    values: tuple[str, ...]

    @property
    def line(self) -> list[str]:
        return [self.ptype, *self.values]


@dataclass(frozen=True)
class Impact:
    policy_version: int
    version: str
    fields: list[FieldChange]
    #: Records of each type a subject reaches (None: not counted, e.g. administrative records).
    reach: dict[tuple[Subject, str], int | None]
    #: Record types whose rows turn visible (+1) or hidden (-1), per subject.
    visibility: dict[tuple[Subject, str], int]


def impact_version(policy_version: int, changes: Sequence[Change]) -> str:
    """``<policy version>-<digest of the changes>``: what an apply must present."""
    text = json.dumps([policy_version, [[c.action, *c.line] for c in changes]],
                      ensure_ascii=False)
    return f"{policy_version}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


async def policy_lines(session: AsyncSession) -> list[list[str]]:
    """The policy in the database, as Casbin lines, in the caller's transaction."""
    rows = await session.scalars(select(CasbinRule).order_by(CasbinRule.id))
    return [[r.ptype, *(v for v in (r.v0, r.v1, r.v2, r.v3, r.v4, r.v5) if v is not None)]
            for r in rows]


def changed_lines(lines: list[list[str]], changes: Sequence[Change],
                  lifeline: tuple[str, ...]) -> list[list[str]]:
    """``lines`` with ``changes`` applied in order.

    Raises:
        Conflict: adding a line already present, or removing the lifeline.
        NotFound: removing a line absent.
    """
    found = [list(line) for line in lines]
    for index, change in enumerate(changes):
        field = f"changes.{index}"
        if change.action == ADD:
            if change.line in found:
                raise Conflict("The policy already holds this rule.", field=field)
            found.append(change.line)
        else:
            if tuple(change.line) == lifeline:
                raise Conflict("Removing this rule would lock every administrator out.",
                               field=field)
            if change.line not in found:
                raise NotFound("The policy holds no such rule.", field=field)
            found.remove(change.line)
    return found


def _compiled(lines: list[list[str]], version: int) -> CompiledPolicy:
    return compile_policy(memory_enforcer(lines), version)


async def _tokens(session: AsyncSession, now: datetime) -> list[tuple[Token, PartnerToken]]:
    rows = await session.scalars(select(PartnerToken).where(
        PartnerToken.revoked_at.is_(None), PartnerToken.expires_at > now)
        .order_by(PartnerToken.id))
    return [(Token(row.id, frozenset(row.scopes)), row) for row in rows]


async def _cadre_condition(session: AsyncSession, subject: Subject, tree: UnitTree,
                           tokens: dict[int, PartnerToken]) -> Any:
    """SQL condition on cadres a subject reaches, or None when it reaches none."""
    if subject.role == PARTNER_ROLE:
        if subject.relation != "scope":
            return None
        # One token, or (for the role) every active token.
        units: set[int] = set()
        for token in ([tokens[subject.token_id]] if subject.token_id is not None
                      else tokens.values()):
            for unit_id in token.unit_ids:
                units |= tree.subtree(unit_id) if token.include_subunits else {unit_id}
        return Cadre.unit_id.in_(sorted(units)) if units else None
    try:
        role = Role(subject.role)
    except ValueError:
        return None  # a role only the policy names: nobody holds it
    held = select(RoleAssignment.unit_id).join(User, User.id == RoleAssignment.user_id).where(
        RoleAssignment.role == role, User.active.is_(True))
    if subject.relation == "jurisdiction" and role not in (Role.CADRE, Role.ADMIN):
        holdings = list(await session.scalars(held))
        units = set()
        for held_unit in holdings:
            units |= tree.subtree(held_unit)
        return Cadre.unit_id.in_(sorted(units)) if units else None
    if subject.relation in ("self", "self_finalised") and role is Role.CADRE:
        own = select(User.cadre_id).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
            RoleAssignment.role == role, User.active.is_(True), User.cadre_id.is_not(None))
        return Cadre.id.in_(own)
    return None


async def _reach(session: AsyncSession, subject: Subject, type_name: str, tree: UnitTree,
                 tokens: dict[int, PartnerToken]) -> int | None:
    counted = COUNTED.get(type_name)
    if counted is None:
        return None
    condition = await _cadre_condition(session, subject, tree, tokens)
    if condition is None:
        return 0
    model, cadre_column = counted
    query = select(func.count()).select_from(model)
    if model is not Cadre:
        query = query.join(Cadre, Cadre.id == cadre_column)
    if subject.relation == "self_finalised" and model is Evaluation:
        query = query.where(Evaluation.finalised.is_(True))
    return int(await session.scalar(query.where(or_(condition))) or 0)


async def compute_impact(session: AsyncSession, policy_version: int, tree: UnitTree,
                         changes: Sequence[Change], lifeline: tuple[str, ...],
                         now: datetime, lines: list[list[str]] | None = None) -> Impact:
    """The impact of ``changes`` on the policy in the database (or on ``lines``).

    Raises:
        InvalidInput: no change, or a report longer than `MAX_FIELD_CHANGES` lines.
        Conflict, NotFound: see `changed_lines`.
    """
    if not changes:
        raise InvalidInput("Give at least one change.", field="changes")
    if lines is None:
        lines = await policy_lines(session)
    after = changed_lines(lines, changes, lifeline)
    tokens = await _tokens(session, now)
    fields = field_changes(_compiled(lines, policy_version), _compiled(after, policy_version),
                           [token for token, _ in tokens])
    if len(fields) > MAX_FIELD_CHANGES:
        raise InvalidInput(f"The changes touch more than {MAX_FIELD_CHANGES} fields; apply "
                           "them in smaller steps.", field="changes")
    rows = {token.id: row for token, row in tokens}
    reach = {}
    for key in sorted({(c.subject, c.field.split(".", 1)[0]) for c in fields},
                      key=lambda k: (k[0].role, k[0].relation, k[0].token_id or 0, k[1])):
        reach[key] = await _reach(session, key[0], key[1], tree, rows)
    return Impact(policy_version, impact_version(policy_version, changes), fields, reach,
                  visibility_changes(fields))


def summary(impact: Impact) -> list[str]:
    """The report as lines of text, for the audit trail and the command line."""
    lines = [f"impact {impact.version}"]
    for change in impact.fields:
        name = _subject_name(change.subject)
        write = ("" if change.writable_before == change.writable_after
                 else " +write" if change.writable_after else " -write")
        state = "" if change.before == change.after else f" {change.before}->{change.after}"
        records = impact.reach.get((change.subject, change.field.split(".", 1)[0]))
        count = "" if records is None else f" ({records} records)"
        lines.append(f"{name} {change.field}{state}{write}{count}")
    for (subject, type_name), direction in sorted(
            impact.visibility.items(), key=lambda item: (_subject_name(item[0][0]), item[0][1])):
        records = impact.reach.get((subject, type_name)) or 0
        verb = "become visible" if direction > 0 else "become hidden"
        lines.append(f"{_subject_name(subject)} {records} {type_name} records {verb}")
    return lines


def _subject_name(subject: Subject) -> str:
    if subject.token_id is not None:
        return f"token:{subject.token_id}"
    return f"{subject.role}/{subject.relation}"
