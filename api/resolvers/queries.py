"""Root query fields."""

from typing import Annotated

import strawberry

from api.inputs import text, text_argument
from api.paging import FIRST, LAST, cut, encode_cursor, other_side, page_info, page_request
from api.resolvers.ids import decode_id
from api.selection import selected_names
from api.types.cadres import (
    Cadre,
    CadreConnection,
    CadreEdge,
    NegativeListItem,
    build_cadres,
)
from api.types.enums import CadreStatus, LeadershipRole
from api.types.units import Unit
from api.types.users import Me, RoleHolding, UserAccount, holdings_from_rows
from db.models import Cadre as CadreRow
from db.queries import cadres as cadre_queries
from db.queries import users as user_queries
from domain import limits


@strawberry.input(description="Filters of the cadre roster.")
class CadreFilter:
    unit_id: strawberry.ID | None = None
    include_subunits: bool = True
    status: CadreStatus | None = None
    leadership_role: LeadershipRole | None = None
    search: str | None = text(limits.SEARCH, "Part of a name or a post title.", default=None)


def criteria_of(info: strawberry.Info, filter: CadreFilter | None) -> cadre_queries.CadreCriteria:
    if filter is None:
        return cadre_queries.CadreCriteria()
    unit_ids = None
    if filter.unit_id is not None:
        unit_id = decode_id(filter.unit_id, "filter.unitId")
        tree = info.context.scope.tree
        unit_ids = frozenset(tree.subtree(unit_id) if filter.include_subunits else {unit_id})
    search = filter.search.strip() if filter.search else None
    return cadre_queries.CadreCriteria(unit_ids=unit_ids, status=filter.status,
                                       leadership_role=filter.leadership_role, search=search)


def _visible_cadres(info: strawberry.Info):  # noqa: ANN202
    return info.context.scope.row_filter("Cadre.id", CadreRow.unit_id, CadreRow.id)


@strawberry.type
class Query:
    @strawberry.field(description="The authenticated caller, his roles and his own cadre record.")
    async def me(self, info: strawberry.Info) -> Me:
        ctx = info.context
        cadre = None
        if ctx.principal.cadre_id is not None:
            row = await cadre_queries.get(ctx.uow.session, _visible_cadres(info),
                                          ctx.principal.cadre_id)
            if row is not None:
                [cadre] = await build_cadres(info, [row], selected_names(info, "cadre"))
        roles = [RoleHolding(role=h.role, unit_id=h.unit_id) for h in ctx.principal.holdings]
        return Me(username=ctx.principal.username, roles=roles, cadre=cadre)

    @strawberry.field(description="All units, in id order.")
    def units(self, info: strawberry.Info) -> list[Unit]:
        return list(info.context.units.by_id.values())

    @strawberry.field
    def unit(self, info: strawberry.Info, id: strawberry.ID) -> Unit | None:
        return info.context.units.get(decode_id(id))

    @strawberry.field(description="The roster: cadres the caller may see, in id order. "
                                  "Page forward with `first`/`after` or backward with "
                                  "`last`/`before` (not `first` and `last` together).")
    async def cadres(self, info: strawberry.Info, first: FIRST = None,
                     after: Annotated[str | None, text_argument(limits.CURSOR)] = None,
                     filter: CadreFilter | None = None, last: LAST = None,
                     before: Annotated[str | None, text_argument(limits.CURSOR)] = None
                     ) -> CadreConnection:
        ctx = info.context
        request = page_request(first=first, after=after, last=last, before=before,
                               max_page_size=ctx.settings.max_page_size)
        criteria = criteria_of(info, filter)
        visible = _visible_cadres(info)
        session = ctx.uow.session
        rows = await cadre_queries.page(session, visible, criteria, after_id=request.after_id,
                                        before_id=request.before_id, limit=request.size + 1,
                                        backward=request.backward)
        probe = other_side(request, selected_names(info, "pageInfo"))
        beyond = probe is not None and await cadre_queries.any_in_range(
            session, visible, criteria, *probe)
        page = cut(request, rows, beyond)
        nodes = await build_cadres(info, page.items, selected_names(info, "edges", "node"))
        edges = [CadreEdge(cursor=encode_cursor(int(node.id)), node=node) for node in nodes]
        # Counted only when asked for: the count is a statement of its own.
        total = (await cadre_queries.count(session, visible, criteria)
                 if "totalCount" in selected_names(info) else 0)
        return CadreConnection(edges=edges, page_info=page_info(page, lambda r: encode_cursor(
            r.id)), total_count=total)

    @strawberry.field(description="One cadre; null when missing or outside the caller's scope.")
    async def cadre(self, info: strawberry.Info, id: strawberry.ID) -> Cadre | None:
        ctx = info.context
        row = await cadre_queries.get(ctx.uow.session, _visible_cadres(info), decode_id(id))
        if row is None:
            return None
        [cadre] = await build_cadres(info, [row], selected_names(info))
        return cadre

    @strawberry.field(description="负面清单 — the catalogue of negative-list items.")
    async def negative_list(self, info: strawberry.Info) -> list[NegativeListItem]:
        rows = await cadre_queries.negative_list(info.context.uow.session)
        return [NegativeListItem(code=r.code, title=r.title, gloss=r.gloss, category=r.category)
                for r in rows]

    @strawberry.field(description="User accounts (system admin).")
    async def users(self, info: strawberry.Info) -> list[UserAccount]:
        scope = info.context.scope
        if not scope.can_read_system("UserAccount.id"):
            return []
        session = info.context.uow.session
        users = await user_queries.list_all(session)
        holdings = await user_queries.holdings_of(session, [u.id for u in users])
        allowed = scope.readable(scope.global_grants)
        return [UserAccount(id=strawberry.ID(str(u.id)), username=u.username,
                            display_name=u.display_name, active=u.active,
                            roles=holdings_from_rows(h), allowed=allowed)
                for u, h in zip(users, holdings, strict=True)]
