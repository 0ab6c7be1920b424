"""Rules 4 and 5: promotion candidates, cooling-off, reinstatement and ranking."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.enums import (
    AppealOutcome,
    CadreStatus,
    Disposition,
    FindingStatus,
    Grade,
    ReviewOutcome,
)
from domain.promotion import (
    AnnualGrade,
    CadreRecord,
    CaseFact,
    CoolingOff,
    FindingFact,
    cooling_off_until,
    in_cooling_off,
    promotion_candidates,
    reinstatement_candidates,
)

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
GOOD, EXCELLENT, FAIR = Grade.GOOD, Grade.EXCELLENT, Grade.FAIR


def grades(*pairs: tuple[int, Grade], score: float | None = 85.0) -> list[AnnualGrade]:
    return [AnnualGrade(year=year, grade=grade, score=score) for year, grade in pairs]


def cadre(cadre_id: int = 1, **overrides) -> CadreRecord:
    values = {"grades": grades((2024, GOOD), (2025, EXCELLENT))}
    return CadreRecord(cadre_id=cadre_id, **{**values, **overrides})


def confirmed(reported_at: datetime, review: ReviewOutcome | None = None) -> FindingFact:
    return FindingFact(reported_at=reported_at, status=FindingStatus.CONFIRMED, review=review)


def removal(appointed_at: datetime, outcome: AppealOutcome | None = None,
            disposition: Disposition = Disposition.REMOVAL) -> CaseFact:
    return CaseFact(disposition=disposition, appointed_at=appointed_at, appeal_outcome=outcome)


def ids(candidates) -> list[int]:
    return [c.cadre_id for c in candidates]


# --- rule 4: the last two annual grades ---------------------------------------------------------

def test_two_latest_grades_good_or_better_make_a_candidate_with_reasons():
    [found] = promotion_candidates([cadre()], NOW)
    assert found.rank == 1
    assert found.reasons[0] == ("近两年年度考核良好以上：2024年良好、2025年优秀 "
                                "(last two annual grades GOOD or better: 2024 GOOD, "
                                "2025 EXCELLENT)")
    assert any("no confirmed, unexcused finding since 2024-01-01" in r for r in found.reasons)
    assert any("not in a cooling-off period" in r for r in found.reasons)


def test_one_fair_grade_among_the_latest_two_is_not_a_candidate():
    record = cadre(grades=grades((2024, FAIR), (2025, EXCELLENT)))
    assert promotion_candidates([record], NOW) == []


def test_a_fair_grade_before_the_latest_two_does_not_matter():
    record = cadre(grades=grades((2023, FAIR), (2024, GOOD), (2025, GOOD)))
    assert ids(promotion_candidates([record], NOW)) == [1]


def test_a_single_annual_grade_is_not_enough():
    assert promotion_candidates([cadre(grades=grades((2025, EXCELLENT)))], NOW) == []


def test_a_retired_cadre_is_never_a_candidate():
    assert promotion_candidates([cadre(status=CadreStatus.RETIRED)], NOW) == []


# --- rule 4: findings in the window ---------------------------------------------------------------

IN_WINDOW = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("review", "qualifies"), [
    (ReviewOutcome.EXCUSED, True),
    (ReviewOutcome.MITIGATED, False),
    (ReviewOutcome.NOT_EXCUSED, False),
    (None, False),
])
def test_a_confirmed_finding_in_the_window_blocks_unless_excused(review, qualifies):
    record = cadre(findings=[confirmed(IN_WINDOW, review)])
    assert bool(promotion_candidates([record], NOW)) is qualifies


@pytest.mark.parametrize("status", [FindingStatus.REPORTED, FindingStatus.UNDER_VERIFICATION,
                                    FindingStatus.DISMISSED])
def test_an_unconfirmed_finding_does_not_count(status):
    record = cadre(findings=[FindingFact(reported_at=IN_WINDOW, status=status)])
    assert ids(promotion_candidates([record], NOW)) == [1]


def test_the_window_starts_on_the_first_of_january_of_the_older_year():
    just_before = cadre(findings=[confirmed(datetime(2023, 12, 31, 23, 59, tzinfo=UTC))])
    first_day = cadre(findings=[confirmed(datetime(2024, 1, 1, tzinfo=UTC))])
    assert ids(promotion_candidates([just_before], NOW)) == [1]
    assert promotion_candidates([first_day], NOW) == []


def test_a_finding_after_the_last_evaluation_counts_too():
    record = cadre(findings=[confirmed(NOW - timedelta(days=1))])
    assert promotion_candidates([record], NOW) == []


# --- rule 5: cooling-off ----------------------------------------------------------------------

def years_before(now: datetime, years: int) -> datetime:
    return now.replace(year=now.year - years)


def test_removal_cools_off_for_exactly_one_year():
    a_year_ago = cadre(cases=[removal(years_before(NOW, 1))])
    a_day_short = cadre(cases=[removal(years_before(NOW, 1) + timedelta(days=1))])
    a_second_short = cadre(cases=[removal(years_before(NOW, 1) + timedelta(seconds=1))])
    assert ids(promotion_candidates([a_year_ago], NOW)) == [1]
    assert promotion_candidates([a_day_short], NOW) == []
    assert promotion_candidates([a_second_short], NOW) == []


def test_demotion_cools_off_for_two_years():
    one_year = cadre(cases=[removal(years_before(NOW, 1), disposition=Disposition.DEMOTION)])
    two_years = cadre(cases=[removal(years_before(NOW, 2), disposition=Disposition.DEMOTION)])
    day_short = cadre(cases=[removal(years_before(NOW, 2) + timedelta(days=1),
                                     disposition=Disposition.DEMOTION)])
    assert promotion_candidates([one_year], NOW) == []
    assert promotion_candidates([day_short], NOW) == []
    assert ids(promotion_candidates([two_years], NOW)) == [1]


@pytest.mark.parametrize("disposition", [Disposition.REASSIGNMENT, Disposition.AWAITING_POST,
                                         Disposition.TRANSFER_TO_RANK_TRACK])
def test_other_dispositions_cool_off_for_one_year_by_default(disposition):
    case = removal(years_before(NOW, 1) + timedelta(days=1), disposition=disposition)
    assert in_cooling_off(cadre(cases=[case]), NOW, CoolingOff())
    assert not in_cooling_off(cadre(cases=[case]), NOW + timedelta(days=1), CoolingOff())


def test_cooling_off_lengths_are_configurable():
    rules = CoolingOff(years={Disposition.REMOVAL: 3}, other_years=0)
    removed = cadre(cases=[removal(years_before(NOW, 2))])
    reassigned = cadre(cases=[removal(NOW - timedelta(days=1),
                                      disposition=Disposition.REASSIGNMENT)])
    assert in_cooling_off(removed, NOW, rules)
    assert not in_cooling_off(reassigned, NOW, rules)


def test_the_twenty_ninth_of_february_ends_on_the_twenty_eighth():
    record = cadre(cases=[removal(datetime(2024, 2, 29, 10, tzinfo=UTC))])
    assert cooling_off_until(record, CoolingOff()) == datetime(2025, 2, 28, 10, tzinfo=UTC)


def test_a_revoked_appeal_lifts_the_cooling_off():
    recent = NOW - timedelta(days=30)
    revoked = cadre(cases=[removal(recent, AppealOutcome.REVOKED)])
    upheld = cadre(cases=[removal(recent, AppealOutcome.UPHELD)])
    revised = cadre(cases=[removal(recent, AppealOutcome.REVISED)])
    assert ids(promotion_candidates([revoked], NOW)) == [1]
    assert promotion_candidates([upheld], NOW) == []
    assert promotion_candidates([revised], NOW) == []


def test_a_case_not_yet_appointed_does_not_cool_off():
    record = cadre(cases=[CaseFact(disposition=Disposition.REMOVAL, appointed_at=None)])
    assert cooling_off_until(record, CoolingOff()) is None
    assert ids(promotion_candidates([record], NOW)) == [1]


def test_an_ended_cooling_off_is_named_among_the_reasons():
    record = cadre(cases=[removal(datetime(2024, 3, 1, tzinfo=UTC))])
    [found] = promotion_candidates([record], NOW)
    assert "cooling-off period ended on 2025-03-01" in found.reasons[2]


# --- rule 5: reinstatement --------------------------------------------------------------------

APPOINTED = datetime(2024, 5, 10, 8, tzinfo=UTC)


def adjusted(**overrides) -> CadreRecord:
    values = {"grades": grades((2024, FAIR), (2025, GOOD)), "cases": [removal(APPOINTED)],
              "status": CadreStatus.REMOVED}
    return cadre(**{**values, **overrides})


def test_an_adjusted_cadre_who_did_well_since_is_a_reinstatement_candidate():
    [found] = reinstatement_candidates([adjusted()], NOW)
    assert found.reasons[0].startswith("调整影响期已满")
    assert "cooling-off of 1 year(s) after REMOVAL on 2024-05-10 ended on 2025-05-10" in (
        found.reasons[0])
    assert "2025 GOOD" in found.reasons[1]
    assert "since 2024-05-10" in found.reasons[2]


def test_no_reinstatement_while_cooling_off_runs():
    assert reinstatement_candidates([adjusted()], datetime(2025, 5, 9, tzinfo=UTC)) == []
    assert reinstatement_candidates([adjusted()], datetime(2025, 5, 10, 8, tzinfo=UTC))


def test_no_reinstatement_without_an_annual_grade_after_the_appointment_year():
    assert reinstatement_candidates([adjusted(grades=grades((2024, EXCELLENT)))], NOW) == []


def test_no_reinstatement_when_a_grade_since_is_fair():
    record = adjusted(grades=grades((2025, GOOD), (2026, FAIR)))
    assert reinstatement_candidates([record], NOW) == []


def test_a_counting_finding_since_the_appointment_blocks_reinstatement():
    later = APPOINTED + timedelta(days=100)
    assert reinstatement_candidates([adjusted(findings=[confirmed(later)])], NOW) == []
    mitigated = adjusted(findings=[confirmed(later, ReviewOutcome.MITIGATED)])
    excused = adjusted(findings=[confirmed(later, ReviewOutcome.EXCUSED)])
    before = adjusted(findings=[confirmed(APPOINTED - timedelta(days=100))])
    assert reinstatement_candidates([mitigated], NOW) == []
    assert ids(reinstatement_candidates([excused], NOW)) == [1]
    assert ids(reinstatement_candidates([before], NOW)) == [1]


def test_never_adjusted_or_revoked_cadres_are_not_reinstatement_candidates():
    revoked = adjusted(cases=[removal(APPOINTED, AppealOutcome.REVOKED)])
    assert reinstatement_candidates([cadre(), revoked], NOW) == []


# --- ranking ------------------------------------------------------------------------------------

def unit(grade: Grade) -> AnnualGrade:
    return AnnualGrade(year=2025, grade=grade)


def test_ranking_unit_grade_then_awards_then_score_then_id():
    records = [
        cadre(1, grades=grades((2024, GOOD), (2025, GOOD), score=99.0), award_years=[2025] * 3),
        cadre(2, grades=grades((2024, GOOD), (2025, GOOD), score=70.0), unit_grade=unit(GOOD)),
        cadre(3, grades=grades((2024, GOOD), (2025, GOOD), score=80.0), unit_grade=unit(GOOD)),
        cadre(4, grades=grades((2024, GOOD), (2025, GOOD), score=60.0), unit_grade=unit(GOOD),
              award_years=[2024]),
        cadre(5, grades=grades((2024, GOOD), (2025, GOOD), score=80.0),
              unit_grade=unit(EXCELLENT)),
        cadre(6, grades=grades((2024, GOOD), (2025, GOOD), score=None), unit_grade=unit(GOOD)),
        cadre(7, grades=grades((2024, GOOD), (2025, GOOD), score=99.0), unit_grade=unit(FAIR)),
    ]
    ranked = promotion_candidates(records, NOW)
    assert ids(ranked) == [4, 3, 5, 2, 6, 1, 7]
    assert [c.rank for c in ranked] == [1, 2, 3, 4, 5, 6, 7]


def test_only_awards_in_the_window_raise_the_rank():
    old = cadre(1, award_years=[2020, 2021], grades=grades((2024, GOOD), (2025, GOOD), score=50))
    recent = cadre(2, award_years=[2024], grades=grades((2024, GOOD), (2025, GOOD), score=40))
    assert ids(promotion_candidates([old, recent], NOW)) == [2, 1]


def test_ranking_reasons_name_the_unit_grade_and_the_awards():
    record = cadre(unit_grade=unit(GOOD), award_years=[2025, 2025])
    [found] = promotion_candidates([record], NOW)
    assert "own unit graded GOOD in 2025" in found.reasons[-2]
    assert "2 award(s) since 2024" in found.reasons[-1]
