"""Statistical disclosure control of the counts a partner agency receives.

A partner (a statistics bureau, say) gets counts, never rows, so no count may single
out a person. Two rules, as statistical offices apply them:

* **Minimum group size.** A cell counting fewer than ``minimum`` records is suppressed:
  it is reported as suppressed, without a number.
* **Counts in steps of the minimum.** Every count a partner receives, the total
  included, is rounded down to a multiple of ``minimum``. A suppressed cell could
  otherwise be recomputed by subtraction: from the total of the same answer, or from the
  cells of another grouping (a unit's count by UNIT alone minus its grades by UNIT and
  GRADE). Rounded counts leave an uncertainty of ``minimum`` values in every number, so
  no subtraction pins a suppressed cell down to fewer than ``minimum`` possibilities.

Users of the organization department and the discipline commission may read the rows
themselves, so their counts are exact and never suppressed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Disclosed:
    """A count as reported: ``count`` None when ``suppressed``."""

    count: int | None
    suppressed: bool


def disclose(count: int, minimum: int | None) -> Disclosed:
    """The reported form of ``count``; ``minimum`` None: exact (a user's answer).

    Args:
        count: the true number of records in the cell.
        minimum: the smallest cell a partner may see, and the step of its counts.
    """
    if minimum is None or minimum <= 1:
        return Disclosed(count, False)
    if count < minimum:
        return Disclosed(None, True)
    return Disclosed(count - count % minimum, False)


def disclosed_total(total: int, minimum: int | None) -> int:
    """The reported total of an answer: exact for users, rounded down for partners."""
    if minimum is None or minimum <= 1:
        return total
    return total - total % minimum
