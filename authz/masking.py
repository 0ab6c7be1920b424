"""Masking rules: what a role granted ``mask`` instead of ``read`` sees of a field.

A policy line ``p, ROLE, RELATION, GROUP, mask`` grants a masked view of the fields of
GROUP that have a rule here; a field without a rule cannot be masked (the grant shows
nothing of it). Read wins over mask: a caller who may read a field gets the value.

* phone: the first three and the last four characters, the rest starred
  (``13812345678`` → ``138****5678``); a number of fewer than eight characters is all stars.
* identity number: the region (first six digits) and the birth year, the rest starred
  (``110105198503071234`` → ``1101051985********``); the old fifteen-digit form keeps
  the region and its two-digit year; anything else is all stars.
"""

from collections.abc import Callable


def mask_phone(value: str) -> str:
    """``138****5678``: the carrier prefix and the last four, nothing between."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str) -> str:
    """``1101051985********``: region and birth year only."""
    if len(value) == 18:
        return value[:10] + "*" * 8
    if len(value) == 15:
        return value[:8] + "*" * 7
    return "*" * len(value)


#: The masking rule of each maskable ``Type.field``.
MASK_RULES: dict[str, Callable[[str], str]] = {
    "Cadre.phone": mask_phone,
    "Cadre.idNumber": mask_id_number,
}
MASKABLE: frozenset[str] = frozenset(MASK_RULES)
