"""Fault tolerance (容错纠错, 三个区分开来) and the cadre's own statement on a finding.

A confirmed finding may be reviewed once: EXCUSED (免责) or MITIGATED (从轻减轻) when the
error falls under an item of the positive list, NOT_EXCUSED (不予容错) otherwise. Conduct on
the negative list is never excused. Only an EXCUSED finding stops counting against the cadre.
"""

from dataclasses import dataclass

from domain import limits
from domain.enums import FindingStatus, ReviewOutcome, ToleranceListKind
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.findings import counts_against_cadre
from domain.text import clean_text

REASONING_MAX = limits.REASONING
STATEMENT_MAX = limits.STATEMENT
#: Outcomes that lighten the consequences; each must rest on an item of the positive list.
LENIENT = frozenset({ReviewOutcome.EXCUSED, ReviewOutcome.MITIGATED})


@dataclass(frozen=True)
class CitedItem:
    """The tolerance-list item a review cites, as far as the rules need it."""

    code: str
    kind: ToleranceListKind
    active: bool


def check_reviewable(status: FindingStatus, already_reviewed: bool) -> None:
    """Refuse a review of a finding that is not confirmed, or was reviewed before.

    Raises:
        Conflict: when the finding is not CONFIRMED or already has a review.
    """
    if status is not FindingStatus.CONFIRMED:
        raise Conflict(
            f"Only a confirmed finding can be reviewed; this one is {status.value}.",
            field="findingId")
    if already_reviewed:
        raise Conflict("This finding has already been reviewed.", field="findingId")


def check_citation(outcome: ReviewOutcome, item: CitedItem | None) -> None:
    """Refuse an outcome the cited item does not support.

    EXCUSED and MITIGATED need an active item of the positive list; a negative-list item
    (never excused) allows only NOT_EXCUSED. NOT_EXCUSED may cite any active item or none,
    e.g. the positive-list item the cadre invoked and the reviewer found inapplicable.

    Raises:
        InvalidInput: naming ``itemCode``.
    """
    if item is not None and not item.active:
        raise InvalidInput(f"Item {item.code} is no longer in force.", field="itemCode")
    if outcome not in LENIENT:
        return
    if item is None:
        raise InvalidInput(f"A review with outcome {outcome.value} must cite an item of the "
                           "positive list.", field="itemCode")
    if item.kind is ToleranceListKind.NEGATIVE:
        raise InvalidInput(f"Item {item.code} is on the negative list and is never excused; "
                           "the outcome can only be NOT_EXCUSED.", field="itemCode")


def _check_text(text: str, field: str, limit: int, what: str) -> str:
    trimmed = text.strip()
    if not trimmed:
        raise InvalidInput(f"The {what} must not be empty.", field=field)
    return clean_text(trimmed, field, limit)


def check_reasoning(reasoning: str) -> str:
    """Return the trimmed reasoning of a review, or refuse an empty or oversized one."""
    return _check_text(reasoning, "reasoning", REASONING_MAX, "reasoning")


def check_statement_text(text: str) -> str:
    """Return the trimmed text of a statement, or refuse an empty or oversized one."""
    return _check_text(text, "text", STATEMENT_MAX, "statement")


def check_statement_author(author_cadre_id: int | None, finding_cadre_id: int) -> None:
    """A statement is the cadre's own account: only the cadre the finding concerns may give it.

    Raises:
        Forbidden: when the author is not that cadre.
    """
    if author_cadre_id is None or author_cadre_id != finding_cadre_id:
        raise Forbidden("Only the cadre the finding concerns may submit a statement on it.",
                        field="FindingStatement.text")


def counts_against(finding_status: FindingStatus, review_outcome: ReviewOutcome | None) -> bool:
    """Whether a finding counts against the cadre (e.g. for promotion).

    A confirmed finding counts unless a fault-tolerance review excused it; a MITIGATED or
    NOT_EXCUSED one still counts.

    Args:
        finding_status: the finding's status.
        review_outcome: the outcome of its review, None when it has none.
    """
    return counts_against_cadre(finding_status) and review_outcome is not ReviewOutcome.EXCUSED
