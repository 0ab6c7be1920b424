"""What raises a cadre's priority: awards, his unit's own grade; and the ranked candidate lists.

The candidate lists are set-based: six statements fetch the cadres in scope and,
for all of them at once, their annual grades, findings with their reviews,
appointed cases with their appeals, awards and their units' grades; the rules of
`domain.promotion` then run in Python.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import Scope
from db.models import (
    Award,
    UnitEvaluation,
)
from db.repositories import promotion as promotion_repository
from db.repositories import units
from db.repositories.records import flush_unique, visible_cadre
from db.uow import UnitOfWork
from domain import evaluations as evaluation_rules
from domain import followups as rules
from domain import ids, promotion
from domain.enums import Grade
from domain.errors import Conflict, NotFound
from workflows.records import Written


async def grant_award(uow: UnitOfWork, scope: Scope, cadre_id: int, title: str, year: int,
                      now: datetime) -> Written[Award]:
    """Recognise a cadre (e.g. "闯创干"型干部); awards raise his promotion rank."""
    name = rules.check_award_title(title)
    evaluation_rules.check_year(year, now.year)
    if not ids.in_range(cadre_id):
        raise NotFound(f"No cadre with id {cadre_id}.", field="cadreId")
    cadre = await visible_cadre(uow.session, scope, cadre_id)
    grants = scope.cadre_grants(cadre.unit_id, cadre.id)
    uow.authorize(scope, grants, ["title", "year"])
    award = Award(cadre_id=cadre.id, title=name, year=year, awarded_at=now)
    uow.session.add(award)
    await uow.session.flush()
    await uow.complete([award.id, cadre.id], at=now)
    return Written(award, grants)


async def record_unit_evaluation(uow: UnitOfWork, scope: Scope, unit_id: int, year: int,
                                 grade: Grade, now: datetime) -> Written[UnitEvaluation]:
    """Record a unit's own annual grade; one per unit and year (a second is CONFLICT)."""
    evaluation_rules.check_year(year, now.year)
    if not ids.in_range(unit_id) or not await units.exists(uow.session, unit_id):
        raise NotFound(f"No unit with id {unit_id}.", field="unitId")
    grants = scope.unit_grants.get(unit_id, frozenset())
    uow.authorize(scope, grants, ["year", "grade"])
    clash = "The unit already has a grade for that year."
    # Checked first so that the usual refusal leaves the transaction usable; the unique
    # constraint still decides between two concurrent writers.
    if await units.has_grade(uow.session, unit_id, year):
        raise Conflict(clash, field="year")
    row = UnitEvaluation(unit_id=unit_id, year=year, grade=grade)
    uow.session.add(row)
    await flush_unique(uow.session, clash, "year")
    await uow.complete([row.id, unit_id], at=now)
    return Written(row, grants)


# --- the candidate lists -----------------------------------------------------------------------

Rank = Callable[[Iterable[promotion.CadreRecord], datetime, promotion.CoolingOff],
                list[promotion.Candidate]]


async def promotion_candidates(session: AsyncSession, scope: Scope, unit_ids: Iterable[int],
                               now: datetime, cooling_off: promotion.CoolingOff
                               ) -> list[tuple[Any, promotion.Candidate]]:
    """Rule 4 over the cadres of ``unit_ids`` the caller may see: (cadre row, candidate)."""
    return await _candidates(session, scope, unit_ids, now, cooling_off,
                             promotion.promotion_candidates)


async def reinstatement_candidates(session: AsyncSession, scope: Scope, unit_ids: Iterable[int],
                                   now: datetime, cooling_off: promotion.CoolingOff
                                   ) -> list[tuple[Any, promotion.Candidate]]:
    """Rule 5 over the cadres of ``unit_ids`` the caller may see: (cadre row, candidate)."""
    return await _candidates(session, scope, unit_ids, now, cooling_off,
                             promotion.reinstatement_candidates)


async def _candidates(session: AsyncSession, scope: Scope, unit_ids: Iterable[int],
                      now: datetime, cooling_off: promotion.CoolingOff,
                      rank: Rank) -> list[tuple[Any, promotion.Candidate]]:
    units = sorted(set(unit_ids))
    if not units:
        return []
    cadres = await promotion_repository.list_cadres(session, units, scope)
    if not cadres:
        return []
    rows = await promotion_repository.list_facts(session, units, scope)
    facts = {kind: {key: [_FACT[kind](row) for row in found] for key, found in by_key.items()}
             for kind, by_key in rows.items()}
    records = [_record(row, facts) for row in cadres]
    by_id = {row.id: row for row in cadres}
    return [(by_id[c.cadre_id], c) for c in rank(records, now, cooling_off)]


_FACT: dict[str, Callable[[Any], Any]] = {
    "grades": lambda r: promotion.AnnualGrade(year=r.year, grade=r.grade, score=r.score),
    "findings": lambda r: promotion.FindingFact(reported_at=r.reported_at, status=r.status,
                                                review=r.outcome),
    "cases": lambda r: promotion.CaseFact(disposition=r.disposition,
                                          appointed_at=r.appointed_at, appeal_outcome=r.outcome),
    "awards": lambda r: r.year,
    "units": lambda r: promotion.AnnualGrade(year=r.year, grade=r.grade),
}


def _record(row: Any, facts: dict[str, dict[int, list[Any]]]) -> promotion.CadreRecord:
    unit_grades = facts["units"].get(row.unit_id, [])
    return promotion.CadreRecord(
        cadre_id=row.id, status=row.status, grades=facts["grades"].get(row.id, []),
        findings=facts["findings"].get(row.id, []), cases=facts["cases"].get(row.id, []),
        award_years=facts["awards"].get(row.id, []),
        unit_grade=max(unit_grades, key=lambda g: g.year, default=None))


# --- reading back ------------------------------------------------------------------------------
