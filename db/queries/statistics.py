"""Statistics under policy: counts (and average scores) grouped in SQL over exactly the
records the caller may see.

Each kind of statistics names its dimensions: the SQL expression grouped by and the
``Type.field`` a caller must be allowed to read to group by it (`authz.statistics`).
A partner's counts are disclosed under `domain.statistics` (minimum group size, counts
in steps of it); a user's are exact.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import PartnerScope, Scope
from authz.statistics import check_groupable, counting_filter
from db.models import AdjustmentCase, Cadre, Evaluation, Finding, FollowUp
from db.queries import fetch_all
from db.queries.cadres import CadreCriteria, filtered
from domain.errors import InvalidInput
from domain.statistics import Disclosed, disclose, disclosed_total

#: The most cells one answer holds (the declared size of its list, `api.list_sizes`).
MAX_CELLS = 1000
#: The most dimensions one answer groups by.
MAX_DIMENSIONS = 4


@dataclass(frozen=True)
class Dimension:
    field: str
    column: Any


def _year(column: Any) -> Any:
    return extract("year", column)


CADRE_DIMENSIONS = {
    "UNIT": Dimension("Cadre.unit", Cadre.unit_id),
    "LEADERSHIP_ROLE": Dimension("Cadre.leadershipRole", Cadre.leadership_role),
    "STATUS": Dimension("Cadre.status", Cadre.status),
    "RANK": Dimension("Cadre.rank", Cadre.rank),
    "GENDER": Dimension("Cadre.gender", Cadre.gender),
    "GRADE": Dimension("Evaluation.grade", Evaluation.grade),
    "YEAR": Dimension("Evaluation.year", Evaluation.year),
    "PERIOD": Dimension("Evaluation.period", Evaluation.period),
}
#: Grouping by one of these counts evaluations rather than cadres.
EVALUATION_DIMENSIONS = frozenset({"GRADE", "YEAR", "PERIOD"})
FINDING_DIMENSIONS = {
    "ITEM": Dimension("Finding.item", Finding.item_code),
    "STATUS": Dimension("Finding.status", Finding.status),
    "UNIT": Dimension("Cadre.unit", Cadre.unit_id),
    "YEAR": Dimension("Finding.reportedAt", _year(Finding.reported_at)),
}
CASE_DIMENSIONS = {
    "STAGE": Dimension("AdjustmentCase.stage", AdjustmentCase.stage),
    "DISPOSITION": Dimension("AdjustmentCase.disposition", AdjustmentCase.disposition),
    "UNIT": Dimension("Cadre.unit", Cadre.unit_id),
}
FOLLOW_UP_DIMENSIONS = {"UNIT": Dimension("Cadre.unit", Cadre.unit_id)}


@dataclass(frozen=True)
class Cell:
    """One group: its key (dimension name → value), its disclosed count and aggregates."""

    key: dict[str, Any]
    count: Disclosed
    average_score: float | None = None
    overdue: Disclosed | None = None


@dataclass(frozen=True)
class Report:
    cells: list[Cell]
    total: int
    minimum_group_size: int | None
    #: What each count counts: cadres, evaluations, findings, cases or follow-ups.
    counted: str

    @property
    def suppressed_cells(self) -> int:
        return sum(1 for cell in self.cells if cell.count.suppressed)


def _dimensions(catalogue: dict[str, Dimension], group_by: Sequence[str]) -> list[str]:
    names = list(group_by)
    if len(set(names)) != len(names):
        raise InvalidInput("Name each dimension once.", field="groupBy")
    if len(names) > MAX_DIMENSIONS:
        raise InvalidInput(f"Group by at most {MAX_DIMENSIONS} dimensions.", field="groupBy")
    unknown = [name for name in names if name not in catalogue]
    if unknown:
        raise InvalidInput(f"No dimension {unknown[0]} here.", field="groupBy")
    return names


def minimum_for(scope: Scope, minimum_group_size: int) -> int | None:
    """The minimum group size that applies to the caller: partners only."""
    return minimum_group_size if isinstance(scope, PartnerScope) else None


async def _run(session: AsyncSession, query: Select, names: list[str],
               catalogue: dict[str, Dimension], minimum: int | None,
               counted: str) -> Report:
    columns = [catalogue[name].column for name in names]
    query = query.group_by(*columns).order_by(*columns).limit(MAX_CELLS + 1)
    # Without a dimension the count is one row even over no records: no group then.
    rows = [row for row in await fetch_all(session, query) if row._mapping["n"]]
    if len(rows) > MAX_CELLS:
        raise InvalidInput(f"More than {MAX_CELLS} groups: group by fewer dimensions or "
                           "narrow the filter.", field="groupBy")
    cells = []
    for row in rows:
        mapping = row._mapping
        key = {name: (int(mapping[name]) if name == "YEAR" and mapping[name] is not None
                      else mapping[name]) for name in names}
        overdue = mapping.get("overdue")
        average = mapping.get("average_score")
        cells.append(Cell(
            key=key, count=disclose(int(mapping["n"]), minimum),
            average_score=None if minimum is not None or average is None else float(average),
            overdue=None if overdue is None else disclose(int(overdue), minimum)))
    total = sum(int(row._mapping["n"]) for row in rows)
    return Report(cells, disclosed_total(total, minimum), minimum, counted)


def _grouped(catalogue: dict[str, Dimension], names: list[str]) -> list[Any]:
    return [catalogue[name].column.label(name) for name in names]


async def cadre_statistics(session: AsyncSession, scope: Scope, criteria: CadreCriteria,
                           group_by: Sequence[str], minimum_group_size: int) -> Report:
    """Cadres (or, grouped by GRADE, YEAR or PERIOD, their evaluations) by ``group_by``,
    with the average score of the evaluations where the caller may read scores.

    Raises:
        InvalidInput: an unknown or repeated dimension, or too many groups.
        Forbidden: a dimension the caller may not read.
    """
    names = _dimensions(CADRE_DIMENSIONS, group_by)
    grouped = [CADRE_DIMENSIONS[name].field for name in names]
    check_groupable(scope, grouped)
    evaluations = bool(EVALUATION_DIMENSIONS & set(names))
    record = ["Cadre.id", "Evaluation.id"] if evaluations else ["Cadre.id"]
    aggregates: list[Any] = [func.count().label("n")]
    if evaluations and not isinstance(scope, PartnerScope):
        scores = counting_filter(scope, ["Evaluation.score"], [], Cadre.unit_id, Cadre.id)
        aggregates.append(func.avg(case((scores, Evaluation.score))).label("average_score"))
    query = select(*_grouped(CADRE_DIMENSIONS, names), *aggregates).select_from(Cadre)
    if evaluations:
        query = query.join(Evaluation, Evaluation.cadre_id == Cadre.id)
    visible = counting_filter(scope, record, grouped, Cadre.unit_id, Cadre.id)
    return await _run(session, filtered(query, visible, criteria), names, CADRE_DIMENSIONS,
                      minimum_for(scope, minimum_group_size),
                      "evaluations" if evaluations else "cadres")


async def _child_statistics(session: AsyncSession, scope: Scope, criteria: CadreCriteria,
                            group_by: Sequence[str], minimum_group_size: int,
                            catalogue: dict[str, Dimension], table: Any, record: list[str],
                            counted: str, *aggregates: ColumnElement[Any]) -> Report:
    names = _dimensions(catalogue, group_by)
    grouped = [catalogue[name].field for name in names]
    check_groupable(scope, grouped)
    query = (select(*_grouped(catalogue, names), func.count().label("n"), *aggregates)
             .select_from(table).join(Cadre, Cadre.id == table.cadre_id))
    visible = counting_filter(scope, record, grouped, Cadre.unit_id, Cadre.id)
    return await _run(session, filtered(query, visible, criteria), names, catalogue,
                      minimum_for(scope, minimum_group_size), counted)


async def finding_statistics(session: AsyncSession, scope: Scope, criteria: CadreCriteria,
                             group_by: Sequence[str], minimum_group_size: int) -> Report:
    """Negative-list findings by item, status, unit and year reported."""
    return await _child_statistics(session, scope, criteria, group_by, minimum_group_size,
                                   FINDING_DIMENSIONS, Finding, ["Finding.id"], "findings")


async def case_statistics(session: AsyncSession, scope: Scope, criteria: CadreCriteria,
                          group_by: Sequence[str], minimum_group_size: int) -> Report:
    """Adjustment cases by stage, disposition and the cadre's unit."""
    return await _child_statistics(session, scope, criteria, group_by, minimum_group_size,
                                   CASE_DIMENSIONS, AdjustmentCase, ["AdjustmentCase.id"],
                                   "cases")


async def follow_up_statistics(session: AsyncSession, scope: Scope, criteria: CadreCriteria,
                               minimum_group_size: int, now: datetime) -> Report:
    """Follow-up files by the cadre's unit, with how many are overdue for a re-check."""
    overdue = func.sum(case(((FollowUp.closed_at.is_(None)) & (FollowUp.next_check_due < now),
                             1), else_=0)).label("overdue")
    return await _child_statistics(session, scope, criteria, ["UNIT"], minimum_group_size,
                                   FOLLOW_UP_DIMENSIONS, FollowUp,
                                   ["FollowUp.id", "FollowUp.overdue"], "follow-ups", overdue)
