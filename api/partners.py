"""Serving partner tokens: persisted operations only, on the partner's view of the schema.

A partner request names a registered operation by hash (Apollo style:
``extensions.persistedQuery = {"version": 1, "sha256Hash": "…"}``) and carries no
query text. The endpoint finds the operation among those assigned to the token,
checks it against the partner's view (`api.partner_schema`), and the endpoint runs
its text on that view of the schema.

Refusals (`api.http.Refused`; the HTTP status is fixed per code):
PERSISTED_QUERY_REQUIRED (403) for query text, FORBIDDEN (403) for a mutation or an
operation reading outside the token's scopes, PERSISTED_QUERY_NOT_FOUND (404) for a
hash that is unknown or not assigned to the token, BAD_USER_INPUT (400) for a body
that is not one JSON operation.
"""

from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request

from api.http import Operation, Refused
from api.partner_schema import MAX_TOKENS, PartnerSchema, partner_schema
from api.policy_sync import LoadedPolicy
from api.telemetry import note_operation
from authz.scope import PartnerScope, Scope
from authz.tokens import is_operation_hash
from db.queries import tokens as token_queries
from domain.principal import Principal

NOT_FOUND = "No registered operation with this hash is assigned to this token."


class PartnerGateway:
    """The partner side of the GraphQL endpoint: which view a token executes on, and which
    registered operation a request names.

    Args:
        schema: the full schema the endpoint serves.
    """

    def __init__(self, schema: strawberry.Schema) -> None:
        self.schema = schema

    async def prepare(self, request: Request, policy: LoadedPolicy,
                      operation: Operation) -> tuple[strawberry.Schema, str]:
        """The partner's view of the schema and the text of the operation to run on it.

        Raises:
            Refused: query text, a hash not assigned to the token, an operation no longer
                allowed, or a persisted-query version other than 1.
        """
        principal: Principal = request.state.principal
        partner = partner_schema(self.schema, policy.compiled, principal.scopes)
        query = await _persisted_text(request, principal, partner, operation)
        return partner.strawberry, query


def partner_scope(scope: Scope, principal: Principal) -> PartnerScope:
    """The row and field scope of a partner token, on the tree and policy of ``scope``."""
    return PartnerScope(principal, scope.tree, scope.policy)


async def _persisted_text(request: Request, principal: Principal, partner: PartnerSchema,
                          operation: Operation) -> str:
    """The text of the assigned operation the request names; `Refused` otherwise."""
    if operation.query:
        if _writes(operation.query):
            raise Refused("FORBIDDEN", "Partner tokens may not change records.")
        raise Refused("PERSISTED_QUERY_REQUIRED",
                      "Partner tokens run registered operations only: send "
                      "extensions.persistedQuery.sha256Hash and no query text.")
    sha256 = operation.persisted_hash
    if not operation.names_persisted:
        raise Refused("PERSISTED_QUERY_REQUIRED",
                      "Send extensions.persistedQuery.sha256Hash of a registered operation.")
    if operation.persisted_version != 1:
        raise Refused("BAD_USER_INPUT", "Only version 1 of persisted queries is supported.")
    if sha256 is None or not is_operation_hash(sha256):
        raise Refused("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
    assert principal.token_id is not None
    registered = await token_queries.assigned_operation(request.state.uow.session,
                                                        principal.token_id, sha256)
    if registered is None:
        raise Refused("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
    note_operation(registered.name)
    problem = partner.vet(sha256, registered.query)
    if problem is not None:
        raise Refused("FORBIDDEN", problem)
    return registered.query


def _writes(query: Any) -> bool:
    """Whether ad-hoc text is an operation other than a query (a mutation, a subscription)."""
    if not isinstance(query, str):
        return False
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    return any(isinstance(d, OperationDefinitionNode) and d.operation is not OperationType.QUERY
               for d in document.definitions)
