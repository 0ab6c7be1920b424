"""Going up (能上) and coming back up (下了还能上): DOMAIN.md rules 4 and 5.

Promotion candidate: the latest two annual grades are GOOD or better, no
counting finding was reported since 1 January of the older of those two years,
and no cooling-off period is running. Reinstatement candidate: an adjustment's
cooling-off period has ended, every annual grade of a year after the
appointment is GOOD or better (at least one), and no counting finding was
reported since the appointment.

A finding *counts* when it is CONFIRMED and no fault-tolerance review EXCUSED
it (MITIGATED still counts). An adjustment *counts* from its APPOINTMENT
(``appointed_at``) unless its appeal was REVOKED, which withdrew the decision.

Candidates rank: those whose own unit's latest grade is GOOD or better first,
then more awards in the window, then a higher latest score, then the cadre id.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.enums import (
    CHINESE,
    AppealOutcome,
    CadreStatus,
    Disposition,
    FindingStatus,
    Grade,
    ReviewOutcome,
)
from domain.evaluations import is_good_or_better
from domain.followups import add_months

#: Years without promotion after an adjustment (影响期), by disposition.
COOLING_OFF_YEARS: Mapping[Disposition, int] = {Disposition.REMOVAL: 1, Disposition.DEMOTION: 2}
#: For the other dispositions (reassignment, awaiting a post, transfer to the rank track).
OTHER_COOLING_OFF_YEARS = 1


@dataclass(frozen=True)
class CoolingOff:
    """The configurable lengths of the cooling-off period."""

    years: Mapping[Disposition, int] = field(default_factory=lambda: dict(COOLING_OFF_YEARS))
    other_years: int = OTHER_COOLING_OFF_YEARS

    def years_for(self, disposition: Disposition) -> int:
        return self.years.get(disposition, self.other_years)


@dataclass(frozen=True)
class AnnualGrade:
    year: int
    grade: Grade
    score: float | None = None


@dataclass(frozen=True)
class FindingFact:
    reported_at: datetime
    status: FindingStatus
    review: ReviewOutcome | None = None


@dataclass(frozen=True)
class CaseFact:
    disposition: Disposition | None
    appointed_at: datetime | None
    appeal_outcome: AppealOutcome | None = None


@dataclass(frozen=True)
class CadreRecord:
    """What the rules need to know about one cadre; ``grades`` are ANNUAL ones only."""

    cadre_id: int
    status: CadreStatus = CadreStatus.SERVING
    grades: Sequence[AnnualGrade] = ()
    findings: Sequence[FindingFact] = ()
    cases: Sequence[CaseFact] = ()
    award_years: Sequence[int] = ()
    unit_grade: AnnualGrade | None = None  # the cadre's unit's own latest grade


@dataclass(frozen=True)
class Candidate:
    cadre_id: int
    rank: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Qualified:
    record: CadreRecord
    reasons: list[str]
    award_count: int


def counts_against(finding: FindingFact) -> bool:
    """Confirmed and not excused by a fault-tolerance review (MITIGATED still counts)."""
    return finding.status is FindingStatus.CONFIRMED and finding.review is not ReviewOutcome.EXCUSED


def counts_as_adjustment(case: CaseFact) -> bool:
    """Appointed with a disposition, and not withdrawn by a REVOKED appeal."""
    return (case.appointed_at is not None and case.disposition is not None
            and case.appeal_outcome is not AppealOutcome.REVOKED)


def cooling_off_end(case: CaseFact, rules: CoolingOff) -> datetime:
    """When the cooling-off period of a counting adjustment ends (29 Feb → 28 Feb)."""
    assert case.appointed_at is not None and case.disposition is not None
    return add_months(case.appointed_at, 12 * rules.years_for(case.disposition))


def cooling_off_until(record: CadreRecord, rules: CoolingOff) -> datetime | None:
    """The end of the latest cooling-off period of the cadre, None if never adjusted."""
    ends = [cooling_off_end(c, rules) for c in record.cases if counts_as_adjustment(c)]
    return max(ends, default=None)


def in_cooling_off(record: CadreRecord, now: datetime, rules: CoolingOff) -> bool:
    until = cooling_off_until(record, rules)
    return until is not None and now < until


def _grades_text(grades: Iterable[AnnualGrade]) -> tuple[str, str]:
    ordered = sorted(grades, key=lambda g: g.year)
    return ("、".join(f"{g.year}年{CHINESE[g.grade]}" for g in ordered),
            ", ".join(f"{g.year} {g.grade.value}" for g in ordered))


def _clean_since(record: CadreRecord, since: datetime) -> bool:
    return not any(counts_against(f) and f.reported_at >= since for f in record.findings)


def _ranking_reasons(record: CadreRecord, awards: int, first_year: int) -> list[str]:
    reasons = []
    unit = record.unit_grade
    if unit is not None and is_good_or_better(unit.grade):
        reasons.append(f"所在单位{unit.year}年度考核{CHINESE[unit.grade]} "
                       f"(own unit graded {unit.grade.value} in {unit.year})")
    if awards:
        reasons.append(f"{first_year}年以来获表彰{awards}项 ({awards} award(s) since {first_year})")
    return reasons


def _promotion(record: CadreRecord, now: datetime, rules: CoolingOff) -> _Qualified | None:
    latest = sorted(record.grades, key=lambda g: g.year, reverse=True)[:2]
    if len(latest) < 2 or not all(is_good_or_better(g.grade) for g in latest):
        return None
    first_year = latest[1].year
    since = datetime(first_year, 1, 1, tzinfo=now.tzinfo)
    if not _clean_since(record, since) or in_cooling_off(record, now, rules):
        return None
    chinese, english = _grades_text(latest)
    reasons = [f"近两年年度考核良好以上：{chinese} "
               f"(last two annual grades GOOD or better: {english})",
               f"{first_year}年以来无未免责的已认定问题 "
               f"(no confirmed, unexcused finding since {since.date().isoformat()})"]
    until = cooling_off_until(record, rules)
    reasons.append("不在调整影响期内 (not in a cooling-off period)" if until is None else
                   f"调整影响期已于{until.date().isoformat()}届满 "
                   f"(cooling-off period ended on {until.date().isoformat()})")
    awards = sum(1 for year in record.award_years if year >= first_year)
    return _Qualified(record, reasons + _ranking_reasons(record, awards, first_year), awards)


def _reinstatement(record: CadreRecord, now: datetime, rules: CoolingOff) -> _Qualified | None:
    adjustments = [c for c in record.cases if counts_as_adjustment(c)]
    if not adjustments or in_cooling_off(record, now, rules):
        return None
    last = max(adjustments, key=lambda c: c.appointed_at or now)
    assert last.appointed_at is not None and last.disposition is not None
    appointed, disposition = last.appointed_at, last.disposition
    since = [g for g in record.grades if g.year > appointed.year]
    if not since or not all(is_good_or_better(g.grade) for g in since):
        return None
    if not _clean_since(record, appointed):
        return None
    day, years = appointed.date().isoformat(), rules.years_for(disposition)
    until = cooling_off_until(record, rules)
    assert until is not None
    end = until.date().isoformat()
    chinese, english = _grades_text(since)
    reasons = [
        f"调整影响期已满：{day}{CHINESE[disposition]}，影响期{years}年，{end}届满 "
        f"(cooling-off of {years} year(s) after {disposition.value} on {day} ended on {end})",
        f"调整后年度考核均为良好以上：{chinese} "
        f"(every annual grade since the adjustment GOOD or better: {english})",
        f"调整后无未免责的已认定问题 (no confirmed, unexcused finding since {day})",
    ]
    awards = sum(1 for year in record.award_years if year > appointed.year)
    return _Qualified(record, reasons + _ranking_reasons(record, awards, appointed.year + 1),
                      awards)


def _ranked(qualified: Iterable[_Qualified]) -> list[Candidate]:
    def key(q: _Qualified) -> tuple[bool, int, bool, float, int]:
        unit = q.record.unit_grade
        latest = max(q.record.grades, key=lambda g: g.year)
        return (not (unit is not None and is_good_or_better(unit.grade)), -q.award_count,
                latest.score is None, -(latest.score or 0.0), q.record.cadre_id)

    return [Candidate(cadre_id=q.record.cadre_id, rank=index, reasons=tuple(q.reasons))
            for index, q in enumerate(sorted(qualified, key=key), start=1)]


def promotion_candidates(records: Iterable[CadreRecord], now: datetime,
                         rules: CoolingOff | None = None) -> list[Candidate]:
    """Rule 4: the promotion candidates among ``records``, ranked, each with his reasons."""
    rules = rules or CoolingOff()
    found = (_promotion(r, now, rules) for r in records if r.status is not CadreStatus.RETIRED)
    return _ranked(q for q in found if q is not None)


def reinstatement_candidates(records: Iterable[CadreRecord], now: datetime,
                             rules: CoolingOff | None = None) -> list[Candidate]:
    """Rule 5: adjusted cadres whose cooling-off ended and who did well since, ranked."""
    rules = rules or CoolingOff()
    found = (_reinstatement(r, now, rules) for r in records
             if r.status is not CadreStatus.RETIRED)
    return _ranked(q for q in found if q is not None)
