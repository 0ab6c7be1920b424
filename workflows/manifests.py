"""Registering a client's persisted-operation manifest (Apollo's or graphql-codegen's), and
letting a partner token run its operations, in one commit."""

from collections.abc import Sequence
from datetime import datetime

from authz.scope import Scope
from db.models import PartnerToken, PersistedOperation, TokenOperation
from db.queries import tokens as token_queries
from db.repositories.records import flush_unique
from db.uow import UnitOfWork
from domain.errors import Conflict, InvalidInput, NotFound
from domain.manifests import FIELD, read_manifest
from workflows.tokens import OperationCheck, SchemaCheck, checked_operations


async def register_manifest(uow: UnitOfWork, scope: Scope, *, manifest: str,
                            check: SchemaCheck, token_id: int | None,
                            check_for_token: OperationCheck, now: datetime) -> list[str]:
    """Register every operation of ``manifest`` under the id its clients send; with
    ``token_id``, also let that partner token run them. Returns the manifest's ids.

    Re-registering a manifest is harmless: an id registered already (always with the same
    text, since ids are hashes of their text) is kept as it is.

    Raises:
        Forbidden: the caller is not the system administrator.
        InvalidInput: a malformed manifest, an operation that does not validate (field
            ``manifest``), or one the token may not run (field ``tokenId``).
        NotFound: no such token. Conflict: the token is revoked.
    """
    uow.authorize(scope, scope.global_grants,
                  ["name", "query"] + (["operations"] if token_id is not None else []))
    operations = read_manifest(manifest)
    for operation in operations:
        problem = check(operation.body)
        if problem is not None:
            raise InvalidInput(f"Operation '{operation.name}': {problem}", field=FIELD)
    ids = list(dict.fromkeys(operation.id for operation in operations))
    held = {row.sha256 for row in await token_queries.list_operations(uow.session, ids)}
    uow.session.add_all(
        PersistedOperation(sha256=op.id, name=op.name, query=op.body,
                           created_by=scope.principal.user_id, created_at=now)
        for op in {op.id: op for op in operations if op.id not in held}.values())
    await flush_unique(uow.session, "The operations changed meanwhile; try again.", FIELD)
    if token_id is not None:
        await _allow(uow, token_id, ids, check_for_token)
    # One event: the operations registered, and the token that may run them, if any.
    await uow.complete([token_id] if token_id is not None else [], at=now)
    return ids


async def _allow(uow: UnitOfWork, token_id: int, ids: Sequence[str],
                 check: OperationCheck) -> None:
    token = await uow.session.get(PartnerToken, token_id)
    if token is None:
        raise NotFound(f"No partner token with id {token_id}.", field="tokenId")
    if token.revoked_at is not None:
        raise Conflict("The token is revoked.", field="tokenId")
    wanted = await checked_operations(uow, ids, frozenset(token.scopes), check,
                                      field="tokenId")
    assigned = await token_queries.assigned_hashes(uow.session, token_id)
    uow.session.add_all(TokenOperation(token_id=token_id, sha256=h)
                        for h in wanted if h not in assigned)
    await flush_unique(uow.session, "The operations changed meanwhile; try again.", "tokenId")
