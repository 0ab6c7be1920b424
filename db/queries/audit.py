"""Reads of the documentary record (纪实) for the system administrator."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, cast, exists, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent
from db.queries import fetch_all, id_range, id_window

AUDIT_COLUMNS = tuple(AuditEvent.__table__.c)


@dataclass(frozen=True)
class AuditCriteria:
    """Filters of the trail; the time window is half-open: ``since <= at < until``."""

    actor: str | None = None
    record_type: str | None = None
    record_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _names_record(dialect: str, record_id: int) -> ColumnElement[bool]:
    """Whether the event's JSON list ``record_ids`` holds ``record_id``."""
    if dialect == "postgresql":
        return cast(AuditEvent.record_ids, JSONB).contains([record_id])
    ids = func.json_each(AuditEvent.record_ids).table_valued("value")
    return exists(select(literal(1)).select_from(ids).where(ids.c.value == record_id))


def _where(query: Select, dialect: str, criteria: AuditCriteria) -> Select:
    if criteria.actor is not None:
        query = query.where(AuditEvent.actor == criteria.actor)
    if criteria.record_type is not None:
        query = query.where(AuditEvent.record_type == criteria.record_type)
    if criteria.record_id is not None:
        query = query.where(_names_record(dialect, criteria.record_id))
    if criteria.since is not None:
        query = query.where(AuditEvent.at >= criteria.since)
    if criteria.until is not None:
        query = query.where(AuditEvent.at < criteria.until)
    return query


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def page(session: AsyncSession, criteria: AuditCriteria, *, after_id: int | None,
               limit: int, before_id: int | None = None,
               backward: bool = False) -> Sequence[Row]:
    """Up to ``limit`` events matching ``criteria`` with ``after_id < id < before_id``, in
    id (append) order (the newest first, descending, when ``backward``)."""
    query = _where(select(*AUDIT_COLUMNS), _dialect(session), criteria)
    return await fetch_all(session, id_window(query, AuditEvent.id, after_id=after_id,
                                              before_id=before_id, limit=limit,
                                              backward=backward))


async def any_in_range(session: AsyncSession, criteria: AuditCriteria, low: int,
                       high: int) -> bool:
    """Whether an event matching ``criteria`` has ``low <= id <= high``."""
    query = id_range(_where(select(AuditEvent.id), _dialect(session), criteria),
                     AuditEvent.id, low, high)
    return bool(await fetch_all(session, query))


async def count(session: AsyncSession, criteria: AuditCriteria) -> int:
    query = _where(select(func.count()).select_from(AuditEvent), _dialect(session), criteria)
    return int(await session.scalar(query) or 0)
