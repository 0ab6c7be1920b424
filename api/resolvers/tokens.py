"""Root fields administering partner tokens and persisted operations (system admin)."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.inputs import text, text_argument
from api.partner_schema import partner_schema, schema_problem
from api.resolvers.ids import decode_id, decode_time
from api.selection import selected_names
from api.types.tokens import (
    IssuePartnerTokenPayload,
    PartnerToken,
    PartnerTokenPayload,
    PersistedOperation,
    RegisterPersistedOperationPayload,
    RegisterPersistedOperationsPayload,
    operation_from_row,
    token_from_row,
)
from authz.tokens import operation_hash
from db.queries import tokens as token_queries
from domain import limits
from workflows import manifests, tokens
from workflows.tokens import OperationCheck, SchemaCheck


@strawberry.input(description="Limits on one operation of a partner token; an omitted "
                              "measure follows the partner default.")
class OperationBudgetInput:
    document_bytes: int | None = None
    tokens: int | None = None
    depth: int | None = None
    aliases: int | None = None
    root_fields: int | None = None
    fields: int | None = None
    directives: int | None = None
    cost: int | None = None


@strawberry.input(description="A scoped token for a partner agency.")
class IssuePartnerTokenInput:
    name: str = text(limits.TOKEN_NAME, "A unique name, e.g. `audit-bureau-2026`.")
    agency: str = text(limits.AGENCY, "The agency, e.g. 审计局.")
    scopes: list[str] = text(limits.SCOPE,
                             "Field groups to read: `cadre:basic`, `evaluation:grade`.",
                             each=True)
    unit_ids: list[strawberry.ID] = strawberry.field(description="Units whose cadres it reads.")
    expires_at: datetime = strawberry.field(description="At most a year ahead.")
    include_subunits: bool = strawberry.field(default=True,
                                              description="Also the units below them.")
    operations: list[str] | None = text(
        limits.OPERATION_HASH, "Ids (SHA-256 or SHA-1 hashes) of registered operations it may run.",
        each=True, default=None)
    budget: OperationBudgetInput | None = strawberry.field(
        default=None, description="Its own operation limits, tighter or looser than the "
                                  "partner defaults.")


@strawberry.input(description="An operation partners may be allowed to run.")
class RegisterPersistedOperationInput:
    name: str = text(limits.OPERATION_NAME)
    query: str = text(limits.OPERATION_TEXT, "The exact text; its SHA-256 becomes its id.")


def _operation_check(info: strawberry.Info) -> OperationCheck:
    full, policy = info.schema, info.context.scope.policy

    def check(query: str, scopes: frozenset[str]) -> str | None:
        return partner_schema(full, policy, scopes).vet(operation_hash(query), query)

    return check


def _schema_check(info: strawberry.Info) -> SchemaCheck:
    graphql_schema = info.schema._schema
    return lambda query: schema_problem(graphql_schema, query)


async def _token(info: strawberry.Info, token_id: int) -> PartnerToken | None:
    ctx, scope = info.context, info.context.scope
    rows = await token_queries.list_tokens(ctx.uow.session, token_id)
    operations = await token_queries.operations_of(ctx.uow.session, [token_id])
    allowed = scope.readable(scope.global_grants)
    return (token_from_row(rows[0], operations[token_id], allowed, ctx.now)
            if rows else None)


@strawberry.type
class TokenQuery:
    @strawberry.field(description="Partner tokens, newest first (system admin; empty for "
                                  "everyone else). Secrets are never shown.")
    async def partner_tokens(self, info: strawberry.Info) -> list[PartnerToken]:
        ctx, scope = info.context, info.context.scope
        if not scope.can_read_system("PartnerToken.id"):
            return []
        rows = await token_queries.list_tokens(ctx.uow.session)
        operations = (await token_queries.operations_of(ctx.uow.session, [r.id for r in rows])
                      if "operations" in selected_names(info) else {})
        allowed = scope.readable(scope.global_grants)
        return [token_from_row(row, operations.get(row.id, []), allowed, ctx.now)
                for row in rows]

    @strawberry.field(description="Operations registered for partners (system admin; empty "
                                  "for everyone else).")
    async def persisted_operations(self, info: strawberry.Info) -> list[PersistedOperation]:
        scope = info.context.scope
        if not scope.can_read_system("PersistedOperation.id"):
            return []
        allowed = scope.readable(scope.global_grants)
        return [operation_from_row(row, allowed)
                for row in await token_queries.list_operations(info.context.uow.session)]


@strawberry.type
class TokenMutation:
    @strawberry.mutation(description="Issue a scoped token to a partner agency; the secret is "
                                     "in the payload, once (system admin).")
    async def issue_partner_token(self, info: strawberry.Info,
                                  input: IssuePartnerTokenInput) -> IssuePartnerTokenPayload:
        ctx = info.context
        token_id, secret = await tokens.issue_partner_token(
            ctx.uow, ctx.scope, name=input.name, agency=input.agency, scopes=input.scopes,
            unit_ids=[decode_id(u, "unitIds") for u in input.unit_ids],
            include_subunits=input.include_subunits,
            expires_at=decode_time(input.expires_at, "expiresAt"),
            operations=input.operations or [], check=_operation_check(info), now=ctx.now,
            budget=vars(input.budget) if input.budget is not None else None)
        return IssuePartnerTokenPayload(secret=secret, token=await _token(info, token_id))

    @strawberry.mutation(description="Revoke a partner token, at once on every server.")
    async def revoke_partner_token(self, info: strawberry.Info,
                                   id: strawberry.ID) -> PartnerTokenPayload:
        ctx = info.context
        token_id = await tokens.revoke_partner_token(ctx.uow, ctx.scope, decode_id(id),
                                                     ctx.now)
        return PartnerTokenPayload(token=await _token(info, token_id))

    @strawberry.mutation(description="Set a partner token's own operation limits (null: the "
                                     "partner defaults), from its next request on.")
    async def set_partner_token_budget(self, info: strawberry.Info, token_id: strawberry.ID,
                                       budget: OperationBudgetInput | None
                                       ) -> PartnerTokenPayload:
        ctx = info.context
        found = await tokens.set_partner_token_budget(
            ctx.uow, ctx.scope, decode_id(token_id, "tokenId"),
            vars(budget) if budget is not None else None, ctx.now)
        return PartnerTokenPayload(token=await _token(info, found))

    @strawberry.mutation(description="Register an operation partners may be allowed to run; "
                                     "its id is the SHA-256 of its text.")
    async def register_persisted_operation(
            self, info: strawberry.Info,
            input: RegisterPersistedOperationInput) -> RegisterPersistedOperationPayload:
        ctx = info.context
        sha256 = await tokens.register_persisted_operation(
            ctx.uow, ctx.scope, name=input.name, query=input.query,
            check=_schema_check(info), now=ctx.now)
        rows = await token_queries.list_operations(ctx.uow.session, [sha256])
        allowed = ctx.scope.readable(ctx.scope.global_grants)
        return RegisterPersistedOperationPayload(
            operation=operation_from_row(rows[0], allowed) if rows else None)

    @strawberry.mutation(description="Register the operations of a client's manifest, each "
                                     "under the id its clients send (Apollo's "
                                     "`generate-persisted-query-manifest` output, or "
                                     "graphql-codegen's persisted documents); with "
                                     "`tokenId`, also let that partner token run them.")
    async def register_persisted_operations(
            self, info: strawberry.Info,
            manifest: Annotated[str, text_argument(limits.MANIFEST, "The manifest's JSON "
                                                   "text, as the tool wrote it.")],
            token_id: strawberry.ID | None = None) -> RegisterPersistedOperationsPayload:
        ctx = info.context
        found = decode_id(token_id, "tokenId") if token_id is not None else None
        ids = await manifests.register_manifest(
            ctx.uow, ctx.scope, manifest=manifest, check=_schema_check(info), token_id=found,
            check_for_token=_operation_check(info), now=ctx.now)
        allowed = ctx.scope.readable(ctx.scope.global_grants)
        rows = {row.sha256: row for row in await token_queries.list_operations(
            ctx.uow.session, ids)}
        return RegisterPersistedOperationsPayload(
            operations=[operation_from_row(rows[i], allowed) for i in ids if i in rows],
            token=await _token(info, found) if found is not None else None)

    @strawberry.mutation(description="Let a partner token run more registered operations.")
    async def allow_partner_operations(
            self, info: strawberry.Info, token_id: strawberry.ID,
            hashes: Annotated[list[str], text_argument(limits.OPERATION_HASH, "Ids (SHA-256 "
                                                       "or SHA-1 hashes) of registered "
                                                       "operations.", each=True)]
            ) -> PartnerTokenPayload:
        ctx = info.context
        found = await tokens.allow_partner_operations(
            ctx.uow, ctx.scope, decode_id(token_id, "tokenId"), hashes,
            _operation_check(info), ctx.now)
        return PartnerTokenPayload(token=await _token(info, found))
