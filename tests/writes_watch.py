"""Watches every write of the suite against the declaration it was made under.

Listens on SQLAlchemy's session events (flushes of ORM objects, and insert, update and
delete statements): a row changed under a mutation's declaration (`api.writes`) in a
table or column that declaration does not name, or a transaction that changes rows under
a declaration and commits without an audit event of that operation, or an audit event that
lists a field its declaration does not, is a violation. Writes outside any declaration
(the seed, tests writing directly) are not watched.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from authz.writes import Write
from db.uow import WRITE_KEY

#: Columns every write keeps by itself: keys, versions, timestamps of the row.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at"})
#: The trail's own tables, written by the audit store.
TRAIL_PREFIX = "audit_"


@dataclass
class _Change:
    write: Write
    transaction: SessionTransaction | None


@dataclass
class Watch:
    """What the listeners found; `violations` must stay empty."""

    violations: list[str] = field(default_factory=list)
    #: Operations seen changing rows, with the audit fields their events listed.
    seen: dict[str, set[str]] = field(default_factory=dict)
    _changes: dict[int, list[_Change]] = field(default_factory=dict)
    _events: dict[int, set[str]] = field(default_factory=dict)

    def changed(self, session: Session, table: str, columns: set[str]) -> None:
        write = session.info.get(WRITE_KEY)
        if write is None:
            return
        if table.startswith(TRAIL_PREFIX):
            return
        columns = columns - BOOKKEEPING
        allowed = write.changeable()
        if "*" in columns:  # a delete: the table must be declared
            if table not in allowed:
                self.violations.append(f"{write.operation} deleted from {table} undeclared")
        elif columns and not columns <= allowed.get(table, frozenset()):
            undeclared = sorted(columns - allowed.get(table, frozenset()))
            self.violations.append(f"{write.operation} wrote {table}.{undeclared} undeclared")
        self._changes.setdefault(id(session), []).append(
            _Change(write, session._transaction))
        self.seen.setdefault(write.operation, set())

    def audited(self, session: Session, values: dict[str, Any]) -> None:
        operation = values.get("operation")
        self._events.setdefault(id(session), set()).add(str(operation))
        write = session.info.get(WRITE_KEY)
        if write is None or operation != write.operation:
            return
        if values.get("record_type") != write.record_type:
            self.violations.append(f"{operation} audited as {values.get('record_type')}")
        listed = set(values.get("fields") or ())
        if "values" not in write.fields and "roles" not in write.fields:
            stray = listed - set(write.fields.values())
            if stray:
                self.violations.append(f"{operation} audited undeclared fields {sorted(stray)}")
        self.seen.setdefault(str(operation), set()).update(listed)

    def rolled_back(self, session: Session, transaction: SessionTransaction) -> None:
        kept = []
        for change in self._changes.get(id(session), []):
            ancestor = change.transaction
            while ancestor is not None and ancestor is not transaction:
                ancestor = ancestor.parent
            if ancestor is None:
                kept.append(change)
        self._changes[id(session)] = kept
        if transaction.parent is None:
            self._events.pop(id(session), None)
            self._changes.pop(id(session), None)

    def committing(self, session: Session) -> None:
        transaction = session._transaction
        if transaction is not None and transaction.nested:
            return  # a savepoint released; the commit point is the outer commit
        events = self._events.pop(id(session), set())
        for change in self._changes.pop(id(session), []):
            if change.write.operation not in events:
                self.violations.append(f"{change.write.operation} changed rows with no "
                                       "audit event")
                events.add(change.write.operation)


WATCH = Watch()


def _column_names(values: Any) -> set[str]:
    return {getattr(key, "name", None) or str(key) for key in values}


def _on_execute(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement = state.statement
    table = statement.table.name
    values = dict(getattr(statement, "_values", None) or {})
    names = _column_names(values)
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    for row in rows:
        names |= set(row)
    if table.startswith(TRAIL_PREFIX) and state.is_insert:
        event_values = {getattr(k, "name", str(k)): getattr(v, "value", v)
                        for k, v in values.items()}
        for row in rows:
            event_values.update(row)
        if "operation" in event_values:
            WATCH.audited(state.session, event_values)
        return
    if state.is_delete:
        names = {"*"}
    WATCH.changed(state.session, table, names)


def _on_flush(session: Session, _context: Any) -> None:
    for obj in session.new:
        mapper = inspect(obj).mapper
        table = mapper.local_table.name  # type: ignore[union-attr]
        values = {attr.columns[0].name: getattr(obj, attr.key) for attr in mapper.column_attrs}
        if table.startswith(TRAIL_PREFIX) and "operation" in values:
            WATCH.audited(session, values)  # an event added as an object, not a statement
            continue
        WATCH.changed(session, table, {name for name, value in values.items()
                                       if value is not None})
    for obj in session.dirty:
        state = inspect(obj)
        names = {attr.columns[0].name for attr in state.mapper.column_attrs
                 if state.attrs[attr.key].history.has_changes()}
        if names:
            WATCH.changed(session, state.mapper.local_table.name, names)  # type: ignore[union-attr]
    for obj in session.deleted:
        WATCH.changed(session, inspect(obj).mapper.local_table.name, {"*"})  # type: ignore[union-attr]


def install() -> None:
    """Listen on every session of this process (idempotent)."""
    if event.contains(Session, "do_orm_execute", _on_execute):
        return
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_flush", _on_flush)
    event.listen(Session, "after_soft_rollback",
                 lambda session, transaction: WATCH.rolled_back(session, transaction))
    event.listen(Session, "before_commit", WATCH.committing)
