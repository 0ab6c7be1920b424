"""The policy what-if (`policyImpact`) and applying reviewed changes (system admin)."""

from enum import Enum

import strawberry

from api.inputs import text
from api.resolvers.policy import reload_after_commit
from authz.scope import require_read
from db.queries.policy_impact import Impact
from domain import limits
from workflows import policy as policy_workflows


@strawberry.enum(description="Whether a change adds or removes its rule.")
class PolicyChangeKind(Enum):
    ADD = "ADD"
    REMOVE = "REMOVE"


@strawberry.enum(description="What a subject sees of a field.")
class FieldAccess(Enum):
    READ = "READ"
    MASKED = strawberry.enum_value("MASKED", description="Through its masking rule.")
    DENIED = "DENIED"


@strawberry.input(description="One rule to add or remove.")
class PolicyChangeInput:
    change: PolicyChangeKind
    ptype: str = text(limits.POLICY_TYPE, "p, g or g2.")
    values: list[str] = text(limits.POLICY_VALUE, "The rule's values.", each=True)


@strawberry.type(description="A field whose access changes for one subject.")
class FieldImpact:
    role: str
    relation: str
    partner_token_id: strawberry.ID | None = strawberry.field(
        description="Set when the subject is one partner token (role partner, relation scope).")
    field: str = strawberry.field(description="Type.field")
    before: FieldAccess
    after: FieldAccess
    writable_before: bool
    writable_after: bool
    records: int | None = strawberry.field(
        description="Records of the field's type in the database that the subject reaches "
                    "(null: administrative records, not counted).")


@strawberry.type(description="Rows that turn visible or hidden for one subject (by Type.id).")
class RecordImpact:
    role: str
    relation: str
    partner_token_id: strawberry.ID | None
    type: str
    become_visible: int
    become_hidden: int


@strawberry.type(description="What a policy change would change. Counts only, never values.")
class PolicyImpact:
    impact_version: str = strawberry.field(
        description="Apply the changes with this version (applyPolicyChanges); it names the "
                    "policy version the report was computed on and the changes.")
    policy_version: int
    fields: list[FieldImpact]
    records: list[RecordImpact]


@strawberry.input
class ApplyPolicyChangesInput:
    changes: list[PolicyChangeInput]
    impact_version: str = text(limits.IDENTIFIER, "The impactVersion of the reviewed report.")


@strawberry.type
class ApplyPolicyChangesPayload:
    version: int
    impact: PolicyImpact


def _token(token_id: int | None) -> strawberry.ID | None:
    return None if token_id is None else strawberry.ID(str(token_id))


def impact_view(impact: Impact) -> PolicyImpact:
    fields = [FieldImpact(
        role=c.subject.role, relation=c.subject.relation,
        partner_token_id=_token(c.subject.token_id), field=c.field,
        before=FieldAccess(c.before), after=FieldAccess(c.after),
        writable_before=c.writable_before, writable_after=c.writable_after,
        records=impact.reach.get((c.subject, c.field.split(".", 1)[0])))
        for c in impact.fields]
    records = [RecordImpact(
        role=subject.role, relation=subject.relation, partner_token_id=_token(subject.token_id),
        type=type_name,
        become_visible=(impact.reach.get((subject, type_name)) or 0) if direction > 0 else 0,
        become_hidden=(impact.reach.get((subject, type_name)) or 0) if direction < 0 else 0)
        for (subject, type_name), direction in impact.visibility.items()]
    return PolicyImpact(impact_version=impact.version, policy_version=impact.policy_version,
                        fields=fields, records=records)


def _changes(changes: list[PolicyChangeInput]) -> list[tuple[str, str, list[str]]]:
    return [(c.change.value, c.ptype, c.values) for c in changes]


@strawberry.type
class PolicyImpactQuery:
    @strawberry.field(description="What these rule changes would change, per role and relation "
                                  "and per partner token, with record counts (system admin).")
    async def policy_impact(self, info: strawberry.Info,
                            changes: list[PolicyChangeInput]) -> PolicyImpact:
        ctx = info.context
        require_read(ctx.scope, ctx.scope.global_grants, ["PolicyRule.values"])
        impact = await policy_workflows.preview_changes(ctx.uow, ctx.scope, _changes(changes),
                                                        ctx.now)
        return impact_view(impact)


@strawberry.type
class PolicyImpactMutation:
    @strawberry.mutation(description="Apply reviewed rule changes: only with the impactVersion "
                                     "of their report on the policy in force (CONFLICT "
                                     "otherwise). The report goes on the audit trail.")
    async def apply_policy_changes(self, info: strawberry.Info,
                                   input: ApplyPolicyChangesInput) -> ApplyPolicyChangesPayload:
        ctx = info.context
        version, impact = await policy_workflows.apply_changes(
            ctx.uow, ctx.scope, _changes(input.changes), input.impact_version, ctx.now)
        reload_after_commit(info, version)
        return ApplyPolicyChangesPayload(version=version, impact=impact_view(impact))
