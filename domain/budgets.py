"""Operation budgets: how large, deep, wide and costly one GraphQL operation may be.

A budget gives a limit per measure. An operation is refused when any measure exceeds
its limit; the measures are compared in the order of `MEASURES`, cheapest first, and
the first one exceeded is reported. A user holding several roles gets, per measure,
the most generous limit among his roles; a partner token's own limits replace the
partner defaults measure by measure.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

from domain.errors import InvalidInput

#: The measures, in the order they are compared (the first two before parsing).
MEASURES: tuple[str, ...] = ("document_bytes", "tokens", "depth", "aliases", "root_fields",
                             "fields", "directives", "cost")
#: The smallest limit of each measure an administrator may set on a partner token
#: (those of the settings): below them no useful operation fits.
MINIMUMS: dict[str, int] = {"document_bytes": 100, "tokens": 10, "depth": 2, "aliases": 0,
                            "root_fields": 1, "fields": 1, "directives": 0, "cost": 1}


@dataclass(frozen=True)
class Budget:
    """The limit of each measure for one caller (each value included: at the limit is
    allowed)."""

    document_bytes: int
    tokens: int
    depth: int
    aliases: int
    root_fields: int
    fields: int
    directives: int
    cost: int

    def overridden(self, limits: Mapping[str, int]) -> "Budget":
        """This budget with the measures named in ``limits`` replaced.

        Raises:
            ValueError: ``limits`` names a measure that does not exist.
        """
        unknown = sorted(set(limits) - set(MEASURES))
        if unknown:
            raise ValueError(f"unknown budget measure '{unknown[0]}'; the measures are "
                             f"{', '.join(MEASURES)}")
        return replace(self, **limits) if limits else self


class Exceeded(NamedTuple):
    """A measure of an operation above its limit."""

    measure: str
    value: int
    limit: int


def most_generous(budgets: Iterable[Budget]) -> Budget:
    """Per measure, the highest limit among ``budgets`` (a caller with several roles)."""
    found = list(budgets)
    if not found:
        raise ValueError("no budget to choose from")
    return Budget(**{f.name: max(getattr(b, f.name) for b in found) for f in fields(Budget)})


def first_exceeded(budget: Budget, measures: Mapping[str, int]) -> Exceeded | None:
    """The first measure (in `MEASURES` order) of ``measures`` above its limit, or None."""
    for measure in MEASURES:
        value = measures.get(measure)
        limit: int = getattr(budget, measure)
        if value is not None and value > limit:
            return Exceeded(measure, value, limit)
    return None


def check_limits(limits: Mapping[str, int | None]) -> dict[str, int]:
    """The limits an administrator sets on one partner token, unset ones left out.

    Raises:
        InvalidInput: an unknown measure, or a limit below its minimum (field
            ``budget.<measure>``).
    """
    checked: dict[str, int] = {}
    for measure, limit in limits.items():
        if measure not in MINIMUMS:
            raise InvalidInput(f"Unknown budget measure '{measure}'.", field="budget")
        if limit is None:
            continue
        if limit < MINIMUMS[measure]:
            raise InvalidInput(f"The {measure} limit must be at least {MINIMUMS[measure]}.",
                               field=f"budget.{measure}")
        checked[measure] = limit
    return checked
