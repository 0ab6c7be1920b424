"""Reads of cadres and their child records, always under a row filter from authz."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cadre, CadreLabel, CadreTypeLabel, Evaluation, Finding, NegativeListItem
from db.queries import fetch_all, id_range, id_window
from domain.enums import CadreStatus, LeadershipRole

CADRE_COLUMNS = tuple(Cadre.__table__.c)
#: What the API exposes of an evaluation, in this order (read by position on the hot path).
#: The sources come as JSON text, decoded only when a query asks for them.
EVALUATION_COLUMNS = (Evaluation.id, Evaluation.cadre_id, Evaluation.year, Evaluation.period,
                      Evaluation.grade, Evaluation.score, Evaluation.work_score,
                      Evaluation.conduct_score, Evaluation.results_score,
                      cast(Evaluation.sources, Text).label("sources_json"),
                      Evaluation.comment, Evaluation.finalised)


@dataclass(frozen=True)
class CadreCriteria:
    """Filters of the roster; ``unit_ids`` already expanded to subunits when asked."""

    unit_ids: frozenset[int] | None = None
    status: CadreStatus | None = None
    leadership_role: LeadershipRole | None = None
    search: str | None = None


def _where(query: Select, visible: ColumnElement[bool], criteria: CadreCriteria) -> Select:
    query = query.where(visible)
    if criteria.unit_ids is not None:
        query = query.where(Cadre.unit_id.in_(sorted(criteria.unit_ids)))
    if criteria.status is not None:
        query = query.where(Cadre.status == criteria.status)
    if criteria.leadership_role is not None:
        query = query.where(Cadre.leadership_role == criteria.leadership_role)
    if criteria.search:
        pattern = "%" + criteria.search.replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            Cadre.name.ilike(pattern, escape="\\") | Cadre.position.ilike(pattern, escape="\\"))
    return query


def filtered(query: Select, visible: ColumnElement[bool], criteria: CadreCriteria) -> Select:
    """``query`` (over cadres, or joined to them) restricted to ``visible`` and ``criteria``."""
    return _where(query, visible, criteria)


async def page(session: AsyncSession, visible: ColumnElement[bool], criteria: CadreCriteria,
               *, after_id: int | None, limit: int, before_id: int | None = None,
               backward: bool = False) -> Sequence[Row]:
    """Up to ``limit`` visible cadres with ``after_id < id < before_id``, in id order (the
    highest ids first, descending, when ``backward``)."""
    query = _where(select(*CADRE_COLUMNS), visible, criteria)
    return await fetch_all(session, id_window(query, Cadre.id, after_id=after_id,
                                              before_id=before_id, limit=limit,
                                              backward=backward))


async def any_in_range(session: AsyncSession, visible: ColumnElement[bool],
                       criteria: CadreCriteria, low: int, high: int) -> bool:
    """Whether a visible cadre matching ``criteria`` has ``low <= id <= high``."""
    query = id_range(_where(select(Cadre.id), visible, criteria), Cadre.id, low, high)
    return bool(await fetch_all(session, query))


async def count(session: AsyncSession, visible: ColumnElement[bool],
                criteria: CadreCriteria) -> int:
    query = _where(select(func.count()).select_from(Cadre), visible, criteria)
    return int(await session.scalar(query) or 0)


async def get(session: AsyncSession, visible: ColumnElement[bool], cadre_id: int) -> Row | None:
    found = await fetch_all(session, select(*CADRE_COLUMNS).where(visible, Cadre.id == cadre_id))
    return found[0] if found else None


def _group(rows: Sequence[Row], keys: Sequence[int]) -> list[list[Row]]:
    grouped: dict[int, list[Row]] = {key: [] for key in keys}
    for row in rows:
        grouped[row.cadre_id].append(row)
    return [grouped[key] for key in keys]


def _child_queries(ids: Callable[[Any], ColumnElement[bool]]) -> dict[str, Select]:
    """The child queries of a page; ``ids`` makes the condition on a cadre id column."""
    return {
        "evaluations": select(*EVALUATION_COLUMNS).where(ids(Evaluation.cadre_id))
        .order_by(Evaluation.cadre_id, Evaluation.year.desc(), Evaluation.period),
        "findings": select(*Finding.__table__.c, NegativeListItem.title.label("item_title"))
        .join(NegativeListItem, NegativeListItem.code == Finding.item_code)
        .where(ids(Finding.cadre_id))
        .order_by(Finding.cadre_id, Finding.reported_at.desc(), Finding.id.desc()),
        "labels": select(CadreLabel.cadre_id, CadreTypeLabel.code, CadreTypeLabel.title,
                         CadreTypeLabel.gloss)
        .join(CadreTypeLabel, CadreTypeLabel.code == CadreLabel.label_code)
        .where(ids(CadreLabel.cadre_id))
        .order_by(CadreLabel.cadre_id, CadreTypeLabel.code),
    }


# Built once. PostgreSQL binds the page's ids as one array (`= ANY`), so the SQL text
# never changes and no IN list is rendered per request (that rendering cost about 4%
# of the roster page); other databases get an expanding IN.
_CHILDREN = {
    "postgresql": _child_queries(
        lambda column: column == any_(bindparam("cadre_ids", type_=ARRAY(Integer)))),
    "default": _child_queries(
        lambda column: column.in_(bindparam("cadre_ids", expanding=True))),
}


async def _children(session: AsyncSession, kind: str,
                    cadre_ids: Sequence[int]) -> list[list[Row]]:
    connection = await session.connection()
    queries = _CHILDREN.get(connection.dialect.name, _CHILDREN["default"])
    rows = (await connection.execute(queries[kind], {"cadre_ids": list(cadre_ids)})).all()
    return _group(rows, cadre_ids)


async def evaluations_of(session: AsyncSession, cadre_ids: Sequence[int]) -> list[list[Row]]:
    """Evaluations of each cadre, newest first, in the order of ``cadre_ids``."""
    return await _children(session, "evaluations", cadre_ids)


async def findings_of(session: AsyncSession, cadre_ids: Sequence[int]) -> list[list[Row]]:
    """Findings of each cadre with their negative-list item, newest first."""
    return await _children(session, "findings", cadre_ids)


async def labels_of(session: AsyncSession, cadre_ids: Sequence[int]) -> list[list[Row]]:
    """Labels of each cadre, by code."""
    return await _children(session, "labels", cadre_ids)


async def negative_list(session: AsyncSession) -> Sequence[Row]:
    return (await session.execute(
        select(*NegativeListItem.__table__.c).order_by(NegativeListItem.code))).all()


async def by_ids(session: AsyncSession, visible: ColumnElement[bool],
                 ids: Sequence[int]) -> Sequence[Row]:
    """Visible cadres among ``ids``, in id order."""
    return await fetch_all(session, select(*CADRE_COLUMNS)
                           .where(visible, Cadre.id.in_(list(ids))).order_by(Cadre.id))
