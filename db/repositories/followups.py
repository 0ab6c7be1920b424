"""Follow-up files, as the workflows read and write them."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import Scope
from db.models import Cadre, FollowUp, FollowUpCheck, Retraining
from db.queries import fetch_all


def visible(scope: Scope) -> ColumnElement[bool]:
    """SQL condition on follow-ups joined to their cadre: those the caller may read."""
    return scope.rows("FollowUp", Cadre.unit_id, Cadre.id)


async def get_locked(session: AsyncSession, scope: Scope,
                     follow_up_id: int) -> tuple[FollowUp, int] | None:
    """The follow-up, locked, with its cadre's unit, if the caller may see it."""
    found = (await session.execute(
        select(FollowUp, Cadre.unit_id).join(Cadre, Cadre.id == FollowUp.cadre_id)
        .where(FollowUp.id == follow_up_id, visible(scope))
        .with_for_update(of=FollowUp))).first()
    return (found[0], found[1]) if found is not None else None


async def list_files(session: AsyncSession, scope: Scope, unit_ids: frozenset[int] | None,
                     follow_up_id: int | None) -> list[Row[Any]]:
    """Visible follow-ups (with ``cadre_unit_id``), earliest check due first."""
    query = (select(*FollowUp.__table__.c, Cadre.unit_id.label("cadre_unit_id"))
             .join(Cadre, Cadre.id == FollowUp.cadre_id).where(visible(scope))
             .order_by(FollowUp.next_check_due, FollowUp.id))
    if unit_ids is not None:
        query = query.where(Cadre.unit_id.in_(sorted(unit_ids)))
    if follow_up_id is not None:
        query = query.where(FollowUp.id == follow_up_id)
    return list(await fetch_all(session, query))


async def list_checks(session: AsyncSession,
                      follow_up_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """The re-checks of the follow-ups, newest first, by follow-up id."""
    return await _grouped(session, select(*FollowUpCheck.__table__.c)
                          .where(FollowUpCheck.follow_up_id.in_(follow_up_ids))
                          .order_by(FollowUpCheck.checked_at.desc(), FollowUpCheck.id.desc()))


async def list_retrainings(session: AsyncSession,
                           follow_up_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """The retraining of the follow-ups, earliest first, by follow-up id."""
    return await _grouped(session, select(*Retraining.__table__.c)
                          .where(Retraining.follow_up_id.in_(follow_up_ids))
                          .order_by(Retraining.started_on, Retraining.id))


async def _grouped(session: AsyncSession, query: Any) -> dict[int, list[Row[Any]]]:
    grouped: dict[int, list[Row[Any]]] = {}
    for row in await fetch_all(session, query):
        grouped.setdefault(row.follow_up_id, []).append(row)
    return grouped
