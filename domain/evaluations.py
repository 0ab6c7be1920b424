"""Rules for performance evaluations (绩效考核): ranges, periods, finalisation."""

from domain import limits
from domain.enums import Grade
from domain.errors import Conflict, InvalidInput

FIRST_YEAR = 2000
COMMENT_MAX = limits.COMMENT
GOOD_OR_BETTER = frozenset({Grade.EXCELLENT, Grade.GOOD})


def check_year(year: int, current_year: int) -> None:
    """An evaluation covers a year between 2000 and the current one."""
    if not FIRST_YEAR <= year <= current_year:
        raise InvalidInput(f"The year must lie between {FIRST_YEAR} and {current_year}.",
                           field="year")


def check_score(value: float | None, field: str) -> None:
    """Scores are on a 0–100 scale."""
    if value is not None and not 0 <= value <= 100:
        raise InvalidInput("A score must lie between 0 and 100.", field=field)


def check_comment(comment: str | None) -> str | None:
    """Return the trimmed evaluator comment, refusing an oversized one."""
    if comment is None:
        return None
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        raise InvalidInput(f"The comment is longer than {COMMENT_MAX} characters.",
                           field="comment")
    return text or None


def check_editable(finalised: bool) -> None:
    """A finalised evaluation is part of the record and no longer changes."""
    if finalised:
        raise Conflict("The evaluation is finalised and can no longer be changed.",
                       field="finalised")


def is_good_or_better(grade: Grade) -> bool:
    """'GOOD or above' (良好以上) earns promotion priority."""
    return grade in GOOD_OR_BETTER
