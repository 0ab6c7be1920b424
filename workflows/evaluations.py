"""Recording and finalising performance evaluations (organization department)."""

from dataclasses import dataclass
from datetime import datetime

from authz.scope import Scope
from db.models import Evaluation
from db.repositories.records import flush_unique, visible_cadre, visible_record
from db.uow import UnitOfWork
from domain import evaluations as rules
from domain.enums import EvaluationPeriod, EvaluationSource, Grade
from workflows.records import Written


@dataclass(frozen=True)
class NewEvaluation:
    cadre_id: int
    year: int
    period: EvaluationPeriod
    grade: Grade
    score: float | None = None
    work_score: float | None = None
    conduct_score: float | None = None
    results_score: float | None = None
    sources: tuple[EvaluationSource, ...] = ()
    comment: str | None = None


def _written_fields(new: NewEvaluation) -> list[str]:
    written = ["year", "period", "grade"]
    if new.score is not None:
        written.append("score")
    if (new.work_score, new.conduct_score, new.results_score) != (None, None, None):
        written.append("dimension_scores")
    if new.sources:
        written.append("sources")
    if new.comment is not None:
        written.append("comment")
    return written


async def record_evaluation(uow: UnitOfWork, scope: Scope, new: NewEvaluation,
                            now: datetime) -> Written[Evaluation]:
    """Record an evaluation of a cadre for one period; one per cadre, year and period.

    Returns the evaluation written, with the caller's grants on its cadre."""
    rules.check_year(new.year, now.year)
    for name in ("score", "work_score", "conduct_score", "results_score"):
        rules.check_score(getattr(new, name), "score" if name == "score" else "dimensionScores")
    comment = rules.check_comment(new.comment)
    cadre = await visible_cadre(uow.session, scope, new.cadre_id)
    grants = scope.cadre_grants(cadre.unit_id, cadre.id)
    uow.authorize(scope, grants, _written_fields(new))
    evaluation = Evaluation(
        cadre_id=cadre.id, year=new.year, period=new.period, grade=new.grade, score=new.score,
        work_score=new.work_score, conduct_score=new.conduct_score,
        results_score=new.results_score, sources=[s.value for s in dict.fromkeys(new.sources)],
        comment=comment, finalised=False, created_at=now)
    uow.session.add(evaluation)
    await flush_unique(uow.session, "This cadre already has an evaluation for that period.",
                       "period")
    await uow.complete([evaluation.id], at=now)
    return Written(evaluation, grants)


async def finalise_evaluation(uow: UnitOfWork, scope: Scope, evaluation_id: int,
                              now: datetime) -> Written[Evaluation]:
    """Make an evaluation part of the record: it can no longer change."""
    evaluation, cadre = await visible_record(uow.session, scope, Evaluation, evaluation_id,
                                             "evaluation", lock=True)
    grants = scope.cadre_grants(cadre.unit_id, cadre.id)
    uow.authorize(scope, grants, ["finalised"])
    rules.check_editable(evaluation.finalised)
    evaluation.finalised = True
    evaluation.finalised_at = now
    await uow.complete([evaluation.id], at=now)
    return Written(evaluation, grants)
