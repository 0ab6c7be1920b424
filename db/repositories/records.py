"""Shared steps of the repositories: the cadres a caller may see, versioned updates,
uniqueness clashes as CONFLICT. Every workflow's SQL lives in `db.repositories`."""

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import Scope
from db.models import Cadre
from db.queries import cadres as cadre_queries
from domain.errors import Conflict, NotFound


def visible_cadres(scope: Scope) -> ColumnElement[bool]:
    return scope.rows("Cadre", Cadre.unit_id, Cadre.id)


async def visible_cadre(session: AsyncSession, scope: Scope, cadre_id: int,
                        field: str = "cadreId", missing: str | None = None) -> Any:
    """The cadre row if the caller may see it; NOT_FOUND otherwise, missing or not.

    ``missing`` is the message to give, so that a record under a cadre out of
    scope answers exactly as a record that does not exist.
    """
    row = await cadre_queries.get(session, visible_cadres(scope), cadre_id)
    if row is None:
        raise NotFound(missing or f"No cadre with id {cadre_id}.", field=field)
    return row


async def visible_record(session: AsyncSession, scope: Scope, model: Any, record_id: int,
                         name: str, field: str = "id", lock: bool = False) -> tuple[Any, Any]:
    """A record belonging to a cadre, and that cadre, if the caller may see the cadre.

    One statement with the row filter in it, so that a hidden id and a missing id take
    the same path and answer the same NOT_FOUND, in the same time.
    """
    query = (select(model, Cadre).join(Cadre, Cadre.id == model.cadre_id)
             .where(model.id == record_id, visible_cadres(scope)))
    if lock:
        query = query.with_for_update(of=model)
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFound(f"No {name} with id {record_id}.", field=field)
    return found[0], found[1]


async def update_versioned(session: AsyncSession, model: Any, record_id: int, version: int,
                           values: dict[str, Any]) -> Any:
    """Update one row if its version is still ``version``; CONFLICT when someone was first.

    Returns the row as written (all its columns).
    """
    # Incremented in SQL: ``version + 1`` computed here would, for a client's 2147483647
    # (a version no record reaches), be a parameter beyond the INTEGER column.
    row = (await session.execute(
        update(model).where(model.id == record_id, model.version == version)
        .values(**values, version=model.version + 1)
        .returning(*model.__table__.c))).first()
    if row is None:
        raise Conflict("The record was changed by someone else; reload it and try again.",
                       field="version")
    return row


async def flush_unique(session: AsyncSession, message: str, field: str) -> None:
    """Flush pending writes, turning a uniqueness clash into CONFLICT."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message, field=field) from None
