"""Statistics under policy as GraphQL types: one cell type per kind of statistics, each
naming its dimensions as typed fields (null where the answer is not grouped by it)."""

from enum import Enum
from typing import Any

import strawberry

import api.types.enums  # noqa: F401 - the shared enums register first
from api.types.units import Unit
from db.queries.statistics import Cell, Report
from domain.enums import (
    CadreStatus,
    CaseStage,
    Disposition,
    EvaluationPeriod,
    FindingStatus,
    Gender,
    Grade,
    LeadershipRole,
    Rank,
)


@strawberry.enum(description="What cadre statistics may be grouped by.")
class CadreDimension(Enum):
    UNIT = "UNIT"
    LEADERSHIP_ROLE = "LEADERSHIP_ROLE"
    STATUS = "STATUS"
    RANK = "RANK"
    GENDER = "GENDER"
    GRADE = strawberry.enum_value("GRADE", description="The evaluation's grade: counts "
                                                       "evaluations.")
    YEAR = strawberry.enum_value("YEAR", description="The evaluation's year: counts "
                                                     "evaluations.")
    PERIOD = strawberry.enum_value("PERIOD", description="The evaluation's period: counts "
                                                         "evaluations.")


@strawberry.enum(description="What finding statistics may be grouped by.")
class FindingDimension(Enum):
    ITEM = "ITEM"
    STATUS = "STATUS"
    UNIT = "UNIT"
    YEAR = strawberry.enum_value("YEAR", description="The year the finding was reported.")


@strawberry.enum(description="What case statistics may be grouped by.")
class CaseDimension(Enum):
    STAGE = "STAGE"
    DISPOSITION = "DISPOSITION"
    UNIT = "UNIT"


SUPPRESSED = ("True when the cell counts fewer records than the minimum group size (partner "
              "tokens only): its count is then null.")
COUNT = "Records in the cell; for a partner token in steps of the minimum group size."


@strawberry.type(description="One group of cadres (or of their evaluations).")
class CadreStatisticsCell:
    unit: Unit | None
    leadership_role: LeadershipRole | None
    status: CadreStatus | None
    rank: Rank | None
    gender: Gender | None
    grade: Grade | None
    year: int | None
    period: EvaluationPeriod | None
    count: int | None = strawberry.field(description=COUNT)
    suppressed: bool = strawberry.field(description=SUPPRESSED)
    average_score: float | None = strawberry.field(
        description="Average evaluation score of the cell, over the evaluations whose "
                    "score the caller may read (grouped by an evaluation dimension; never "
                    "for partner tokens).")


@strawberry.type(description="One group of negative-list findings.")
class FindingStatisticsCell:
    item_code: str | None
    status: FindingStatus | None
    unit: Unit | None
    year: int | None
    count: int | None = strawberry.field(description=COUNT)
    suppressed: bool = strawberry.field(description=SUPPRESSED)


@strawberry.type(description="One group of adjustment cases.")
class CaseStatisticsCell:
    stage: CaseStage | None
    disposition: Disposition | None
    unit: Unit | None
    count: int | None = strawberry.field(description=COUNT)
    suppressed: bool = strawberry.field(description=SUPPRESSED)


@strawberry.type(description="The follow-up files of one unit.")
class FollowUpStatisticsCell:
    unit: Unit | None
    count: int | None = strawberry.field(description=COUNT)
    suppressed: bool = strawberry.field(description=SUPPRESSED)
    overdue: int | None = strawberry.field(description="Files whose re-check is overdue.")


def _summary(report: Report) -> dict[str, Any]:
    return {"total": report.total, "suppressed_cells": report.suppressed_cells,
            "minimum_group_size": report.minimum_group_size, "counted": report.counted}


TOTAL = ("Records counted in all cells; for a partner token in steps of the minimum group "
         "size (a suppressed cell cannot be recomputed from it).")
MINIMUM = "The minimum group size applied (partner tokens); null: exact counts."


@strawberry.type(description="Cadre statistics under the caller's policy.")
class CadreStatistics:
    cells: list[CadreStatisticsCell]
    total: int = strawberry.field(description=TOTAL)
    suppressed_cells: int
    minimum_group_size: int | None = strawberry.field(description=MINIMUM)
    counted: str = strawberry.field(description="cadres, or evaluations.")


@strawberry.type(description="Finding statistics under the caller's policy.")
class FindingStatistics:
    cells: list[FindingStatisticsCell]
    total: int = strawberry.field(description=TOTAL)
    suppressed_cells: int
    minimum_group_size: int | None = strawberry.field(description=MINIMUM)
    counted: str


@strawberry.type(description="Case statistics under the caller's policy.")
class CaseStatistics:
    cells: list[CaseStatisticsCell]
    total: int = strawberry.field(description=TOTAL)
    suppressed_cells: int
    minimum_group_size: int | None = strawberry.field(description=MINIMUM)
    counted: str


@strawberry.type(description="Follow-up statistics under the caller's policy.")
class FollowUpStatistics:
    cells: list[FollowUpStatisticsCell]
    total: int = strawberry.field(description=TOTAL)
    suppressed_cells: int
    minimum_group_size: int | None = strawberry.field(description=MINIMUM)
    counted: str


def _counts(cell: Cell) -> dict[str, Any]:
    return {"count": cell.count.count, "suppressed": cell.count.suppressed}


def cadre_statistics(report: Report, units: Any) -> CadreStatistics:
    cells = [CadreStatisticsCell(
        unit=units.get(cell.key.get("UNIT")), leadership_role=cell.key.get("LEADERSHIP_ROLE"),
        status=cell.key.get("STATUS"), rank=cell.key.get("RANK"), gender=cell.key.get("GENDER"),
        grade=cell.key.get("GRADE"), year=cell.key.get("YEAR"), period=cell.key.get("PERIOD"),
        average_score=cell.average_score, **_counts(cell)) for cell in report.cells]
    return CadreStatistics(cells=cells, **_summary(report))


def finding_statistics(report: Report, units: Any) -> FindingStatistics:
    cells = [FindingStatisticsCell(
        item_code=cell.key.get("ITEM"), status=cell.key.get("STATUS"),
        unit=units.get(cell.key.get("UNIT")), year=cell.key.get("YEAR"), **_counts(cell))
        for cell in report.cells]
    return FindingStatistics(cells=cells, **_summary(report))


def case_statistics(report: Report, units: Any) -> CaseStatistics:
    cells = [CaseStatisticsCell(
        stage=cell.key.get("STAGE"), disposition=cell.key.get("DISPOSITION"),
        unit=units.get(cell.key.get("UNIT")), **_counts(cell)) for cell in report.cells]
    return CaseStatistics(cells=cells, **_summary(report))


def follow_up_statistics(report: Report, units: Any) -> FollowUpStatistics:
    cells = [FollowUpStatisticsCell(
        unit=units.get(cell.key.get("UNIT")),
        overdue=cell.overdue.count if cell.overdue is not None else None, **_counts(cell))
        for cell in report.cells]
    return FollowUpStatistics(cells=cells, **_summary(report))
