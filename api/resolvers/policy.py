"""Root fields of policy administration and access explanations (system admin)."""

from typing import Annotated

import strawberry
from sqlalchemy import select

from api.auth import principal_of_token
from api.inputs import text, text_argument
from api.resolvers.ids import decode_id
from api.types.cadres import Allowed
from authz.compiled import Grant
from authz.explain import explain, explain_each
from authz.policy import ACTIONS
from authz.scope import PartnerScope, Scope, require_read
from db.models import Cadre, CasbinRule
from db.queries import records
from db.queries import tokens as token_queries
from db.queries import users as user_queries
from domain import limits
from domain.enums import Role
from domain.errors import InvalidInput, NotFound
from workflows import accounts
from workflows import policy as policy_workflows


@strawberry.type(description="One line of the Casbin policy.")
class PolicyRule:
    id: strawberry.ID
    ptype: str | None
    values: list[str] | None
    allowed: Allowed


@strawberry.type(description="The policy in force and its version.")
class PolicyView:
    version: int
    rules: list[PolicyRule]


@strawberry.type(description="The policy's decision for one relation a principal can hold.")
class RelationDecision:
    role: str
    relation: str
    granted: bool
    reason: str
    rule: list[str] | None


@strawberry.type(description="Why a user may or may not read a field of a record. For a "
                             "record the caller may not read himself, or none, the answer "
                             "is the policy-level one and says nothing about the record.")
class AccessExplanation:
    granted: bool | None
    reason: str | None = strawberry.field(
        description="ALLOWED, NOT_IN_SCOPE, NOT_GRANTED, UNKNOWN_FIELD or "
                    "OUTSIDE_TOKEN_SCOPES.")
    rule: list[str] | None = strawberry.field(description="The policy rule that allowed it.")
    role: str | None
    relation: str | None
    relations: list[RelationDecision] | None = strawberry.field(
        description="The decision for each relation the principal stands in (to the "
                    "record, or to any record at the policy level).")
    allowed: Allowed


@strawberry.input
class PolicyRuleInput:
    ptype: str = text(limits.POLICY_TYPE, "p, g or g2.")
    values: list[str] = text(limits.POLICY_VALUE, "The rule's values.", each=True)


@strawberry.input
class RoleHoldingInput:
    username: str = text(limits.USERNAME)
    role: Role
    unit_code: str | None = text(limits.UNIT_CODE, default=None)


@strawberry.type
class PolicyChangePayload:
    version: int


@strawberry.type
class RoleChangePayload:
    username: str


@strawberry.type
class RevokeUserTokensPayload:
    username: str
    token_generation: int = strawberry.field(
        description="Tokens of an earlier generation are refused from now on.")


async def _scope_of(info: strawberry.Info, name: str) -> Scope:
    """The scope of a user (by username) or of a partner token (``token:<id>``)."""
    ctx = info.context
    if name.startswith("token:"):
        rows = await token_queries.list_tokens(ctx.uow.session,
                                               decode_id(name[len("token:"):], "principal"))
        if not rows:
            raise NotFound(f"No partner token {name}.", field="principal")
        return PartnerScope(principal_of_token(rows[0]), ctx.scope.tree, ctx.scope.policy)
    principal = await user_queries.principal(ctx.uow.session, name)
    if principal is None:
        raise NotFound(f"No active user {name}.", field="principal")
    return Scope(principal, ctx.scope.tree, ctx.scope.policy)


async def _grants_of(info: strawberry.Info, scope: Scope, type_name: str,
                     record_id: int | None) -> frozenset[Grant]:
    ctx = info.context
    if record_id is None or not records.belongs_to_a_cadre(type_name):
        return frozenset().union(*scope.possible_grants())
    # Loaded under the caller's own row filter: a record he may not read (or a missing
    # one) gets the policy-level answer, so nothing about it (existence, unit, owner) leaks.
    found = await records.owner(ctx.uow.session, type_name, record_id,
                                ctx.scope.row_filter("Cadre.id", Cadre.unit_id, Cadre.id))
    if found is None:
        return frozenset().union(*scope.possible_grants())
    grants = scope.cadre_grants(*found)
    return scope.evaluation_grants(grants, True) if type_name == "Evaluation" else grants


@strawberry.type
class PolicyQueries:
    @strawberry.field(description="The policy in force (system admin).")
    async def policy(self, info: strawberry.Info,
                     ptype: Annotated[str | None, text_argument(limits.POLICY_TYPE)] = None
                     ) -> PolicyView:
        ctx = info.context
        allowed = require_read(ctx.scope, ctx.scope.global_grants, ["PolicyRule.values"])
        query = select(CasbinRule).order_by(CasbinRule.id)
        if ptype is not None:
            query = query.where(CasbinRule.ptype == ptype)
        rows = (await ctx.uow.session.scalars(query)).all()
        return PolicyView(version=ctx.scope.policy.version, rules=[
            PolicyRule(id=strawberry.ID(str(r.id)), ptype=r.ptype,
                       values=[v for v in (r.v0, r.v1, r.v2, r.v3, r.v4, r.v5) if v],
                       allowed=allowed) for r in rows])

    @strawberry.field(description="Would this user be allowed to read Type.field of the "
                                  "record? Answers with the deciding rule (system admin).")
    async def explain_access(
            self, info: strawberry.Info,
            principal: Annotated[str, text_argument(
                limits.USERNAME, "A username, or token:<id> for a partner token.")],
            type: Annotated[str, text_argument(limits.IDENTIFIER,
                                               "A GraphQL type, e.g. Cadre.")],
            field: Annotated[str, text_argument(limits.IDENTIFIER,
                                                "One of its fields, e.g. idNumber.")],
            record_id: strawberry.ID | None = None,
            action: Annotated[str, text_argument(limits.IDENTIFIER,
                                                 "read, write or mask.")] = "read"
            ) -> AccessExplanation:
        ctx = info.context
        allowed = require_read(ctx.scope, ctx.scope.global_grants,
                               ["AccessExplanation.granted"])
        if action not in ACTIONS:
            raise InvalidInput("action is read, write or mask.", field="action")
        scope = await _scope_of(info, principal)
        record = decode_id(record_id, "recordId") if record_id is not None else None
        grants = await _grants_of(info, scope, type, record)
        within = scope.ever_readable() if isinstance(scope, PartnerScope) else None
        args = (ctx.policy.enforcer, ctx.scope.policy.fields, grants, f"{type}.{field}",
                action, within)
        found = explain(*args)
        each = [RelationDecision(role=one.grant[0], relation=one.grant[1],
                                 granted=one.allowed, reason=one.reason,
                                 rule=list(one.rule) if one.rule else None)
                for one in explain_each(*args) if one.grant]
        return AccessExplanation(granted=found.allowed, reason=found.reason,
                                 rule=list(found.rule) if found.rule else None,
                                 role=found.grant[0] if found.grant else None,
                                 relation=found.grant[1] if found.grant else None,
                                 relations=each, allowed=allowed)


def reload_after_commit(info: strawberry.Info, version: int) -> None:
    """Reload and announce the policy once the change is committed: the enforcer is
    loaded on another connection, which sees only committed rules."""
    policies = info.context.policies
    info.context.uow.after_commit(lambda: policies.changed(version))


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(description="Add a policy rule; every server applies it at once. "
                                     "Its impact report goes on the audit trail.",
                         deprecation_reason="Review the change with policyImpact and apply "
                                            "it with applyPolicyChanges and its impact "
                                            "version.")
    async def add_policy_rule(self, info: strawberry.Info,
                              input: PolicyRuleInput) -> PolicyChangePayload:
        ctx = info.context
        version = await policy_workflows.add_rule(ctx.uow, ctx.scope, input.ptype,
                                                  input.values, ctx.now)
        reload_after_commit(info, version)
        return PolicyChangePayload(version=version)

    @strawberry.mutation(description="Remove a policy rule; every server applies it at once. "
                                     "Its impact report goes on the audit trail.",
                         deprecation_reason="Review the change with policyImpact and apply "
                                            "it with applyPolicyChanges and its impact "
                                            "version.")
    async def remove_policy_rule(self, info: strawberry.Info,
                                 input: PolicyRuleInput) -> PolicyChangePayload:
        ctx = info.context
        version = await policy_workflows.remove_rule(ctx.uow, ctx.scope, input.ptype,
                                                     input.values, ctx.now)
        reload_after_commit(info, version)
        return PolicyChangePayload(version=version)

    @strawberry.mutation(description="Let a user hold a role over a unit.")
    async def assign_role(self, info: strawberry.Info,
                          input: RoleHoldingInput) -> RoleChangePayload:
        ctx = info.context
        await policy_workflows.assign_role(ctx.uow, ctx.scope, input.username, input.role,
                                           input.unit_code, ctx.now)
        return RoleChangePayload(username=input.username)

    @strawberry.mutation(description="Withdraw a role holding.")
    async def revoke_role(self, info: strawberry.Info,
                          input: RoleHoldingInput) -> RoleChangePayload:
        ctx = info.context
        await policy_workflows.revoke_role(ctx.uow, ctx.scope, input.username, input.role,
                                           input.unit_code, ctx.now)
        return RoleChangePayload(username=input.username)

    @strawberry.mutation(description="Refuse every token issued so far to this account, on "
                                     "every server at once (system admin).")
    async def revoke_user_tokens(
            self, info: strawberry.Info,
            username: Annotated[str, text_argument(limits.USERNAME)]) -> RevokeUserTokensPayload:
        ctx = info.context
        generation = await accounts.revoke_user_tokens(ctx.uow, ctx.scope, username, ctx.now)
        return RevokeUserTokensPayload(username=username, token_generation=generation)

    @strawberry.mutation(description="Deactivate an account: its tokens fail at once on every "
                                     "server (system admin; not his own).")
    async def deactivate_user(
            self, info: strawberry.Info,
            username: Annotated[str, text_argument(limits.USERNAME)]) -> RoleChangePayload:
        ctx = info.context
        await accounts.deactivate_account(ctx.uow, ctx.scope, username, ctx.now)
        return RoleChangePayload(username=username)
