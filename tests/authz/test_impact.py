"""The policy what-if over the real model and default policy: which fields move, for whom."""

from authz.compiled import compile_policy
from authz.impact import DENIED, MASKED, READ, Subject, Token, field_changes, visibility_changes
from authz.policy import default_policy_lines, memory_enforcer

DEFAULT = default_policy_lines()
BEFORE = compile_policy(memory_enforcer(DEFAULT), 1)


def _after(*removed: list[str], added: tuple[list[str], ...] = ()) -> object:
    lines = [line for line in DEFAULT if line not in removed] + list(added)
    return compile_policy(memory_enforcer(lines), 1)


def test_withdrawing_a_read_with_a_mask_grant_behind_it_masks_the_maskable_fields():
    after = _after(["p", "org", "jurisdiction", "cadre:personal", "read"])
    moved = {(c.subject, c.field): (c.before, c.after) for c in field_changes(BEFORE, after)}
    org = Subject("org", "jurisdiction")
    assert moved == {(org, "Cadre.phone"): (READ, MASKED), (org, "Cadre.idNumber"): (READ, MASKED),
                     (org, "Cadre.birthDate"): (READ, DENIED)}


def test_an_unchanged_policy_changes_nothing():
    assert field_changes(BEFORE, BEFORE, [Token(1, frozenset({"cadre:basic"}))]) == []


def test_a_partner_token_loses_only_what_its_scopes_named():
    after = _after(["p", "partner", "scope", "evaluation:grade", "read"])
    grades, basics = Token(1, frozenset({"evaluation:grade"})), Token(2, frozenset({"cadre:basic"}))
    changes = field_changes(BEFORE, after, [grades, basics])
    # The role as the policy grants it, then the one token whose scopes named the group.
    assert {c.subject.token_id for c in changes} == {None, 1}
    assert visibility_changes(changes) == {(Subject("partner", "scope"), "Evaluation"): -1,
                                           (Subject("partner", "scope", 1), "Evaluation"): -1}


def test_write_grants_are_reported_with_the_read_state_unchanged():
    after = _after(added=(["p", "discipline", "jurisdiction", "cadre:basic", "write"],))
    [name] = [c for c in field_changes(BEFORE, after) if c.field == "Cadre.name"]
    assert (name.before, name.after, name.writable_before, name.writable_after) == (
        READ, READ, False, True)
