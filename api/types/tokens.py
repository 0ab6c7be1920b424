"""Partner tokens and persisted operations as the system administrator sees them. Every field
but ``id`` is guarded by policy (group ``admin:tokens``); no type carries a secret."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from api.types.cadres import Allowed
from api.types.units import Unit


@strawberry.type(description="An operation registered for partners, who run it by its hash.")
class PersistedOperation:
    id: strawberry.ID = strawberry.field(
        description="SHA-256 (hex) of the text, or the SHA-1 a manifest gave it: the "
                    "`extensions.persistedQuery.sha256Hash` a client sends.")
    name: str | None
    query: str | None = strawberry.field(description="The operation's text.")
    created_at: datetime | None
    allowed: Allowed


@strawberry.type(description="Limits on one operation of a partner token (see the README, "
                             "'Operation budgets'); a null measure follows the partner "
                             "default.")
class OperationBudget:
    document_bytes: int | None = strawberry.field(default=None,
                                                  description="Bytes of the document.")
    tokens: int | None = strawberry.field(default=None,
                                          description="Tokens of the document, comments too.")
    depth: int | None = strawberry.field(default=None, description="Nesting of selections.")
    aliases: int | None = strawberry.field(default=None,
                                           description="Aliases, fragments expanded.")
    root_fields: int | None = strawberry.field(default=None,
                                               description="Fields selected at the root.")
    fields: int | None = strawberry.field(default=None,
                                          description="Fields selected, fragments expanded.")
    directives: int | None = strawberry.field(default=None, description="Directives used.")
    cost: int | None = strawberry.field(
        default=None, description="Fields counted, each list's selection times its size.")


@strawberry.type(description="A scoped token of a partner agency (the secret is never shown "
                             "again after issue).")
class PartnerToken:
    id: strawberry.ID
    name: str | None
    agency: str | None
    scopes: list[str] | None = strawberry.field(
        description="Field groups the token reads, e.g. `cadre:basic`.")
    include_subunits: bool | None
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool | None = strawberry.field(description="Neither revoked nor expired.")
    created_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="Last request with the token, to within a minute.")
    operations: list[PersistedOperation] | None = strawberry.field(
        description="The persisted operations the token may run.")
    budget: OperationBudget | None = strawberry.field(
        description="The token's own operation limits; null: the partner defaults.")
    unit_ids: strawberry.Private[list[int]]
    allowed: Allowed

    @strawberry.field(description="The units whose records the token reads.")
    def units(self, info: strawberry.Info) -> list[Unit] | None:
        found = (info.context.units.get(unit_id) for unit_id in self.unit_ids)
        return [unit for unit in found if unit is not None]


@strawberry.type
class IssuePartnerTokenPayload:
    secret: str = strawberry.field(
        description="The bearer secret (`cp_…`), shown this once and stored only as a hash.")
    token: PartnerToken | None


@strawberry.type
class PartnerTokenPayload:
    token: PartnerToken | None


@strawberry.type
class RegisterPersistedOperationPayload:
    operation: PersistedOperation | None


@strawberry.type
class RegisterPersistedOperationsPayload:
    operations: list[PersistedOperation] | None = strawberry.field(
        description="The manifest's operations, in its order.")
    token: PartnerToken | None = strawberry.field(
        description="The token now allowed to run them, when one was named.")


def operation_from_row(row: Any, allowed: frozenset[str]) -> PersistedOperation:
    return PersistedOperation(id=strawberry.ID(row.sha256), name=row.name, query=row.query,
                              created_at=row.created_at, allowed=allowed)


def token_from_row(row: Any, operations: Sequence[Any], allowed: frozenset[str],
                   now: datetime) -> PartnerToken:
    return PartnerToken(
        id=strawberry.ID(str(row.id)), name=row.name, agency=row.agency,
        scopes=list(row.scopes), include_subunits=row.include_subunits,
        expires_at=row.expires_at, revoked_at=row.revoked_at,
        active=row.revoked_at is None and row.expires_at > now, created_at=row.created_at,
        last_used_at=row.last_used_at,
        operations=[operation_from_row(op, allowed) for op in operations],
        budget=OperationBudget(**row.budget) if row.budget else None,
        unit_ids=[int(u) for u in row.unit_ids], allowed=allowed)
