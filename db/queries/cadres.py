"""Reads of cadres and their child records, always under a row filter from authz."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cadre, CadreLabel, CadreTypeLabel, Evaluation, Finding, NegativeListItem
from db.queries import fetch_all
from domain.enums import CadreStatus, LeadershipRole

CADRE_COLUMNS = tuple(Cadre.__table__.c)
#: What the API exposes of an evaluation; the timestamps stay in the database.
EVALUATION_COLUMNS = (Evaluation.id, Evaluation.cadre_id, Evaluation.year, Evaluation.period,
                      Evaluation.grade, Evaluation.score, Evaluation.work_score,
                      Evaluation.conduct_score, Evaluation.results_score, Evaluation.sources,
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


async def page(session: AsyncSession, visible: ColumnElement[bool], criteria: CadreCriteria,
               *, after_id: int | None, limit: int) -> Sequence[Row]:
    """Up to ``limit`` visible cadres ordered by id, starting after ``after_id``."""
    query = _where(select(*CADRE_COLUMNS), visible, criteria)
    if after_id is not None:
        query = query.where(Cadre.id > after_id)
    return await fetch_all(session, query.order_by(Cadre.id).limit(limit))


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


# The child queries are built once; a page's cadre ids bind to the expanding parameter.
_IDS = bindparam("cadre_ids", expanding=True)
_EVALUATIONS = (select(*EVALUATION_COLUMNS).where(Evaluation.cadre_id.in_(_IDS))
                .order_by(Evaluation.cadre_id, Evaluation.year.desc(), Evaluation.period))
_FINDINGS = (select(*Finding.__table__.c, NegativeListItem.title.label("item_title"))
             .join(NegativeListItem, NegativeListItem.code == Finding.item_code)
             .where(Finding.cadre_id.in_(_IDS))
             .order_by(Finding.cadre_id, Finding.reported_at.desc(), Finding.id.desc()))
_LABELS = (select(CadreLabel.cadre_id, CadreTypeLabel.code, CadreTypeLabel.title,
                  CadreTypeLabel.gloss)
           .join(CadreTypeLabel, CadreTypeLabel.code == CadreLabel.label_code)
           .where(CadreLabel.cadre_id.in_(_IDS))
           .order_by(CadreLabel.cadre_id, CadreTypeLabel.code))


async def _children(session: AsyncSession, statement: Select,
                    cadre_ids: Sequence[int]) -> list[list[Row]]:
    connection = await session.connection()
    rows = (await connection.execute(statement, {"cadre_ids": list(cadre_ids)})).all()
    return _group(rows, cadre_ids)


async def evaluations_of(session: AsyncSession, cadre_ids: Sequence[int]) -> list[list[Row]]:
    """Evaluations of each cadre, newest first, in the order of ``cadre_ids``."""
    return await _children(session, _EVALUATIONS, cadre_ids)


async def findings_of(session: AsyncSession, cadre_ids: Sequence[int]) -> list[list[Row]]:
    """Findings of each cadre with their negative-list item, newest first."""
    return await _children(session, _FINDINGS, cadre_ids)


async def labels_of(session: AsyncSession, cadre_ids: Sequence[int]) -> list[list[Row]]:
    """Labels of each cadre, by code."""
    return await _children(session, _LABELS, cadre_ids)


async def negative_list(session: AsyncSession) -> Sequence[Row]:
    return (await session.execute(
        select(*NegativeListItem.__table__.c).order_by(NegativeListItem.code))).all()


async def cadre_of_evaluation(session: AsyncSession, evaluation_id: int) -> int:
    return int(await session.scalar(
        select(Evaluation.cadre_id).where(Evaluation.id == evaluation_id)))


async def cadre_of_finding(session: AsyncSession, finding_id: int) -> int:
    return int(await session.scalar(select(Finding.cadre_id).where(Finding.id == finding_id)))
