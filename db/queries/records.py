"""Which cadre a record belongs to: the relations of a caller to it follow from that."""

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AdjustmentCase,
    Appeal,
    Award,
    Cadre,
    Evaluation,
    FaultToleranceReview,
    Finding,
    FindingStatement,
    FollowUp,
)

#: For each type whose rows belong to a cadre, the select of (cadre unit, cadre id).
_OWNER: dict[str, Select] = {
    "Cadre": select(Cadre.unit_id, Cadre.id).where(Cadre.id == Cadre.id),
    "Evaluation": select(Cadre.unit_id, Cadre.id).join(Evaluation,
                                                        Evaluation.cadre_id == Cadre.id),
    "Finding": select(Cadre.unit_id, Cadre.id).join(Finding, Finding.cadre_id == Cadre.id),
    "AdjustmentCase": select(Cadre.unit_id, Cadre.id).join(
        AdjustmentCase, AdjustmentCase.cadre_id == Cadre.id),
    "Appeal": select(Cadre.unit_id, Cadre.id).join(
        AdjustmentCase, AdjustmentCase.cadre_id == Cadre.id).join(
        Appeal, Appeal.case_id == AdjustmentCase.id),
    "FollowUp": select(Cadre.unit_id, Cadre.id).join(FollowUp, FollowUp.cadre_id == Cadre.id),
    "FaultToleranceReview": select(Cadre.unit_id, Cadre.id).join(
        Finding, Finding.cadre_id == Cadre.id).join(
        FaultToleranceReview, FaultToleranceReview.finding_id == Finding.id),
    "FindingStatement": select(Cadre.unit_id, Cadre.id).join(
        Finding, Finding.cadre_id == Cadre.id).join(
        FindingStatement, FindingStatement.finding_id == Finding.id),
    "Award": select(Cadre.unit_id, Cadre.id).join(Award, Award.cadre_id == Cadre.id),
}
_ID = {"Cadre": Cadre.id, "Evaluation": Evaluation.id, "Finding": Finding.id,
       "AdjustmentCase": AdjustmentCase.id, "Appeal": Appeal.id, "FollowUp": FollowUp.id,
       "FaultToleranceReview": FaultToleranceReview.id,
       "FindingStatement": FindingStatement.id, "Award": Award.id}


def belongs_to_a_cadre(type_name: str) -> bool:
    return type_name in _OWNER


async def owner(session: AsyncSession, type_name: str, record_id: int,
                visible: ColumnElement[bool]) -> tuple[int, int] | None:
    """(unit id, cadre id) of the cadre a record belongs to, if ``visible`` lets the caller
    see that cadre; None when there is no record or it is hidden (one statement either way).
    """
    query = _OWNER[type_name].where(_ID[type_name] == record_id, visible)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None
