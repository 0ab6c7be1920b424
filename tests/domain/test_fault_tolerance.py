"""Fault tolerance (三个区分开来) and the cadre's statement: the rules, without a database."""

import pytest

from domain.enums import FindingStatus, ReviewOutcome, ToleranceListKind
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.fault_tolerance import (
    REASONING_MAX,
    STATEMENT_MAX,
    CitedItem,
    check_citation,
    check_reasoning,
    check_reviewable,
    check_statement_author,
    check_statement_text,
    counts_against,
)

EXCUSED, MITIGATED, NOT_EXCUSED = (ReviewOutcome.EXCUSED, ReviewOutcome.MITIGATED,
                                   ReviewOutcome.NOT_EXCUSED)
POSITIVE = CitedItem("P01", ToleranceListKind.POSITIVE, active=True)
NEGATIVE = CitedItem("X01", ToleranceListKind.NEGATIVE, active=True)
WITHDRAWN = CitedItem("P09", ToleranceListKind.POSITIVE, active=False)


def test_a_confirmed_finding_without_a_review_can_be_reviewed() -> None:
    check_reviewable(FindingStatus.CONFIRMED, already_reviewed=False)


@pytest.mark.parametrize("status", [FindingStatus.REPORTED, FindingStatus.UNDER_VERIFICATION,
                                    FindingStatus.DISMISSED], ids=lambda s: s.value)
def test_a_finding_that_is_not_confirmed_cannot_be_reviewed(status: FindingStatus) -> None:
    with pytest.raises(Conflict) as refused:
        check_reviewable(status, already_reviewed=False)
    assert refused.value.field == "findingId"


def test_a_finding_is_reviewed_only_once() -> None:
    with pytest.raises(Conflict, match="already been reviewed"):
        check_reviewable(FindingStatus.CONFIRMED, already_reviewed=True)


@pytest.mark.parametrize(("outcome", "item"), [
    (EXCUSED, POSITIVE), (MITIGATED, POSITIVE),
    (NOT_EXCUSED, NEGATIVE), (NOT_EXCUSED, POSITIVE), (NOT_EXCUSED, None),
], ids=["excused-positive", "mitigated-positive", "not-excused-negative",
        "not-excused-positive", "not-excused-no-item"])
def test_citations_the_rules_allow(outcome: ReviewOutcome, item: CitedItem | None) -> None:
    check_citation(outcome, item)


@pytest.mark.parametrize(("outcome", "item", "message"), [
    (EXCUSED, None, "must cite"), (MITIGATED, None, "must cite"),
    (EXCUSED, NEGATIVE, "never excused"), (MITIGATED, NEGATIVE, "never excused"),
    (EXCUSED, WITHDRAWN, "no longer in force"), (NOT_EXCUSED, WITHDRAWN, "no longer in force"),
], ids=["excused-no-item", "mitigated-no-item", "excused-negative", "mitigated-negative",
        "excused-withdrawn", "not-excused-withdrawn"])
def test_citations_the_rules_refuse_name_the_item_field(
        outcome: ReviewOutcome, item: CitedItem | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        check_citation(outcome, item)
    assert refused.value.field == "itemCode"


def test_reasoning_is_trimmed() -> None:
    assert check_reasoning("  先行先试，未谋私利。 \n") == "先行先试，未谋私利。"


@pytest.mark.parametrize("text", ["", "   \n\t", "x" * (REASONING_MAX + 1), "理由\x00"],
                         ids=["empty", "blank", "too-long", "nul"])
def test_reasoning_that_is_empty_too_long_or_has_nul_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_reasoning(text)
    assert refused.value.field == "reasoning"


def test_reasoning_of_exactly_the_maximum_length_is_accepted() -> None:
    assert len(check_reasoning("x" * REASONING_MAX)) == REASONING_MAX


def test_statement_text_is_trimmed_and_may_reach_the_maximum() -> None:
    assert check_statement_text(" 本人对此作如下说明。 ") == "本人对此作如下说明。"
    assert len(check_statement_text("说" * STATEMENT_MAX)) == STATEMENT_MAX


@pytest.mark.parametrize("text", ["", "  ", "说" * (STATEMENT_MAX + 1)],
                         ids=["empty", "blank", "too-long"])
def test_statement_text_that_is_empty_or_too_long_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_statement_text(text)
    assert refused.value.field == "text"


def test_the_cadre_the_finding_concerns_may_submit_a_statement() -> None:
    check_statement_author(author_cadre_id=7, finding_cadre_id=7)


@pytest.mark.parametrize("author", [8, None], ids=["another-cadre", "no-cadre-file"])
def test_nobody_else_may_submit_a_statement(author: int | None) -> None:
    with pytest.raises(Forbidden):
        check_statement_author(author_cadre_id=author, finding_cadre_id=7)


@pytest.mark.parametrize(("status", "outcome", "expected"), [
    (FindingStatus.CONFIRMED, None, True),
    (FindingStatus.CONFIRMED, NOT_EXCUSED, True),
    (FindingStatus.CONFIRMED, MITIGATED, True),
    (FindingStatus.CONFIRMED, EXCUSED, False),
    (FindingStatus.REPORTED, None, False),
    (FindingStatus.UNDER_VERIFICATION, None, False),
    (FindingStatus.DISMISSED, None, False),
])
def test_only_a_confirmed_finding_that_was_not_excused_counts_against_the_cadre(
        status: FindingStatus, outcome: ReviewOutcome | None, expected: bool) -> None:
    assert counts_against(status, outcome) is expected
