"""What the candidate lists weigh, fetched set-based: the cadres in scope and, for all of
them at once, their annual grades, findings with reviews, appointed cases with appeals,
awards, and their units' own grades. Six statements whatever the number of cadres."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import Scope
from db.models import (
    AdjustmentCase,
    Appeal,
    Award,
    Cadre,
    Evaluation,
    FaultToleranceReview,
    Finding,
    UnitEvaluation,
)
from db.queries import fetch_all
from db.queries.cadres import CADRE_COLUMNS
from domain.enums import EvaluationPeriod


def _visible(scope: Scope) -> ColumnElement[bool]:
    # A candidate is listed where the caller may read his rank.
    return scope.rows("Candidate", Cadre.unit_id, Cadre.id, field="rank")


async def list_cadres(session: AsyncSession, units: Sequence[int],
                      scope: Scope) -> list[Row[Any]]:
    """The cadres of ``units`` the caller may list as candidates, as the roster reads them."""
    return list(await fetch_all(session, select(*CADRE_COLUMNS)
                                .where(Cadre.unit_id.in_(units), _visible(scope))
                                .order_by(Cadre.id)))


def _queries(ids: Select, units: Sequence[int]) -> dict[str, Select]:
    return {
        "grades": select(Evaluation.cadre_id, Evaluation.year, Evaluation.grade,
                         Evaluation.score)
        .where(Evaluation.cadre_id.in_(ids), Evaluation.period == EvaluationPeriod.ANNUAL),
        "findings": select(Finding.cadre_id, Finding.reported_at, Finding.status,
                           FaultToleranceReview.outcome)
        .outerjoin(FaultToleranceReview, FaultToleranceReview.finding_id == Finding.id)
        .where(Finding.cadre_id.in_(ids)),
        "cases": select(AdjustmentCase.cadre_id, AdjustmentCase.disposition,
                        AdjustmentCase.appointed_at, Appeal.outcome)
        .outerjoin(Appeal, Appeal.case_id == AdjustmentCase.id)
        .where(AdjustmentCase.cadre_id.in_(ids), AdjustmentCase.appointed_at.is_not(None)),
        "awards": select(Award.cadre_id, Award.year).where(Award.cadre_id.in_(ids)),
        "units": select(UnitEvaluation.unit_id, UnitEvaluation.year, UnitEvaluation.grade)
        .where(UnitEvaluation.unit_id.in_(units)),
    }


async def list_facts(session: AsyncSession, units: Sequence[int],
                     scope: Scope) -> dict[str, dict[int, list[Row[Any]]]]:
    """Per kind of fact (grades, findings, cases, awards, units), its rows by cadre id
    (unit grades: by unit id), for the cadres `list_cadres` returns."""
    ids = select(Cadre.id).where(Cadre.unit_id.in_(units), _visible(scope))
    facts: dict[str, dict[int, list[Row[Any]]]] = {}
    for kind, query in _queries(ids, units).items():
        grouped: dict[int, list[Row[Any]]] = defaultdict(list)
        for row in await fetch_all(session, query):
            grouped[row[0]].append(row)
        facts[kind] = grouped
    return facts
