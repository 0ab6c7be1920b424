"""Reads of partner tokens and persisted operations."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PartnerToken, PersistedOperation, TokenOperation

#: Last-used times are written at most this often per token: a busy partner would
#: otherwise turn every read into a write on the same row.
LAST_USED_RESOLUTION = timedelta(seconds=60)

_BY_HASH = select(PartnerToken.id, PartnerToken.name, PartnerToken.scopes,
                  PartnerToken.unit_ids, PartnerToken.include_subunits,
                  PartnerToken.expires_at, PartnerToken.revoked_at,
                  PartnerToken.last_used_at, PartnerToken.budget).where(
    PartnerToken.secret_hash == bindparam("secret_hash"))

_ASSIGNED = (select(PersistedOperation.name, PersistedOperation.query)
             .join(TokenOperation, TokenOperation.sha256 == PersistedOperation.sha256)
             .where(TokenOperation.token_id == bindparam("token_id"),
                    TokenOperation.sha256 == bindparam("sha256")))


async def by_secret_hash(session: AsyncSession, secret_hash: str) -> Any:
    """The token whose secret hashes to ``secret_hash``, revoked or expired ones included."""
    connection = await session.connection()
    return (await connection.execute(_BY_HASH, {"secret_hash": secret_hash})).first()


async def touch(session: AsyncSession, token_id: int, now: datetime) -> None:
    """Set the token's last-used time unless it was set within `LAST_USED_RESOLUTION`.

    The condition is in the statement, so of two servers touching at once one writes.
    """
    await session.execute(
        update(PartnerToken)
        .where(PartnerToken.id == token_id,
               or_(PartnerToken.last_used_at.is_(None),
                   PartnerToken.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now).execution_options(synchronize_session=False))


class Registered(NamedTuple):
    """A registered operation: the name the admin gave it, and its text."""

    name: str
    query: str


async def assigned_operation(session: AsyncSession, token_id: int,
                             sha256: str) -> Registered | None:
    """The persisted operation ``sha256`` if the token may run it."""
    connection = await session.connection()
    row = (await connection.execute(_ASSIGNED, {"token_id": token_id,
                                                "sha256": sha256})).first()
    return Registered(row.name, row.query) if row is not None else None


async def list_tokens(session: AsyncSession, token_id: int | None = None) -> Sequence[Any]:
    """Every token (or the one ``token_id``), newest first, as ORM rows."""
    statement = select(PartnerToken).order_by(PartnerToken.id.desc())
    if token_id is not None:
        statement = statement.where(PartnerToken.id == token_id)
    return (await session.execute(statement)).scalars().all()


async def operations_of(session: AsyncSession,
                        token_ids: Sequence[int]) -> dict[int, list[PersistedOperation]]:
    """The persisted operations each token may run, by token id, in name order."""
    found: dict[int, list[PersistedOperation]] = {token_id: [] for token_id in token_ids}
    if not token_ids:
        return found
    rows = await session.execute(
        select(TokenOperation.token_id, PersistedOperation)
        .join(PersistedOperation, PersistedOperation.sha256 == TokenOperation.sha256)
        .where(TokenOperation.token_id.in_(token_ids))
        .order_by(PersistedOperation.name, PersistedOperation.sha256))
    for token_id, operation in rows:
        found[token_id].append(operation)
    return found


async def list_operations(session: AsyncSession,
                          hashes: Sequence[str] | None = None) -> Sequence[PersistedOperation]:
    """Registered operations (those of ``hashes`` when given), in name order."""
    statement = select(PersistedOperation).order_by(PersistedOperation.name,
                                                    PersistedOperation.sha256)
    if hashes is not None:
        statement = statement.where(PersistedOperation.sha256.in_(hashes))
    return (await session.execute(statement)).scalars().all()


async def assigned_hashes(session: AsyncSession, token_id: int) -> set[str]:
    rows = await session.scalars(select(TokenOperation.sha256)
                                 .where(TokenOperation.token_id == token_id))
    return set(rows)


async def registered_operation(session: AsyncSession, sha256: str) -> Registered | None:
    """The registered operation ``sha256``, if there is one."""
    row = (await session.execute(select(PersistedOperation.name, PersistedOperation.query)
                                 .where(PersistedOperation.sha256 == sha256))).first()
    return Registered(row.name, row.query) if row is not None else None
