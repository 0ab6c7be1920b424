"""The compiled read path: a query operation as one SQL statement answering its JSON.

For a query operation the compiler builds, once per (document, operation, values of
the variables that decide ``@skip``/``@include``, which arguments are given, the
principal's grant shape, policy version, SQL dialect), a `Plan`: one ``SELECT`` whose
first column is the response's ``data`` as JSON built by the database (on PostgreSQL
``json_agg`` and ``json_build_object`` over rows whose column names are the answer's
keys, `_Json.object`; ``json_object``/``json_group_array`` on SQLite), with the row
filter of `authz.scope` in ``WHERE``, pagination, ``totalCount`` and cursors, and every
argument value bound as a parameter (on PostgreSQL the unit filter and page size,
integers, are then written into the text the driver runs: `Plan.for_driver`). Its other
columns list, per audited selection, the ids of the records whose value it returned.

Authorization is compiled in. The cadres a principal can see fall into a few *grant
classes* (the unit groups his holdings cover, his own file or not; for evaluations also
finalised or not). A field readable in every class is selected as is, one readable in
none is left out of the SQL (null), and any other is a ``CASE`` on the row's class.
The database's JSON text goes into the HTTP answer as it is (``orjson.Fragment``), never
decoded. When some selected field can be denied, the statement's last column is a *class
skeleton*: nested as the answer is, the grant classes of the objects whose denials
depend on them, and the number of objects whose denials do not (`Selection`); the roster
with the comment denied on every evaluation has ``[3, 3, 2, …]``, the evaluations of each
cadre. Walking it reports the denials exactly as the resolver path does
(`api.guard.Denials`), a run of alike objects at once. Decoding the answer to find the
denials, and encoding it again, made that roster page cost 0.70-0.77x the same page
without the comment (requests per second); the skeleton costs a count per cadre in SQL,
taken in the same scan as the cadre's evaluations (`_Builder.list_of`) and aggregated in
the same pass over the page as the edges (`_Builder.skeleton_aggregate`).

The compiler knows a closed set of fields (`COLUMNS` and the relations below); anything
else (another root field, a datetime, ``Unit.parent``, an abstract type, a directive
other than ``@skip``/``@include``) raises `Unsupported` while the plan is built, and
the operation runs on the resolver path instead, before any SQL is issued. So is an
argument the resolver would refuse, so its error is the resolver's own.
"""

import weakref
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import orjson
from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_argument_values
from sqlalchemy import (
    Integer,
    LargeBinary,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from api import metrics, recorded_reads
from api.field_plan import FieldPlan
from api.guard import Denials
from api.inputs import argument_checks
from api.list_sizes import DEFAULT_PAGE
from api.paging import decode_cursor, encode_cursor
from api.principals import Proof
from api.reads import read_rows
from api.resolvers.ids import decode_id
from api.shared_commits import shared_commits
from authz.compiled import Grant
from authz.masking import MASKABLE
from authz.scope import NO_GRANTS, SELF, Scope
from db import audit
from db.direct import DriverStatement, driver_statement, fetch_row, inline
from db.models import Cadre, CadreLabel, CadreTypeLabel, Evaluation, Finding, NegativeListItem
from db.models import Unit as UnitRow
from domain.errors import DomainError

# Core tables, not ORM entities: a statement naming an entity is compiled through the
# ORM, which took most of a plan's compile time (measured).
CADRES, EVALUATIONS, FINDINGS = Cadre.__table__, Evaluation.__table__, Finding.__table__
ITEMS, LABELS, LABEL_TYPES = (NegativeListItem.__table__, CadreLabel.__table__,
                              CadreTypeLabel.__table__)
UNITS = UnitRow.__table__

#: The longest column name PostgreSQL keeps (NAMEDATALEN - 1 bytes): `_Json.object`.
_MAX_NAME = 63
#: Skeletons whose denials a plan keeps (`Plan.report`).
MAX_REPORTS = 16
#: Plans kept per process; a plan is a few kilobytes.
MAX_PLANS = 256
#: Parameters written into a plan's statement text (`Plan.for_driver`): the unit filter and
#: the page size, integers the server derived and bounded; and how many such texts a plan
#: keeps.
INLINED = ("units", "first", "limit")
MAX_INLINED = 64

#: The column behind each compiled leaf field, by the field plan's ``Type.field``.
COLUMNS: dict[str, str] = {
    **{f"Cadre.{name}": column for name, column in (
        ("id", "id"), ("name", "name"), ("gender", "gender"), ("birthDate", "birth_date"),
        ("idNumber", "id_number"), ("phone", "phone"), ("position", "position"),
        ("rank", "rank"), ("leadershipRole", "leadership_role"), ("status", "status"),
        ("version", "version"))},
    **{f"Unit.{name}": name for name in ("id", "code", "name", "kind")},
    **{f"Evaluation.{name}": name for name in ("id", "year", "period", "grade", "score",
                                                "comment", "finalised")},
    **{f"Finding.{name}": name for name in ("id", "source", "description", "evidence",
                                             "informant", "status", "version")},
    "Finding.reportedAt": "reported_at",
    "Finding.verificationStartedAt": "verification_started_at",
    "Finding.concludedAt": "concluded_at",
    **{f"CadreLabel.{name}": name for name in ("code", "title", "gloss")},
    **{f"NegativeListItem.{name}": name for name in ("code", "title", "gloss", "category")},
}
#: Item fields as a finding carries them: its item's code and title, nothing more.
FINDING_ITEM = {"code": "item_code", "title": "item_title", "gloss": None, "category": None}
ROOTS = frozenset({"cadres", "cadre", "negativeList", "__typename"})


class Unsupported(Exception):  # noqa: N818 - a signal, not an error
    """The plan does not cover this operation: it runs on the resolver path."""


# -- the answer's shape, for reporting denials -------------------------------------------
@dataclass
class Selection:
    """One response key of an object: what the walk over the class skeleton must know.

    The skeleton of an object holds its *parts*: its grant class when some selection of
    it is denied in some classes only, then the skeleton of each value below that can
    deny, in selection order; one part stands alone, several make an array. Objects
    with no part (whose denials are the same on each) count as 1; a list of them is
    their number. A list of other objects is the array of their skeletons. A missing
    value (null) has a null skeleton.
    """

    key: str
    node: FieldNode
    type_field: str
    #: Denied on every object of this selection (left out of the SQL).
    always_denied: bool = False
    #: Grant classes of the object in which the field is denied.
    denied_in: frozenset[int] = frozenset()
    #: The selections of the objects below (None: a leaf).
    below: "list[Selection] | None" = None
    #: The SQL of the value's skeleton, built with the plan; None when nothing below can
    #: deny.
    skeleton: Any = None
    # What the walk reads, set by `link` once the selections below exist:
    #: Some selection below can deny: the value's skeleton is a part of its object's.
    deny_below: bool = False
    #: The value is a list.
    many: bool = False
    #: How the skeleton of an object below reads.
    shape: "Shape | None" = None

    @property
    def can_deny(self) -> bool:
        """Whether a denial can be reported at this selection or below it."""
        return self.deny_below or self.always_denied or bool(self.denied_in)

    def link(self, graphql_type: GraphQLOutputType) -> None:
        """Derive what the walk reads from what was built."""
        named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) \
            else graphql_type
        self.many = isinstance(named, GraphQLList)
        self.deny_below = self.skeleton is not None
        if self.below is not None:
            self.shape = Shape.of(self.below)


class Shape(NamedTuple):
    """How the class skeleton of an object reads."""

    #: The selections that can deny or hold some that can, in order.
    walked: list[Selection]
    #: The skeleton starts with the object's grant class.
    carries_class: bool
    #: The number of parts.
    parts: int
    #: When the object's only part is one value leading, through single objects, to alike
    #: objects: the keys on the way there and the selection of those objects. The
    #: skeleton is then their number (1 or null for a single object).
    run: "tuple[tuple[str, ...], Selection] | None"

    @classmethod
    def of(cls, selections: list[Selection]) -> "Shape":
        """The shape of an object with these selections (linked)."""
        walked = [s for s in selections if s.can_deny]
        carries_class = any(s.denied_in for s in walked)
        parts = carries_class + sum(s.deny_below for s in walked)
        run: tuple[tuple[str, ...], Selection] | None = None
        if parts == 1 and len(walked) == 1 and walked[0].deny_below:
            only = walked[0]
            assert only.shape is not None
            if only.shape.parts == 0:
                run = ((only.key,), only)
            elif not only.many and only.shape.run is not None:
                keys, alike = only.shape.run
                run = ((only.key, *keys), alike)
        return cls(walked, carries_class, parts, run)


class Reported(Protocol):
    """Where the walk over a skeleton reports denials: a `Denials`, or `_Recorder`."""

    def add_at(self, type_field: str, parent: list[str | int], key: str,
               field_node: FieldNode, count: int = 1) -> None: ...

    def per_value(self, type_field: str) -> bool: ...


def report_denials(skeleton: Any, root: Shape, denials: Reported) -> None:
    """Report the denials of an answer from its class skeleton (decoded; ``root``: the
    shape of the operation's root fields as one object)."""
    _report_object(skeleton, root, [], denials)


def _report_value(skeleton: Any, selection: Selection, path: list[str | int],
                  denials: Reported) -> None:
    """Report the denials in the value of ``selection`` (``path`` ends with its key)."""
    shape = selection.shape
    assert shape is not None  # it can deny below
    if not selection.many:
        _report_object(skeleton, shape, path, denials)
    elif shape.parts == 0:
        _report_alike(skeleton, shape.walked, path, denials)
    elif shape.run is None or not _report_runs(skeleton, shape.run, path, denials):
        path.append(0)
        for index, item in enumerate(skeleton):
            path[-1] = index
            _report_object(item, shape, path, denials)
        path.pop()


def _report_object(skeleton: Any, shape: Shape, path: list[str | int],
                   denials: Reported) -> None:
    """Report the denials of one object at ``path`` (depth first, in key order, as the
    resolver path meets them)."""
    parts = skeleton if shape.parts > 1 else (skeleton,)
    grant_class = parts[0] if shape.carries_class else None
    slot = int(shape.carries_class)
    for selection in shape.walked:
        if selection.always_denied or grant_class in selection.denied_in:
            denials.add_at(selection.type_field, path, selection.key, selection.node)
            slot += selection.deny_below
        elif selection.deny_below:
            child = parts[slot]
            slot += 1
            if child is not None:
                path.append(selection.key)
                _report_value(child, selection, path, denials)
                path.pop()


def _report_runs(counts: list[int | None], run: tuple[tuple[str, ...], Selection],
                 path: list[str | int], denials: Reported) -> bool:
    """Report the denials of a list each of whose objects leads to a run of alike objects
    (`Shape.run`), ``counts`` their numbers: at once, unless one is reported per value
    (then nothing is reported here, and False returned)."""
    keys, alike = run
    assert alike.shape is not None
    if any(denials.per_value(s.type_field) for s in alike.shape.walked):
        return False
    total = sum(filter(None, counts))
    if total:
        first = next(index for index, count in enumerate(counts) if count)
        at: list[str | int] = [*path, first, *keys, *((0,) if alike.many else ())]
        for selection in alike.shape.walked:
            denials.add_at(selection.type_field, at, selection.key, selection.node, total)
    return True


def _report_alike(count: int, selections: list[Selection], path: list[str | int],
                  denials: Reported) -> None:
    """Report the denials of ``count`` objects of a list on each of which every one of
    ``selections`` is denied: at once, unless one is reported per value."""
    path.append(0)
    if any(denials.per_value(s.type_field) for s in selections):
        for index in range(count):
            path[-1] = index
            for selection in selections:
                denials.add_at(selection.type_field, path, selection.key, selection.node)
    elif count:
        for selection in selections:
            denials.add_at(selection.type_field, path, selection.key, selection.node, count)
    path.pop()


class _Recorder:
    """Stands for a `Denials` while a skeleton is walked, and keeps what it is told."""

    def __init__(self, denials: Denials) -> None:
        self.per_value = denials.per_value
        self.calls: list[tuple[Any, ...]] = []

    def add_at(self, type_field: str, parent: list[str | int], key: str,
               field_node: FieldNode, count: int = 1) -> None:
        self.calls.append((type_field, list(parent), key, field_node, count))


# -- JSON in SQL, per dialect --------------------------------------------------------------
class _Json:
    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def object(self, pairs: list[tuple[str, Any]]) -> Any:
        """An object of the answer, with these keys and values.

        On PostgreSQL, a row whose columns are named by the keys, which the JSON
        functions around it write as an object. ``json_build_object`` converts each key
        anew for every object it writes, and looks up the type of every argument each
        time; a row's names are written as they are, and its null values cost nothing.
        On the roster page with the denied comment (150 null members) that took the
        statement's cost from 1.08x to 1.05x the plain page's, and the plain page's own
        down by 5% (PostgreSQL's CPU per run, measured). A key too long for a column
        name (`_MAX_NAME`) keeps ``json_build_object``.
        """
        if not self.pg or any(len(key.encode()) > _MAX_NAME for key, _ in pairs):
            return self.document(pairs)
        row = (select(*(value.label(key) for key, value in pairs))
               .correlate_except(None).subquery())
        return select(row.table_valued()).scalar_subquery()

    def document(self, pairs: list[tuple[str, Any]]) -> Any:
        """A JSON object with these keys and values (the answer's ``data``)."""
        args: list[Any] = []
        for key, value in pairs:
            args += [literal_column("'" + key.replace("'", "''") + "'"), value]
        return (func.json_build_object if self.pg else func.json_object)(*args)

    def text(self, value: Any) -> Any:
        """The answer's JSON as the server sends it on: on PostgreSQL its UTF-8 bytes,
        which the driver hands over as they are (text it would decode, and orjson encode
        again); on SQLite its text. Never as ``json``, which the driver would parse."""
        if self.pg:
            return func.convert_to(cast(value, Text), literal_column("'UTF8'"),
                                   type_=LargeBinary)
        return cast(value, Text)

    def nested(self, value: Any) -> Any:
        """A JSON value from a subquery, embedded as JSON (SQLite loses its subtype)."""
        return value if self.pg else func.json(value)

    def array(self, value: Any, *order: Any) -> Any:
        if self.pg:
            return func.coalesce(func.json_agg(aggregate_order_by(value, *order)),
                                 literal_column("'[]'::json"))
        return func.json_group_array(value)  # over a subquery in the wanted order

    def list(self, values: list[Any]) -> Any:
        """A JSON array of the given values, in their order."""
        return (func.json_build_array if self.pg else func.json_array)(*values)

    def ordered(self, statement: Any, *order: Any) -> Any:
        """``statement`` as the rows of an `array`: ordered on SQLite, whose aggregate
        keeps its input's order; as is on PostgreSQL, whose aggregate orders itself (an
        ORDER BY in the subquery would also keep the planner from flattening it)."""
        return statement if self.pg else statement.order_by(*order)

    def id_array(self, value: Any) -> Any:
        return func.json_agg(value) if self.pg else func.json_group_array(value)

    def boolean(self, value: Any) -> Any:
        if self.pg:
            return value
        return case((value.is_(None), null()), (value == 1, func.json("true")),
                    else_=func.json("false"))

    def float(self, value: Any) -> Any:
        if not self.pg:
            return value  # SQLite writes 85.0 as 85.0, as Python does
        # PostgreSQL writes a whole float8 as 85; Python (and so the resolver path) 85.0.
        whole = and_(value == func.floor(value), func.abs(value) < 1e15)
        return case((whole, cast(cast(cast(value, Integer), Text) + ".0", _JSONType)),
                    else_=func.to_json(value))

    def datetime(self, value: Any) -> Any:
        """An aware UTC time as Python's ``isoformat`` writes it (and so the resolver path):
        ``2024-03-01T08:00:00+00:00``, microseconds only when there are some."""
        if self.pg:
            utc = func.timezone(literal_column("'UTC'"), value)
            seconds = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'"))
            fraction = case((func.to_char(utc, literal_column("'US'")) == "000000",
                             literal_column("''")),
                            else_=func.to_char(utc, literal_column("'.US'")))
            return func.to_json(_concat(seconds, fraction, literal_column("'+00:00'")))
        # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC on SQLite.
        stored = func.substr(value, 20)
        return _concat(func.substr(value, 1, 10), literal_column("'T'"),
                       func.substr(value, 12, 8),
                       case((stored.in_(["", ".000000"]), literal_column("''")),
                            else_=stored),
                       literal_column("'+00:00'"))

    def string(self, text: str) -> Any:
        return literal_column("'" + text.replace("'", "''") + "'")

    def cursor(self, record_id: Any) -> Any:
        if self.pg:
            encoded = func.encode(func.convert_to(literal_column("'cadre:'") + cast(
                record_id, Text), literal_column("'UTF8'")), literal_column("'base64'"))
            return func.translate(encoded, literal_column("'+/'"), literal_column("'-_'"))
        return func.cadre_cursor(record_id)


def _concat(*parts: Any) -> Any:
    """``a || b || …``: text concatenation on both databases."""
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(part)
    return joined


class _JSONType(String):
    """``::json`` on PostgreSQL."""

    __visit_name__ = "JSON"


# -- grant classes -------------------------------------------------------------------------
@dataclass
class _Classes:
    """The grant classes of the cadres one principal can see, and their SQL."""

    scope: Scope
    combos: list[tuple[frozenset[Grant], frozenset[int] | None, bool | None]]
    mapped: frozenset[int]

    @classmethod
    def of(cls, scope: Scope) -> "_Classes":
        groups: dict[frozenset[Grant], set[int]] = defaultdict(set)
        for unit_id, grants in scope.unit_grants.items():
            groups[grants].add(unit_id)
        mapped = frozenset(scope.unit_grants)
        options: list[tuple[frozenset[Grant], frozenset[int] | None]] = [
            (grants, frozenset(units)) for grants, units in sorted(
                groups.items(), key=lambda item: min(item[1]))]
        if not mapped >= set(scope.tree.parent):
            options.append((NO_GRANTS, None))
        own = scope.own_cadre_id
        combos = []
        for grants, units in options:
            for is_self in ((False, True) if own is not None else (None,)):
                held = grants | {SELF} if is_self else grants
                if "Cadre.id" in scope.readable(held):
                    combos.append((held, units, is_self))
        return cls(scope, combos, mapped)

    def condition(self, index: int, row: Any) -> Any:
        _, units, is_self = self.combos[index]
        parts = []
        if len({(u is None, u) for _, u, _ in self.combos}) > 1:
            if units is None:
                parts.append(not_(row.c.unit_id.in_(sorted(self.mapped))) if self.mapped
                             else true())
            else:
                parts.append(row.c.unit_id.in_(sorted(units)))
        if is_self is not None:
            own = self.scope.own_cadre_id
            parts.append(row.c.id == own if is_self else row.c.id != own)
        return and_(true(), *parts)

    def cadre_class(self, row: Any) -> Any:
        if len(self.combos) <= 1:
            return literal(0, Integer)
        return case(*((self.condition(i, row), i) for i in range(len(self.combos) - 1)),
                    else_=len(self.combos) - 1)

    def cadre_denied(self, type_field: str) -> frozenset[int]:
        return _unmasked(type_field, frozenset(
            i for i, (grants, _, _) in enumerate(self.combos)
            if type_field not in self.scope.readable(grants)))

    def evaluation_denied(self, type_field: str) -> frozenset[int]:
        return _unmasked(type_field, frozenset(
            2 * i + finalised for i, (grants, _, _) in enumerate(self.combos)
            for finalised in (0, 1)
            if type_field not in self.scope.readable(
                self.scope.evaluation_grants(grants, bool(finalised)))))


def _unmasked(type_field: str, denied: frozenset[int]) -> frozenset[int]:
    """``denied``, unless a maskable field is not read whole everywhere: its guard then
    decides between the masked value and a denial, on the resolver path."""
    if denied and type_field in MASKABLE:
        raise Unsupported
    return denied


# -- the plan ------------------------------------------------------------------------------
@dataclass
class Plan:
    """One operation compiled for one grant shape: the statement and how to read it.

    The statement answers ``data``, then one column per audited selection, then the class
    skeleton when some selection can deny. The skeleton comes after the caller's proof when
    `proving` adds it, so that the columns before keep their places, and before the read
    event's ids that `recording` adds last (`skeleton_of`); a `recording` statement has no
    audit columns (its event's ids say what it read).
    """

    #: ``data`` and the audit columns.
    columns: list[Any]
    #: The class skeleton's column; None when nothing selected can be denied.
    skeleton: Any
    #: The skeleton's shape (the operation's root fields make its object).
    root: Shape
    #: ``Type.field`` noted for each audit column after the first.
    audited: list[str]
    #: Keep the cache key's objects alive while the plan is cached (their ids are in it).
    keep: tuple[Any, ...] = ()
    #: The statement with the caller's account check (and the policy version) added.
    _proving: dict[bool, Any] = field(default_factory=dict)
    #: The statements compiled for the driver, by the id of the statement (which it holds).
    _driver: dict[int, DriverStatement] = field(default_factory=dict)
    #: Those statements with their unit filter and page size written in, by both.
    _inlined: dict[Any, DriverStatement] = field(default_factory=dict)
    #: The ids behind each audit column, as selects of rows.
    audit_rows: list[Any] = field(default_factory=list)
    #: `statement` (or a `proving` one) recording its read itself, by proof variant.
    _recording: dict[Any, Any] = field(default_factory=dict)
    #: The denials of the skeletons answered lately, by skeleton text (`report`).
    _reports: dict[tuple[str, frozenset[str]], tuple[Any, ...]] = field(default_factory=dict)
    #: The statement: `columns`, then `skeleton`.
    statement: Any = field(init=False)

    def __post_init__(self) -> None:
        self.statement = self._select([])

    @property
    def may_deny(self) -> bool:
        return self.skeleton is not None

    @property
    def records_itself(self) -> bool:
        """Whether every audited value is of one field: the statement can then record the
        answer's read event itself (`api.recorded_reads`)."""
        return len(set(self.audited)) == 1

    def recording(self, proof: Proof | None) -> Any:
        """The statement (with ``proof``'s columns when given) that records its read: its
        event's ids replace the audit columns, ``data`` first and the ids last."""
        variant = None if proof is None else proof.policy_version_wanted
        if variant not in self._recording:
            statement = self._select([] if proof is None else proof.columns(), audit=False)
            self._recording[variant] = recorded_reads.recording(statement, self.audit_rows,
                                                                proof)
        return self._recording[variant]

    def proving(self, proof: Proof) -> Any:
        """`statement` with ``proof``'s columns after the audit columns."""
        wanted = proof.policy_version_wanted
        if wanted not in self._proving:
            self._proving[wanted] = self._select(proof.columns())
        return self._proving[wanted]

    def report(self, skeleton: str, denials: Denials) -> None:
        """Report to ``denials`` those of an answer whose class skeleton is ``skeleton``
        (its JSON text).

        A page asked again answers the same skeleton, so what walking it reports is kept
        per skeleton text (and fields read per value) and replayed: decoding and walking
        it cost a third of the server's extra time on the roster page with the denied
        comment (measured).
        """
        key = (skeleton, denials.ever_readable)
        found = self._reports.get(key)
        if found is None:
            recorder = _Recorder(denials)
            report_denials(orjson.loads(skeleton), self.root, recorder)
            found = tuple(recorder.calls)
            if len(self._reports) >= MAX_REPORTS:
                self._reports.clear()  # pages seldom asked again: walked again
            self._reports[key] = found
        for call in found:
            denials.add_at(*call)

    def skeleton_of(self, row: Any, recorded: bool) -> Any:
        """The class skeleton in a ``row`` of `statement` or a `proving` one, or of a
        `recording` one (``recorded``), whose last column is the read event's."""
        return row[-2] if recorded else row[-1]

    def _select(self, proof_columns: list[Any], *, audit: bool = True) -> Any:
        last = [] if self.skeleton is None else [self.skeleton]
        return select(*(self.columns if audit else self.columns[:1]), *proof_columns, *last)

    def for_driver(self, statement: Any, dialect: Any,
                   params: dict[str, Any]) -> DriverStatement:
        """``statement`` (this plan's own or a `proving` one) compiled for the driver, with
        the unit filter and the page size of ``params`` written in (`db.direct.inline`):
        one text, and one generic plan in PostgreSQL, per unit filter and page size."""
        compiled = self._driver.get(id(statement))
        if compiled is None:
            compiled = self._driver[id(statement)] = driver_statement(statement, dialect)
        written = {name: value for name, value in params.items() if name.startswith(INLINED)}
        key = (id(statement), tuple(sorted((name, tuple(value) if isinstance(value, list)
                                            else value) for name, value in written.items())))
        found = self._inlined.get(key)
        if found is None:
            if len(self._inlined) >= MAX_INLINED:
                self._inlined.clear()  # a page size or unit filter seldom asked: built again
            found = self._inlined[key] = inline(compiled, written)
        return found


@dataclass
class _Level:
    """Rows of one kind of object as the audit columns see them: the row alias, the
    conditions under which an object of it is in the answer, the FROM clause reaching it;
    and the lateral subqueries the objects' values read beside their row (`joined`)."""

    row: Any
    conditions: list[Any]
    froms: Any
    laterals: list[Any] = field(default_factory=list)

    def joined(self, source: Any) -> Any:
        """``source`` (the FROM clause selecting the objects) with the laterals beside it."""
        for lateral in self.laterals:
            source = source.outerjoin(lateral, true())
        return source


@dataclass
class _Builder:
    context: Any  # the execution context (fragments, variables, collect_subfields)
    plan: FieldPlan
    scope: Scope
    json: _Json
    classes: _Classes
    audits: list[tuple[str, Any]] = field(default_factory=list)
    #: The ids of each audit column as rows (for `api.recorded_reads`).
    audit_rows: list[Any] = field(default_factory=list)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # -- generic ------------------------------------------------------------------------
    def subfields(self, object_type: GraphQLObjectType,
                  details: Any) -> "OrderedDict[str, Any]":
        grouped, defer_usages, _ = self.context.collect_subfields(object_type, details)
        if defer_usages:
            raise Unsupported
        return grouped

    def leaf(self, type_field: str, value: Any, graphql_type: GraphQLOutputType) -> Any:
        named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) \
            else graphql_type
        spec = self.plan.get(type_field)
        if spec is None or spec.leaf_type is None:
            raise Unsupported
        if named is GraphQLID:
            return cast(value, Text)
        if named in (GraphQLString, GraphQLInt):
            return value
        if named is GraphQLFloat:
            return self.json.float(value)
        if named is GraphQLBoolean:
            return self.json.boolean(value)
        if spec.enum_names is not None:
            if any(name != getattr(python, "value", python)
                   for python, name in spec.enum_names.items()):
                raise Unsupported  # stored values are written as they are
            return value
        if getattr(named, "name", None) == "Date":
            return value
        if getattr(named, "name", None) == "DateTime":
            return self.json.datetime(value)
        raise Unsupported  # JSON and other scalars: not compiled

    def guarded(self, type_field: str, value: Any, denied: frozenset[int], count: int,
                class_of: Callable[[int], Any]) -> Any:
        """``value`` where the field is readable: all, none, or a CASE over the classes."""
        if self.plan[type_field].guard is None or not denied:
            return value
        if len(denied) == count:
            return null()
        allowed = [class_of(i) for i in range(count) if i not in denied]
        return case((or_(*allowed), value))

    def allowed_condition(self, type_field: str, denied: frozenset[int], count: int,
                          class_of: Callable[[int], Any]) -> Any:
        if self.plan[type_field].guard is None or not denied:
            return true()
        if len(denied) == count:
            return false()
        return or_(*(class_of(i) for i in range(count) if i not in denied))

    def objects(self, object_type: GraphQLObjectType, details: Any,
                build: Callable[[str, str, Any, GraphQLOutputType], tuple[Any, Selection]],
                ) -> tuple[list[tuple[str, Any]], list[Selection]]:
        pairs, selections = [], []
        for key, sub in self.subfields(object_type, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                pairs.append((key, self.json.string(object_type.name)))
                continue
            field_def = object_type.fields.get(name)
            if field_def is None:
                raise Unsupported
            if sub[0].node.arguments or field_def.args:
                raise Unsupported
            value, selection = build(key, name, sub, field_def.type)
            selection.node = sub[0].node
            selection.link(field_def.type)
            pairs.append((key, value))
            selections.append(selection)
        return pairs, selections

    def skeleton(self, selections: list[Selection], grant_class: Any = None) -> Any:
        """The SQL of the class skeleton of one object with these (linked) selections and
        this class, as `Selection` describes it; None when nothing in it can deny."""
        shape = Shape.of(selections)
        if not shape.walked:
            return None
        parts = [grant_class] if shape.carries_class else []
        parts += [s.skeleton for s in shape.walked if s.deny_below]
        if not parts:
            return literal_column("1")
        return parts[0] if len(parts) == 1 else self.json.list(parts)

    def list_of(self, rows: Any, value: Any, selections: list[Selection],
                order: tuple[Any, ...], grant_class: Any,
                level: _Level) -> tuple[Any, Any]:
        """The SQL of a list's value (``value``, an aggregate over ``rows``) and of its
        class skeleton: its objects' in ``order``, or their number when they have no parts;
        None when nothing in them can deny.

        On PostgreSQL a list with a skeleton takes both from one scan of its rows: a
        lateral subquery beside its owner's row (``level``). Counting the evaluations of
        each cadre in a subquery of its own cost the roster page with the denied comment
        a tenth of its statement's time (measured).
        """
        found = self.skeleton_aggregate(selections, order, grant_class)
        if found is not None and self.json.pg:
            both = (select(value.label("value"), found[0].label("skeleton"))
                    .select_from(rows).lateral(self.name("x")))
            level.laterals.append(both)
            return both.c.value, both.c.skeleton
        answer = self.json.nested(select(value).select_from(rows).scalar_subquery())
        if found is None:
            return answer, None
        skeleton, is_json = found
        skeleton = select(skeleton).select_from(rows).scalar_subquery()
        return answer, self.json.nested(skeleton) if is_json else skeleton

    def skeleton_aggregate(self, selections: list[Selection], order: tuple[Any, ...],
                           grant_class: Any = None) -> tuple[Any, bool] | None:
        """The class skeleton of a list as an aggregate over its rows, to select beside
        its value: its objects' skeletons in ``order`` (and True: JSON), or their number
        (and False); None when nothing in them can deny."""
        shape = Shape.of(selections)
        if not shape.walked:
            return None
        if shape.parts == 0:
            return func.count(), False
        return self.json.array(self.skeleton(selections, grant_class), *order), True

    def audit(self, type_field: str, level: _Level, record_id: Any, value: Any,
              allowed: Any) -> None:
        if not self.plan[type_field].audited:
            return
        shown = (*level.conditions, allowed, value.is_not(None))
        ids = (select(self.json.id_array(record_id)).select_from(level.froms).where(*shown)
               .scalar_subquery())
        self.audits.append((type_field, ids))
        self.audit_rows.append(select(record_id).select_from(level.froms).where(*shown))

    # -- cadres -------------------------------------------------------------------------
    def cadre_object(self, object_type: GraphQLObjectType, details: Any,
                     level: _Level) -> tuple[Any, list[Selection], Any]:
        """A cadre's JSON object, its selections and its class skeleton (SQL, or None)."""
        row, classes = level.row, self.classes
        count = len(classes.combos)

        def class_of(i: int) -> Any:
            return classes.condition(i, row)

        def build(key: str, name: str, sub: Any,
                  graphql_type: GraphQLOutputType) -> tuple[Any, Selection]:
            type_field = f"Cadre.{name}"
            denied = classes.cadre_denied(type_field) if self.plan.get(type_field) \
                and self.plan[type_field].guard else frozenset()
            selection = Selection(key, sub[0].node, type_field,
                                  always_denied=bool(denied) and len(denied) == count,
                                  denied_in=denied if len(denied) < count else frozenset())
            if selection.always_denied:
                return null(), selection
            allowed = self.allowed_condition(type_field, denied, count, class_of)
            if type_field in COLUMNS:
                column = row.c[COLUMNS[type_field]]
                self.audit(type_field, level, row.c.id, column, allowed)
                value = self.leaf(type_field, column, graphql_type)
            elif name == "unit":
                value, selection.below = self.unit(graphql_type, sub, row.c.unit_id)
            elif name == "labels":
                value, selection.below = self.labels(graphql_type, sub, row)
            elif name == "evaluations":
                value, selection.below, selection.skeleton = self.evaluations(
                    graphql_type, sub, level, allowed)
            elif name == "findings":
                value, selection.below, selection.skeleton = self.findings(
                    graphql_type, sub, level, allowed)
            else:
                raise Unsupported
            if selection.skeleton is not None:  # null where the value is
                selection.skeleton = self.guarded(type_field, selection.skeleton, denied,
                                                  count, class_of)
            return self.guarded(type_field, value, denied, count, class_of), selection

        pairs, selections = self.objects(object_type, details, build)
        return (self.json.object(pairs), selections,
                self.skeleton(selections, classes.cadre_class(row)))

    def unit(self, graphql_type: GraphQLOutputType, details: Any,
             unit_id: Any) -> tuple[Any, list[Selection]]:
        object_type = _object(graphql_type)
        units = UNITS.alias(self.name("u"))

        def build(key: str, name: str, sub: Any,
                  graphql_type: GraphQLOutputType) -> tuple[Any, Selection]:
            type_field = f"Unit.{name}"
            if type_field not in COLUMNS or self.plan[type_field].guard:
                raise Unsupported
            return (self.leaf(type_field, units.c[COLUMNS[type_field]], graphql_type),
                    Selection(key, sub[0].node, type_field))

        pairs, selections = self.objects(object_type, details, build)
        value = (select(self.json.object(pairs)).select_from(units)
                 .where(units.c.id == unit_id).correlate_except(units).scalar_subquery())
        return self.json.nested(value), selections

    def labels(self, graphql_type: GraphQLOutputType, details: Any,
               row: Any) -> tuple[Any, list[Selection]]:
        object_type = _list_of(graphql_type)
        inner = (select(LABEL_TYPES.c.code, LABEL_TYPES.c.title, LABEL_TYPES.c.gloss)
                 .join(LABELS, LABEL_TYPES.c.code == LABELS.c.label_code)
                 .where(LABELS.c.cadre_id == row.c.id))
        inner = (self.json.ordered(inner, LABEL_TYPES.c.code)
                 .correlate(row).subquery(self.name("l")))

        def build(key: str, name: str, sub: Any,
                  graphql_type: GraphQLOutputType) -> tuple[Any, Selection]:
            type_field = f"CadreLabel.{name}"
            if type_field not in COLUMNS or self.plan[type_field].guard:
                raise Unsupported
            return (self.leaf(type_field, inner.c[COLUMNS[type_field]], graphql_type),
                    Selection(key, sub[0].node, type_field))

        pairs, selections = self.objects(object_type, details, build)
        value = (select(self.json.array(self.json.object(pairs), inner.c.code))
                 .select_from(inner).scalar_subquery())
        return self.json.nested(value), selections

    def evaluations(self, graphql_type: GraphQLOutputType, details: Any, level: _Level,
                    allowed: Any) -> tuple[Any, list[Selection], Any]:
        object_type = _list_of(graphql_type)
        row, classes = level.row, self.classes
        count = 2 * len(classes.combos)
        rows = select(EVALUATIONS).where(EVALUATIONS.c.cadre_id == row.c.id).correlate(row)
        inner = (self.json.ordered(rows, EVALUATIONS.c.year.desc(), EVALUATIONS.c.period)
                 .subquery(self.name("e")))
        finalised = case((inner.c.finalised == true(), 1), else_=0)

        def class_of(i: int) -> Any:
            return and_(classes.condition(i // 2, row), finalised == i % 2)

        def build(key: str, name: str, sub: Any,
                  graphql_type: GraphQLOutputType) -> tuple[Any, Selection]:
            type_field = f"Evaluation.{name}"
            if type_field not in COLUMNS:
                raise Unsupported
            denied = classes.evaluation_denied(type_field) if self.plan[type_field].guard \
                else frozenset()
            selection = Selection(key, sub[0].node, type_field,
                                  always_denied=bool(denied) and len(denied) == count,
                                  denied_in=denied if len(denied) < count else frozenset())
            value = self.leaf(type_field, inner.c[COLUMNS[type_field]], graphql_type)
            return self.guarded(type_field, value, denied, count, class_of), selection

        pairs, selections = self.objects(object_type, details, build)
        order = (inner.c.year.desc(), inner.c.period)
        value, skeleton = self.list_of(inner, self.json.array(self.json.object(pairs), *order),
                                       selections, order,
                                       classes.cadre_class(row) * 2 + finalised, level)
        return value, selections, skeleton

    def findings(self, graphql_type: GraphQLOutputType, details: Any, level: _Level,
                 allowed: Any) -> tuple[Any, list[Selection], Any]:
        object_type = _list_of(graphql_type)
        row, classes = level.row, self.classes
        count = len(classes.combos)
        source = (select(*FINDINGS.c, ITEMS.c.title.label("item_title"))
                  .join(ITEMS, ITEMS.c.code == FINDINGS.c.item_code))
        of_cadre = source.where(FINDINGS.c.cadre_id == row.c.id).correlate(row)
        inner = (self.json.ordered(of_cadre, FINDINGS.c.reported_at.desc(),
                                   FINDINGS.c.id.desc())
                 .subquery(self.name("f")))
        # The same rows for the audit columns, joined to the rows of the level above.
        rows = source.subquery(self.name("fa"))
        below = _Level(rows, [*level.conditions, allowed],
                       level.froms.join(rows, rows.c.cadre_id == row.c.id))

        def class_of(i: int) -> Any:
            return classes.condition(i, row)

        def build(key: str, name: str, sub: Any,
                  graphql_type: GraphQLOutputType) -> tuple[Any, Selection]:
            type_field = f"Finding.{name}"
            denied = classes.cadre_denied(type_field) if self.plan[type_field].guard \
                else frozenset()
            selection = Selection(key, sub[0].node, type_field,
                                  always_denied=bool(denied) and len(denied) == count,
                                  denied_in=denied if len(denied) < count else frozenset())
            if selection.always_denied:
                return null(), selection
            if type_field in COLUMNS:
                column = inner.c[COLUMNS[type_field]]
                self.audit(type_field, below, rows.c.id, rows.c[COLUMNS[type_field]],
                           self.allowed_condition(type_field, denied, count, class_of))
                value = self.leaf(type_field, column, graphql_type)
            elif name == "item":
                value, selection.below = self.item(graphql_type, sub, inner)
            else:
                raise Unsupported
            return self.guarded(type_field, value, denied, count, class_of), selection

        pairs, selections = self.objects(object_type, details, build)
        order = (inner.c.reported_at.desc(), inner.c.id.desc())
        value, skeleton = self.list_of(inner, self.json.array(self.json.object(pairs), *order),
                                       selections, order, classes.cadre_class(row), level)
        return value, selections, skeleton

    def item(self, graphql_type: GraphQLOutputType, details: Any,
             inner: Any) -> tuple[Any, list[Selection]]:
        object_type = _object(graphql_type)

        def build(key: str, name: str, sub: Any,
                  graphql_type: GraphQLOutputType) -> tuple[Any, Selection]:
            type_field = f"NegativeListItem.{name}"
            if name not in FINDING_ITEM or self.plan[type_field].guard:
                raise Unsupported
            column = FINDING_ITEM[name]
            value = null() if column is None else self.leaf(type_field, inner.c[column],
                                                            graphql_type)
            return value, Selection(key, sub[0].node, type_field)

        pairs, selections = self.objects(object_type, details, build)
        return self.json.object(pairs), selections


def _object(graphql_type: GraphQLOutputType) -> GraphQLObjectType:
    named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if not isinstance(named, GraphQLObjectType) or named.is_type_of is not None:
        raise Unsupported
    return named


def _list_of(graphql_type: GraphQLOutputType) -> GraphQLObjectType:
    named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if not isinstance(named, GraphQLList):
        raise Unsupported
    inner = named.of_type
    if not isinstance(inner, GraphQLNonNull):
        raise Unsupported
    return _object(inner.of_type)


# -- root fields ---------------------------------------------------------------------------
#: The arguments the compiler knows per root field; any other given falls back.
KNOWN_ARGUMENTS = {"cadres": frozenset({"first", "after", "filter"}), "cadre": frozenset({"id"}),
                   "negativeList": frozenset(), "__typename": frozenset()}


def _search_pattern(search: str) -> str:
    return "%" + search.replace("%", r"\%").replace("_", r"\_") + "%"


def root_arguments(context: Any, grouped: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Each root field's arguments as the plan's shape and its SQL parameters.

    Raises:
        Unsupported: an argument the compiler does not know, or one the resolver would
            refuse (so that its error is the resolver's own).
    """
    schema = context.schema
    query_type = schema.query_type
    shape: list[Any] = []
    params: dict[str, Any] = {}
    settings = context.context_value.settings
    for index, (key, details) in enumerate(grouped.items()):
        node = details[0].node
        name = node.name.value
        if name not in KNOWN_ARGUMENTS:
            raise Unsupported
        if name == "__typename":
            shape.append((key, name))
            continue
        field_def = query_type.fields[name]
        try:
            args = get_argument_values(field_def, node, context.variable_values,
                                       details[0].fragment_variable_values, True)
            for argument, check in _checks(query_type.name, name, field_def).items():
                if args.get(argument) is not None:
                    check(args[argument])
        except DomainError as refusal:
            raise Unsupported from refusal
        except Exception as refusal:  # noqa: BLE001 - graphql-core reports it its way
            raise Unsupported from refusal
        if any(value is not None for argument, value in args.items()
               if argument not in KNOWN_ARGUMENTS[name]):
            raise Unsupported
        if name == "cadres":
            shape.append((key, name, *_cadres_parameters(index, args, params, context,
                                                         settings.max_page_size)))
        elif name == "cadre":
            try:
                params[f"id{index}"] = decode_id(args["id"])
            except DomainError as refusal:
                raise Unsupported from refusal
            shape.append((key, name))
        else:
            shape.append((key, name))
    return tuple(shape), params


#: The input checks of each root field (`api.inputs`), with the field they were made for.
_CHECKS: dict[int, tuple[Any, Any]] = {}


def _checks(type_name: str, name: str, field_def: Any) -> Any:
    found = _CHECKS.get(id(field_def))
    if found is None or found[0] is not field_def:
        if len(_CHECKS) >= MAX_PLANS:
            _CHECKS.clear()
        found = _CHECKS[id(field_def)] = (field_def, argument_checks(type_name, name,
                                                                     field_def.args))
    return found[1]


def _cadres_parameters(index: int, args: dict[str, Any], params: dict[str, Any],
                       context: Any, max_page_size: int) -> tuple[bool, ...]:
    if args.get("last") is not None or args.get("before") is not None:
        raise Unsupported  # backward paging runs on the resolver path
    first = args.get("first")
    if first is None:
        first = DEFAULT_PAGE
    if not isinstance(first, int) or not 0 <= first <= max_page_size:
        raise Unsupported
    params[f"first{index}"] = first
    params[f"limit{index}"] = first + 1
    after = args.get("after")
    if after:
        try:
            params[f"after{index}"] = decode_cursor(after)
        except DomainError as refusal:
            raise Unsupported from refusal
    given = args.get("filter") or {}
    unit = given.get("unitId")
    if unit is not None:
        try:
            unit_id = decode_id(unit, "filter.unitId")
        except DomainError as refusal:
            raise Unsupported from refusal
        tree = context.context_value.scope.tree
        subunits = given.get("includeSubunits", True)
        params[f"units{index}"] = sorted(tree.subtree(unit_id) if subunits else {unit_id})
    for argument, param in (("status", "status"), ("leadershipRole", "role")):
        if given.get(argument) is not None:
            params[f"{param}{index}"] = getattr(given[argument], "value", given[argument])
    search = given.get("search")
    search = search.strip() if search else None
    if search:
        params[f"search{index}"] = _search_pattern(search)
    return (bool(after), unit is not None, given.get("status") is not None,
            given.get("leadershipRole") is not None, bool(search))


def _cadre_conditions(index: int, table: Any, shape: tuple[Any, ...], builder: "_Builder",
                      paging: bool) -> list[Any]:
    has_after, has_units, has_status, has_role, has_search = shape
    conditions = [builder.scope.row_filter("Cadre.id", table.c.unit_id, table.c.id)]
    if has_units and builder.json.pg:  # an array: the statement's text is the same each run
        conditions.append(table.c.unit_id == any_(bindparam(f"units{index}",
                                                            type_=ARRAY(Integer))))
    elif has_units:
        conditions.append(table.c.unit_id.in_(bindparam(f"units{index}", expanding=True)))
    if has_status:
        conditions.append(table.c.status == bindparam(f"status{index}", type_=String))
    if has_role:
        conditions.append(table.c.leadership_role == bindparam(f"role{index}", type_=String))
    if has_search:
        pattern = bindparam(f"search{index}", type_=String)
        conditions.append(table.c.name.ilike(pattern, escape="\\")
                          | table.c.position.ilike(pattern, escape="\\"))
    if paging and has_after:
        conditions.append(table.c.id > bindparam(f"after{index}", type_=Integer))
    return conditions


def compile_plan(context: Any, plan: FieldPlan, scope: Scope, dialect: str,
                 grouped: Any, shape: tuple[Any, ...]) -> Plan:
    """The plan of one operation for one grant shape and argument shape.

    Raises:
        Unsupported: the operation selects something the compiler does not know.
    """
    builder = _Builder(context, plan, scope, _Json(dialect), _Classes.of(scope))
    json = builder.json
    pairs: list[tuple[str, Any]] = []
    roots: list[Selection] = []
    query_type = context.schema.query_type
    for index, ((key, details), root_shape) in enumerate(zip(grouped.items(), shape,
                                                             strict=True)):
        name = root_shape[1]
        selection = Selection(key, details[0].node, f"Query.{name}")
        if name == "__typename":
            pairs.append((key, json.string(query_type.name)))
            continue
        field_def = query_type.fields[name]
        if name == "cadres":
            value, selection.below, selection.skeleton = _connection(
                builder, index, field_def.type, details, root_shape[2:])
        elif name == "cadre":
            value, selection.below, selection.skeleton = _single_cadre(
                builder, index, field_def.type, details)
        else:
            value, selection.below = _negative_list(builder, field_def.type, details)
        selection.link(field_def.type)
        pairs.append((key, value))
        roots.append(selection)
    columns = [json.text(json.document(pairs)).label("data")]
    columns += [cast(ids, Text).label(f"a{i}") for i, (_, ids) in enumerate(builder.audits)]
    skeleton = builder.skeleton(roots)
    compiled = Plan(columns,
                    None if skeleton is None else cast(skeleton, Text).label("skeleton"),
                    Shape.of(roots), [type_field for type_field, _ in builder.audits])
    compiled.audit_rows = builder.audit_rows
    return compiled


def _connection(builder: _Builder, index: int, graphql_type: GraphQLOutputType,
                details: Any, shape: tuple[Any, ...]) -> tuple[Any, list[Selection], Any]:
    json = builder.json
    table = CADRES.alias(f"c{index}")
    inner = (select(table).where(*_cadre_conditions(index, table, shape, builder, True))
             .order_by(table.c.id).limit(bindparam(f"limit{index}", type_=Integer))
             .subquery(f"p{index}"))
    window = select(inner, func.row_number().over(order_by=inner.c.id).label("rn")) \
        .cte(f"w{index}")
    first = bindparam(f"first{index}", type_=Integer)
    page = (json.ordered(select(window).where(window.c.rn <= first), window.c.id)
            .subquery(f"d{index}"))
    level = _Level(page, [], page)
    connection_type = _object(graphql_type)

    def edge(key: str, name: str, sub: Any,
             edge_type: GraphQLOutputType) -> tuple[Any, Selection]:
        selection = Selection(key, sub[0].node, f"CadreEdge.{name}")
        if name == "cursor":
            return json.cursor(page.c.id), selection
        if name == "node":
            value, selection.below, selection.skeleton = builder.cadre_object(
                _object(edge_type), sub, level)
            return value, selection
        raise Unsupported

    def page_info(key: str, name: str, sub: Any,
                  info_type: GraphQLOutputType) -> tuple[Any, Selection]:
        selection = Selection(key, sub[0].node, f"PageInfo.{name}")
        if name == "hasNextPage":
            rows = select(func.count()).select_from(window).scalar_subquery()
            return json.boolean(case((rows > first, true()), else_=false())), selection
        if name == "endCursor":
            last = select(func.max(page.c.id)).scalar_subquery()
            return json.cursor(last), selection
        raise Unsupported

    def connection(key: str, name: str, sub: Any,
                   field_type: GraphQLOutputType) -> tuple[Any, Selection]:
        selection = Selection(key, sub[0].node, f"CadreConnection.{name}")
        if name == "totalCount":
            counted = CADRES.alias(builder.name("t"))
            return (select(func.count()).select_from(counted)
                    .where(*_cadre_conditions(index, counted, shape, builder, False))
                    .scalar_subquery()), selection
        if name == "edges":
            edge_type = _list_of(field_type)
            edge_pairs, selection.below = builder.objects(edge_type, sub, edge)
            edges = json.array(json.object(edge_pairs), page.c.id)
            skeleton = builder.skeleton_aggregate(selection.below, (page.c.id,))
            if skeleton is None:
                return (json.nested(select(edges).select_from(level.joined(page))
                                    .scalar_subquery()), selection)
            # The edges and their skeleton in one pass over the page: a second pass makes
            # PostgreSQL materialize the page, which cost more than the skeleton itself.
            aggregate, is_json = skeleton
            both = (select(edges.label("edges"), aggregate.label("skeleton"))
                    .select_from(level.joined(page)).cte(builder.name("b")))
            found = select(both.c.skeleton).scalar_subquery()
            selection.skeleton = json.nested(found) if is_json else found
            return json.nested(select(both.c.edges).scalar_subquery()), selection
        if name == "pageInfo":
            info_pairs, selection.below = builder.objects(_object(field_type), sub, page_info)
            return json.object(info_pairs), selection
        raise Unsupported

    pairs, selections = builder.objects(connection_type, details, connection)
    return json.object(pairs), selections, builder.skeleton(selections)


def _single_cadre(builder: _Builder, index: int, graphql_type: GraphQLOutputType,
                  details: Any) -> tuple[Any, list[Selection], Any]:
    table = CADRES.alias(f"c{index}")
    conditions = [builder.scope.row_filter("Cadre.id", table.c.unit_id, table.c.id),
                  table.c.id == bindparam(f"id{index}", type_=Integer)]
    level = _Level(table, conditions, table)
    value, selections, skeleton = builder.cadre_object(_object(graphql_type), details, level)

    def found(answer: Any) -> Any:  # null when the cadre is not there, as the data is
        return builder.json.nested(select(answer).select_from(level.joined(table))
                                   .where(*conditions).scalar_subquery())

    return found(value), selections, None if skeleton is None else found(skeleton)


def _negative_list(builder: _Builder, graphql_type: GraphQLOutputType,
                   details: Any) -> tuple[Any, list[Selection]]:
    json = builder.json
    items = json.ordered(select(ITEMS), ITEMS.c.code).subquery(builder.name("n"))

    def build(key: str, name: str, sub: Any,
              field_type: GraphQLOutputType) -> tuple[Any, Selection]:
        type_field = f"NegativeListItem.{name}"
        if type_field not in COLUMNS or builder.plan[type_field].guard:
            raise Unsupported
        return (builder.leaf(type_field, items.c[COLUMNS[type_field]], field_type),
                Selection(key, sub[0].node, type_field))

    pairs, selections = builder.objects(_list_of(graphql_type), details, build)
    value = (select(json.array(json.object(pairs), items.c.code)).select_from(items)
             .scalar_subquery())
    return json.nested(value), selections


# -- running plans -------------------------------------------------------------------------
_PLANS: "OrderedDict[tuple[Any, ...], Plan | None]" = OrderedDict()
#: Operations answered by a plan and operations left to the resolver path, per process.
RUNS: Counter[str] = Counter()


def scope_key(scope: Scope) -> tuple[Any, ...]:
    """What of a scope a plan depends on (part of a plan's cache key)."""
    principal = scope.principal
    return (type(scope), scope.policy.version, id(scope.policy), id(scope.tree),
            principal.kind, principal.holdings, principal.cadre_id, principal.scopes,
            principal.unit_ids, principal.include_subunits)


async def run_query(context: Any) -> Any:
    """The ``data`` of the execution context's query operation, by its plan (compiled
    now if none is cached); see `run_plan`.

    Raises:
        Unsupported: the plan does not cover the operation; nothing was executed.
    """
    plan, params = find_plan(context)
    return await run_plan(context, plan, params)


def find_plan(context: Any, *, compile_missing: bool = True) -> tuple[Plan, dict[str, Any]]:
    """The plan of ``context``'s query operation and the parameters of this run.

    ``context`` is graphql-core's execution context, or anything carrying the same
    ``schema``, ``operation``, ``fragments``, ``variable_values`` and ``context_value``
    (`api.planned`), which may only find a cached plan (``compile_missing=False``):
    compiling needs the executor's ``collect_subfields``.

    Raises:
        Unsupported: no plan covers the operation (or none is cached and
            ``compile_missing`` is false); nothing was executed.
    """
    ctx = context.context_value
    strawberry_schema = getattr(context.schema, "_strawberry_schema", None)
    plan_of_fields: FieldPlan | None = getattr(strawberry_schema, "field_plan", None)
    scope: Scope | None = getattr(ctx, "scope", None)
    operation: OperationDefinitionNode = context.operation
    if plan_of_fields is None or scope is None or getattr(ctx, "uow", None) is None:
        raise Unsupported
    grouped, defer_usages, _ = collect_fields(
        context.schema, context.fragments, context.variable_values,
        context.schema.query_type, operation, True)
    if defer_usages:
        raise Unsupported
    shape, params = root_arguments(context, grouped)
    dialect = ctx.uow.dialect_name
    switches = tuple(sorted((name, value) for name, value in context.variable_values.coerced.items()
                            if isinstance(value, bool)))
    key = (id(operation), id(context.schema), switches, shape, scope_key(scope), dialect)
    if key in _PLANS:
        plan = _PLANS[key]
        _PLANS.move_to_end(key)
    elif not compile_missing:
        raise Unsupported
    else:
        try:
            plan = compile_plan(context, plan_of_fields, scope, dialect, grouped, shape)
            plan.keep = (operation, context.schema, scope.policy, scope.tree)
        except Unsupported:
            plan = None
        _PLANS[key] = plan
        if len(_PLANS) > MAX_PLANS:
            _PLANS.popitem(last=False)
    if plan is None:
        RUNS["fallback"] += 1
        raise Unsupported
    return plan, params


async def run_plan(context: Any, plan: Plan, params: dict[str, Any]) -> Any:
    """Run ``plan`` with ``params``: the ``data`` of the operation.

    Returns an ``orjson.Fragment`` of the database's JSON, the denials it holds reported
    from the class skeleton; None when the caller's account check, proven by the same
    statement, no longer holds (the endpoint answers again).
    """
    ctx = context.context_value
    RUNS["planned"] += 1
    proof: Proof | None = getattr(ctx, "proof", None)
    proving = proof is not None and proof.fresh is None  # the caller proven by the same row
    direct = ctx.uow.dialect_name == "postgresql" and not ctx.settings.db_pgbouncer
    # The read event in the same statement, when the statement commits on its own.
    records = direct and plan.records_itself and not ctx.uow.in_transaction
    statement = plan.statement
    if proving:
        assert proof is not None
        statement = plan.proving(proof)
        params.update(proof.values())
    if records:
        statement = plan.recording(proof if proving else None)
        wanted = proving and proof is not None and proof.policy_version_wanted
        params.update(recorded_reads.values(
            ctx, plan.audited[0], ctx.policy.compiled.version if wanted else None))
        # Committed together with concurrent runs of the same statement (group commit).
        engine = ctx.uow.engine
        row = await shared_commits(engine, ctx.settings.request_timeout_seconds).fetch(
            plan.for_driver(statement, engine.dialect, params), params)
        if proving and not _proven(ctx, proof, row[1:]):
            return None  # dropped unread: the endpoint answers again (api.principals)
        if row[-1] is not None:
            metrics.AUDIT_EVENTS.inc()
            record_type, name = plan.audited[0].split(".", 1)
            ctx.reads.recorded(record_type, orjson.loads(row[-1]), [name])
        return _answer(ctx, plan, row, records)
    async with ctx.uow.statement_connection() as connection:
        dialect = connection.dialect
        if direct:
            row = await fetch_row(connection, plan.for_driver(statement, dialect, params),
                                  params)
        else:
            if dialect.name == "sqlite":
                await _register_sqlite_functions(connection)
            row = (await connection.execute(statement, params)).one()
        assert row is not None  # one row, always: the statement selects no FROM of its own
        if proving and not _proven(ctx, proof, row[1 + len(plan.audited):]):
            return None  # dropped unread: the endpoint answers again (api.principals)
        reads = ctx.reads
        for type_field, ids in zip(plan.audited, row[1:1 + len(plan.audited)],
                                   strict=True):
            for record_id in orjson.loads(ids) if ids else ():
                reads.note(type_field, record_id)
        if reads and direct and not ctx.uow.in_transaction:
            # The answer's reads, committed by one more statement on the same
            # connection before the answer leaves; a failure withholds it.
            await audit.append_committed(connection, read_rows(ctx), direct=True)
            reads.clear()
    return _answer(ctx, plan, row, False)


def _proven(ctx: Any, proof: Proof | None, answered: Any) -> bool:
    """Whether the caller's account check, ``answered`` by the proof's columns (and those
    after them), still holds."""
    assert proof is not None
    proof.record(answered)
    return proof.holds(ctx.policy.compiled.version)


def _answer(ctx: Any, plan: Plan, row: Any, records: bool) -> Any:
    """The ``data`` in ``row``, its denials reported from the class skeleton."""
    if plan.may_deny:
        skeleton = plan.skeleton_of(row, records)
        if skeleton is not None:
            plan.report(skeleton, ctx.denials)
    return orjson.Fragment(row[0])


#: SQLite connections that know ``cadre_cursor`` (weakly held: a closed one may go).
_SQLITE_READY: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _cursor(record_id: int | None) -> str | None:
    return None if record_id is None else encode_cursor(record_id)


async def _register_sqlite_functions(connection: Any) -> None:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver not in _SQLITE_READY:
        await driver.create_function("cadre_cursor", 1, _cursor, deterministic=True)
        _SQLITE_READY.add(driver)
