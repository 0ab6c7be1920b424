"""Budgets: the most generous of several roles, overrides, the first measure exceeded."""

import pytest

from domain.budgets import (
    MEASURES,
    Budget,
    Exceeded,
    check_limits,
    first_exceeded,
    most_generous,
)
from domain.errors import InvalidInput

BASE = Budget(document_bytes=1000, tokens=100, depth=5, aliases=3, root_fields=2,
              fields=50, directives=4, cost=500)


def test_a_caller_with_several_roles_gets_the_most_generous_limit_of_each_measure():
    tight_depth = BASE.overridden({"depth": 3, "cost": 900})
    wide_depth = BASE.overridden({"depth": 9, "cost": 100})

    chosen = most_generous([tight_depth, wide_depth])

    assert (chosen.depth, chosen.cost, chosen.aliases) == (9, 900, 3)


def test_an_override_replaces_only_the_measures_it_names():
    assert BASE.overridden({"aliases": 0}) == Budget(1000, 100, 5, 0, 2, 50, 4, 500)
    assert BASE.overridden({}) is BASE


def test_an_override_naming_an_unknown_measure_is_refused():
    with pytest.raises(ValueError, match="unknown budget measure 'breadth'"):
        BASE.overridden({"breadth": 3})


def test_a_measure_at_its_limit_is_allowed_and_one_above_is_exceeded():
    at_limit = {"depth": 5, "cost": 500}
    assert first_exceeded(BASE, at_limit) is None
    assert first_exceeded(BASE, {**at_limit, "cost": 501}) == Exceeded("cost", 501, 500)


def test_measures_are_compared_cheapest_first():
    assert MEASURES[:2] == ("document_bytes", "tokens")
    assert first_exceeded(BASE, {"cost": 10_000, "depth": 6}) == Exceeded("depth", 6, 5)


def test_a_token_budget_keeps_the_limits_given_and_drops_unset_ones():
    assert check_limits({"depth": 4, "cost": None}) == {"depth": 4}


@pytest.mark.parametrize(("limits", "field"), [
    ({"depth": 1}, "budget.depth"),
    ({"cost": 0}, "budget.cost"),
    ({"breadth": 5}, "budget"),
])
def test_a_token_budget_below_a_minimum_or_of_an_unknown_measure_is_refused(limits, field):
    with pytest.raises(InvalidInput) as refused:
        check_limits(limits)
    assert refused.value.field == field
