"""Disclosure control of partner counts: minimum group size and counts in its steps."""

import pytest

from domain.statistics import Disclosed, disclose, disclosed_total


@pytest.mark.parametrize(("count", "shown"), [
    (0, Disclosed(None, True)), (4, Disclosed(None, True)), (5, Disclosed(5, False)),
    (9, Disclosed(5, False)), (12, Disclosed(10, False))])
def test_a_partner_cell_below_the_minimum_is_suppressed_and_others_come_in_steps(count, shown):
    assert disclose(count, 5) == shown


def test_a_users_counts_are_exact():
    assert disclose(1, None) == Disclosed(1, False)
    assert disclosed_total(23, None) == 23


def test_a_suppressed_cell_cannot_be_recomputed_from_the_total():
    cells = [12, 8, 3]  # the 3 is suppressed
    total = disclosed_total(sum(cells), 5)
    shown = [disclose(n, 5).count for n in cells[:2]]
    # What subtraction gives is not the hidden count, and each shown number hides up to 4.
    assert total - sum(n for n in shown if n is not None) != 3
    assert total == 20
