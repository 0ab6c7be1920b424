"""What a write may touch, declared once per mutation, and the one check of its rights.

A `Write` names the audit operation, the record type on the trail and, for each
domain name a workflow writes (``birth_date``, ``decision_note``, ``post``), the
name the trail lists (``birthDate``) and the policy's ``Type.field`` entries the caller
must be allowed to write. Workflows speak domain names only; the declarations, which
know the API's names, live with the API (`api.writes`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from authz.compiled import Grant
from authz.scope import Scope, require_write


class UndeclaredWrite(RuntimeError):
    """A workflow wrote a name its mutation did not declare: a fault of the server."""


@dataclass(frozen=True)
class Write:
    """One mutation's declaration.

    Attributes:
        operation: the audit operation, e.g. ``createCadre``.
        record_type: the record type on the trail, e.g. ``Cadre``.
        table: the table holding that record type's rows.
        fields: domain name → the field the trail names (a field of ``record_type``);
            each is guarded by ``record_type.field`` unless ``guards`` says otherwise.
        guards: domain name → the policy fields that must be writable for it; a name
            only here is checked but not listed on the trail (a side effect).
        columns: table → the columns the mutation may change there, beyond those
            named by ``fields`` and ``guards`` (which are columns of ``table``, where
            they are columns at all).
    """

    operation: str
    record_type: str
    table: str
    fields: Mapping[str, str]
    guards: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def guarded_by(self, name: str) -> tuple[str, ...]:
        if name in self.guards:
            return self.guards[name]
        if name in self.fields:
            return (f"{self.record_type}.{self.fields[name]}",)
        raise UndeclaredWrite(f"{self.operation} does not declare that it writes {name!r}")

    def changeable(self) -> dict[str, frozenset[str]]:
        """Table → the columns this mutation may change (bookkeeping columns aside)."""
        found = {table: set(columns) for table, columns in self.columns.items()}
        found.setdefault(self.table, set()).update(self.fields, self.guards)
        return {table: frozenset(columns) for table, columns in found.items()}

    def trail_names(self, names: Iterable[str]) -> list[str]:
        """The fields the audit event lists for the domain ``names`` written, in order."""
        return [self.fields[name] for name in names if name in self.fields]


def check_write(scope: Scope, grants: frozenset[Grant], write: Write,
                names: Iterable[str]) -> None:
    """Refuse unless the caller may write every one of ``names`` under ``grants``.

    Raises:
        Forbidden: naming the first policy field the caller may not write.
        UndeclaredWrite: a name ``write`` does not declare.
    """
    require_write(scope, grants, [guard for name in names for guard in write.guarded_by(name)])
