"""An audited answer that records its own read, in the statement that reads it.

A compiled query whose audited values are all of one field (a roster with ``idNumber``)
can append its ``read`` event in the same statement on PostgreSQL: a data-modifying CTE
inserts the event built from the ids the page returned, and the statement, run outside
any transaction, commits it before answering. The answer then costs one round trip, as a
plain page does, instead of a second statement and a second wait.

The event is the one `api.reads` would write (`db.audit.event_row`): the same columns and
the same hash. The hash covers a JSON text whose every part but the ids is known before
the statement runs, so it is bound in two pieces around the ids, which the statement
prints as Python's ``json.dumps`` does (``[3,17,42]``: sorted, distinct, no spaces) and
hashes with ``sha256``. When the caller's account check rides in the same statement
(`api.principals.Proof`), the insert is conditioned on it: an answer dropped because the
account changed records nothing.
"""

import json
from datetime import UTC
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from api.principals import CHECK_COLUMN, Proof, policy_version_column
from api.reads import READ_OPERATION
from db.audit import roles_of
from db.models import AuditEvent, UTCDateTime
from domain.audit import UNCHAINED

_EVENTS: Any = AuditEvent.__table__
#: Stands for the ids in the event's JSON text while it is split around them.
_IDS = "\u0000ids\u0000"


def recording(statement: Any, rows: list[Any], proof: Proof | None) -> Any:
    """``statement`` that also inserts the read event of the ids ``rows`` select (one or
    more selects of one column), with the event's ids as its last column (JSON text; null
    when it inserted none)."""
    source: Any = rows[0] if len(rows) == 1 else union(*rows)
    ids = source.subquery("read_ids")
    record_id = ids.c[0]
    distinct = select(record_id).distinct().subquery("read_distinct")
    listed = (select(func.string_agg(cast(distinct.c[0], Text),
                                     aggregate_order_by(literal(","), distinct.c[0]))
                     .label("ids"))
              .subquery("read_list"))
    text_of = bindparam("read_prefix", type_=String) + listed.c.ids \
        + bindparam("read_suffix", type_=String)
    conditions: list[Any] = [listed.c.ids.is_not(None)]
    if proof is not None:
        conditions.append(CHECK_COLUMN.element)
        if proof.policy_version_wanted:
            conditions.append(policy_version_column()
                              <= bindparam("read_policy_version", type_=Integer))
    event = select(
        bindparam("read_at", type_=UTCDateTime()), bindparam("read_actor", type_=String),
        bindparam("read_role", type_=String), literal(READ_OPERATION),
        bindparam("read_type", type_=String),
        cast(literal("[") + listed.c.ids + literal("]"), JSON),
        cast(bindparam("read_fields", type_=String), JSON), literal(UNCHAINED),
        func.encode(func.sha256(func.convert_to(text_of, literal("UTF8"))), literal("hex")),
    ).select_from(listed).where(*conditions)
    inserted = (insert(_EVENTS)
                .from_select(["at", "actor", "role", "operation", "record_type", "record_ids",
                              "fields", "previous_hash", "hash"], event)
                .returning(_EVENTS.c.record_ids).cte("read_event"))
    recorded = select(cast(inserted.c.record_ids, Text)).scalar_subquery()
    return statement.add_cte(inserted).add_columns(recorded.label("recorded"))


def values(context: Any, type_field: str, policy_version: int | None) -> dict[str, Any]:
    """The parameters of `recording` for ``context``'s caller and time."""
    record_type, field_name = type_field.split(".", 1)
    principal = context.principal
    at = context.now.astimezone(UTC)
    role = roles_of(principal)
    # As domain.audit.seal lays the event out, with the ids in between.
    body = json.dumps([UNCHAINED, at.isoformat(), principal.username, role, READ_OPERATION,
                       record_type, _IDS, [field_name]],
                      ensure_ascii=False, separators=(",", ":"))
    prefix, suffix = body.split(json.dumps(_IDS, ensure_ascii=False))
    found = {"read_at": at, "read_actor": principal.username, "read_role": role,
             "read_type": record_type,
             "read_fields": json.dumps([field_name], ensure_ascii=False,
                                       separators=(",", ":")),
             "read_prefix": prefix + "[", "read_suffix": "]" + suffix}
    if policy_version is not None:
        found["read_policy_version"] = policy_version
    return found
