"""The documentary record (纪实) as the system administrator reads it. Every field but ``id``
is guarded by policy; nothing in the API writes it."""

from datetime import datetime
from typing import Any

import strawberry

from api.types.cadres import Allowed, PageInfo


@strawberry.type(description="纪实 — one event of the audit trail: a change or an audited read.")
class AuditEvent:
    id: strawberry.ID
    at: datetime | None
    actor: str | None = strawberry.field(description="Username of who acted.")
    role: str | None = strawberry.field(description="The roles he held, joined by '+'.")
    operation: str | None = strawberry.field(
        description="The mutation's name, or `read` for a read of audited fields.")
    record_type: str | None = strawberry.field(description="The kind of record, e.g. `Cadre`.")
    record_ids: list[strawberry.ID] | None
    fields: list[str] | None = strawberry.field(
        description="The GraphQL fields written or read, e.g. `idNumber`.")
    hash: str | None = strawberry.field(
        description="SHA-256 sealing this event to the one before it.")
    allowed: Allowed


def audit_event_from_row(row: Any, allowed: frozenset[str]) -> AuditEvent:
    return AuditEvent(
        id=strawberry.ID(str(row.id)), at=row.at, actor=row.actor, role=row.role,
        operation=row.operation, record_type=row.record_type,
        record_ids=[strawberry.ID(str(i)) for i in row.record_ids], fields=list(row.fields),
        hash=row.hash, allowed=allowed)


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type(description="A page of audit events, oldest first (Relay connection).")
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(
        description="Number of events matching the filter that the caller may see.")
