"""Which fields a caller may group statistics by, and over which rows.

A count is a read: a user may group by a field (``Cadre.unit``, ``Evaluation.grade``…)
only where he may read it, and a record counts only where he may read its id and every
field it is grouped by, the row filters of the lists (`authz.scope`) joined. So a count
always equals what paging through the same list would show.

A partner token reads no rows for statistics: it needs a statistics scope of its own
(`STATISTICS_SCOPES`), which names the fields it may group by; each must also be granted
to the role ``partner`` under the relation ``scope`` by the policy, and rows count on the
units of its token only. Its counts are disclosed under `domain.statistics`.
"""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, true

from authz.explain import NOT_GRANTED, OUTSIDE_TOKEN_SCOPES
from authz.scope import PARTNER, PartnerScope, Scope
from domain.errors import Forbidden

#: Partner scopes for statistics → the fields their counts may be grouped by.
STATISTICS_SCOPES: dict[str, frozenset[str]] = {
    "statistics:grades": frozenset({"Cadre.unit", "Cadre.leadershipRole", "Cadre.rank",
                                    "Cadre.status", "Evaluation.year",
                                    "Evaluation.period", "Evaluation.grade"}),
}


def partner_groupable(scope: PartnerScope) -> frozenset[str]:
    """Fields a partner token may group by: its statistics scopes' fields that the policy
    grants partners."""
    named = frozenset().union(*(STATISTICS_SCOPES.get(s, frozenset())
                                for s in scope.principal.scopes))
    return named & scope.policy.fields_for(frozenset({PARTNER}))


def check_groupable(scope: Scope, fields: list[str]) -> None:
    """Refuse grouping by a field the caller may never read (or, for a partner, outside its
    statistics scopes).

    Raises:
        Forbidden: naming the first such field.
    """
    if isinstance(scope, PartnerScope):
        allowed, reason = partner_groupable(scope), OUTSIDE_TOKEN_SCOPES
        if not allowed:
            raise Forbidden("This token has no statistics scope.", reason=reason)
    else:
        allowed, reason = scope.ever_readable(), NOT_GRANTED
    for type_field in fields:
        if type_field not in allowed:
            raise Forbidden(f"Not allowed to group by {type_field}.", field=type_field,
                            reason=reason)


def counting_filter(scope: Scope, record: list[str], grouped: list[str], unit_column: Any,
                    cadre_column: Any) -> ColumnElement[bool]:
    """SQL condition selecting the records that count: those on which the caller may read
    the ``record`` fields (its id, say) and every ``grouped`` field.

    A partner counts by its statistics scope, not its read scopes: a token with a
    statistics scope only reads no row, yet counts the records of its units.
    """
    fields = set(record) | set(grouped)
    if isinstance(scope, PartnerScope):
        if not set(grouped) <= partner_groupable(scope):
            return false()
        units = sorted(u for u, grants in scope.unit_grants.items()
                       if fields <= scope.policy.fields_for(grants))
        return unit_column.in_(units) if units else false()
    conditions = [scope.row_filter(f, unit_column, cadre_column) for f in sorted(fields)]
    return and_(true(), *conditions)
