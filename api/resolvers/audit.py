"""Root query field of the documentary record: the trail, for the system administrator."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.inputs import text, text_argument
from api.paging import FIRST, LAST, cut, encode_cursor, other_side, page_info, page_request
from api.resolvers.ids import decode_id, decode_time
from api.selection import selected_names
from api.types.audit import AuditEventConnection, AuditEventEdge, audit_event_from_row
from api.types.cadres import PageInfo
from db.queries import audit as audit_queries
from domain import limits
from domain.errors import InvalidInput


@strawberry.input(description="Filters of the audit trail; all given ones must hold.")
class AuditEventFilter:
    actor: str | None = text(limits.USERNAME, "Username of who acted.", default=None)
    record_type: str | None = text(limits.IDENTIFIER, "The kind of record, e.g. `Cadre`.",
                                   default=None)
    record_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events naming this record id (use with recordType).")
    from_: datetime | None = strawberry.field(default=None, name="from",
                                              description="At or after this time.")
    to: datetime | None = strawberry.field(default=None, description="Before this time.")


def _criteria(filter: AuditEventFilter | None) -> audit_queries.AuditCriteria:
    if filter is None:
        return audit_queries.AuditCriteria()
    since = decode_time(filter.from_, "filter.from") if filter.from_ else None
    until = decode_time(filter.to, "filter.to") if filter.to else None
    if since is not None and until is not None and until < since:
        raise InvalidInput("The end of the window lies before its start.", field="filter.to")
    record_id = (decode_id(filter.record_id, "filter.recordId")
                 if filter.record_id is not None else None)
    return audit_queries.AuditCriteria(actor=filter.actor, record_type=filter.record_type,
                                       record_id=record_id, since=since, until=until)


@strawberry.type
class AuditQuery:
    @strawberry.field(description="纪实 — the audit trail, oldest first (system admin; "
                                  "empty for everyone else).")
    async def audit_events(self, info: strawberry.Info,
                           filter: AuditEventFilter | None = None, first: FIRST = None,
                           after: Annotated[str | None, text_argument(limits.CURSOR)] = None,
                           last: LAST = None,
                           before: Annotated[str | None, text_argument(limits.CURSOR)] = None
                           ) -> AuditEventConnection:
        ctx = info.context
        request = page_request(first=first, after=after, last=last, before=before,
                               max_page_size=ctx.settings.max_page_size)
        criteria = _criteria(filter)
        scope = ctx.scope
        if not scope.can_read_system("AuditEvent.id"):
            return AuditEventConnection(edges=[], total_count=0, page_info=PageInfo(
                has_next_page=False, has_previous_page=False, start_cursor=None,
                end_cursor=None))
        session = ctx.uow.session
        rows = await audit_queries.page(session, criteria, after_id=request.after_id,
                                        before_id=request.before_id, limit=request.size + 1,
                                        backward=request.backward)
        probe = other_side(request, selected_names(info, "pageInfo"))
        beyond = probe is not None and await audit_queries.any_in_range(session, criteria,
                                                                        *probe)
        page = cut(request, rows, beyond)
        allowed = scope.readable(scope.global_grants)
        edges = [AuditEventEdge(cursor=encode_cursor(row.id),
                                node=audit_event_from_row(row, allowed))
                 for row in page.items]
        total = (await audit_queries.count(session, criteria)
                 if "totalCount" in selected_names(info) else 0)
        return AuditEventConnection(edges=edges, total_count=total,
                                    page_info=page_info(page, lambda r: encode_cursor(r.id)))
