"""Rules for performance evaluations: year window, scores, comments, finalisation, grades."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import Grade
from domain.errors import Conflict, InvalidInput
from domain.evaluations import (
    COMMENT_MAX,
    FIRST_YEAR,
    check_comment,
    check_editable,
    check_score,
    check_year,
    is_good_or_better,
)

CURRENT_YEAR = 2024


# -- year ----------------------------------------------------------------------------
@pytest.mark.parametrize("year", [FIRST_YEAR, 2015, CURRENT_YEAR])
def test_a_year_from_2000_to_the_current_one_is_accepted(year: int) -> None:
    check_year(year, CURRENT_YEAR)


@pytest.mark.parametrize("year", [FIRST_YEAR - 1, CURRENT_YEAR + 1, 0])
def test_a_year_before_2000_or_after_the_current_one_is_refused(year: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_year(year, CURRENT_YEAR)
    assert (caught.value.field, caught.value.code) == ("year", "BAD_USER_INPUT")


# -- scores --------------------------------------------------------------------------
@pytest.mark.parametrize("score", [0, 0.0, 59.5, 100, 100.0, None])
def test_a_score_from_0_to_100_or_none_is_accepted(score: float | None) -> None:
    check_score(score, "score")


@pytest.mark.parametrize("score", [-0.01, -1, 100.01, 101, float("inf")])
def test_a_score_outside_0_to_100_is_refused_on_the_named_field(score: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_score(score, "dimensionScores.work")
    assert (caught.value.field, caught.value.code) == ("dimensionScores.work", "BAD_USER_INPUT")


@given(st.floats(allow_nan=False))
def test_a_score_is_refused_exactly_when_it_leaves_the_scale(score: float) -> None:
    if 0 <= score <= 100:
        check_score(score, "score")
    else:
        with pytest.raises(InvalidInput):
            check_score(score, "score")


# -- comment -------------------------------------------------------------------------
def test_a_comment_is_trimmed() -> None:
    assert check_comment("  工作扎实，敢于担当。 \n") == "工作扎实，敢于担当。"


@pytest.mark.parametrize("comment", [None, "", "   \n\t"])
def test_a_missing_or_blank_comment_becomes_none(comment: str | None) -> None:
    assert check_comment(comment) is None


def test_a_comment_of_the_maximum_length_is_accepted_even_with_padding() -> None:
    text = "评" * COMMENT_MAX
    assert check_comment(f"  {text}  ") == text


def test_a_comment_longer_than_the_maximum_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_comment("评" * (COMMENT_MAX + 1))
    assert (caught.value.field, caught.value.code) == ("comment", "BAD_USER_INPUT")


# -- finalisation --------------------------------------------------------------------
def test_a_draft_evaluation_may_be_edited() -> None:
    check_editable(False)


def test_a_finalised_evaluation_refuses_edits_with_a_conflict() -> None:
    with pytest.raises(Conflict) as caught:
        check_editable(True)
    assert (caught.value.field, caught.value.code) == ("finalised", "CONFLICT")


# -- grades --------------------------------------------------------------------------
@pytest.mark.parametrize(("grade", "expected"), [
    (Grade.EXCELLENT, True),
    (Grade.GOOD, True),
    (Grade.FAIR, False),
    (Grade.POOR, False),
])
def test_only_good_or_excellent_counts_as_good_or_better(grade: Grade, expected: bool) -> None:
    assert is_good_or_better(grade) is expected


def test_every_grade_is_classified() -> None:
    assert {g for g in Grade if is_good_or_better(g)} == {Grade.EXCELLENT, Grade.GOOD}
