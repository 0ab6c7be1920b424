"""Field-level authorization, installed once on the resolvers of guarded types.

Each object of a guarded type carries ``allowed``: the set of ``Type.field``
names the caller may read on that record, computed from compiled policy when
the object is built. The guard is a set lookup. A denied field answers null
and is recorded in the request's `Denials`, which become FORBIDDEN errors at
the end of the operation: one per value, or, when the field is denied on every
record for this caller, one per selection with the count of values it hid.
No exception is raised per denied value.

A field with a masking rule (`authz.masking`) that the caller may not read but is
granted ``mask`` on answers its masked value instead, noted in the request's `MaskLog`
(reported in the answer's ``extensions.masked``). Such fields always run their guard,
on either execution path: they are never read as plain attributes.
"""

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import FieldNode, GraphQLError, GraphQLObjectType, GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.extensions import SchemaExtension

from api.field_plan import GUARDED_TYPES, UNGUARDED_FIELDS, FieldPlan
from authz.explain import NOT_GRANTED
from authz.masking import MASK_RULES
from authz.scope import NO_GRANTS

__all__ = ["GUARDED_TYPES", "UNGUARDED_FIELDS", "Denials", "MaskLog", "MaskReport",
           "install_guards"]


class Denials:
    """FORBIDDEN answers collected during one operation."""

    def __init__(self, ever_readable: frozenset[str]) -> None:
        self._ever_readable = ever_readable
        self._per_value: list[tuple[str, list[str | int]]] = []
        self._per_selection: dict[int, list[Any]] = {}

    def add(self, type_field: str, path: Path, field_node: FieldNode) -> None:
        """Record that ``type_field`` at ``path`` answered null for lack of permission."""
        if type_field in self._ever_readable:
            self._per_value.append((type_field, path.as_list()))
            return
        key = id(field_node)
        entry = self._per_selection.get(key)
        if entry is None:
            self._per_selection[key] = [type_field, path.as_list(), 1]
        else:
            entry[2] += 1

    def add_at(self, type_field: str, parent: list[str | int], key: str,
               field_node: FieldNode, count: int = 1) -> None:
        """`add` for the value ``key`` of the object at ``parent`` (copied only if kept).

        ``count`` records as many values of one selection at once, the first at
        ``parent``: only for a field reported per selection (not `per_value`).
        """
        if type_field in self._ever_readable:
            if count != 1:
                raise ValueError(f"{type_field} is reported per value")
            self._per_value.append((type_field, [*parent, key]))
            return
        entry = self._per_selection.get(id(field_node))
        if entry is None:
            self._per_selection[id(field_node)] = [type_field, [*parent, key], count]
        else:
            entry[2] += count

    @property
    def ever_readable(self) -> frozenset[str]:
        """The fields the caller can read on some record: their denials are per value."""
        return self._ever_readable

    def per_value(self, type_field: str) -> bool:
        """Whether each denied value of ``type_field`` is its own error (the caller can
        read it on some record), rather than counted per selection."""
        return type_field in self._ever_readable

    def clear(self) -> None:
        self._per_value.clear()
        self._per_selection.clear()

    def errors(self) -> list[GraphQLError]:
        found = [
            GraphQLError(f"Not allowed to read {type_field}.", path=path,
                         extensions={"code": "FORBIDDEN", "reason": NOT_GRANTED,
                                     "field": type_field})
            for type_field, path in self._per_value
        ]
        found.extend(
            GraphQLError(
                f"Not allowed to read {type_field}; denied on all {count} records of this "
                "selection.", path=path,
                extensions={"code": "FORBIDDEN", "reason": NOT_GRANTED, "field": type_field,
                            "deniedCount": count})
            for type_field, path, count in self._per_selection.values()
        )
        return found


class MaskLog:
    """The masked fields one operation answered, counted per ``Type.field``."""

    __slots__ = ("_counts",)

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def note(self, type_field: str) -> None:
        self._counts[type_field] = self._counts.get(type_field, 0) + 1

    def clear(self) -> None:
        self._counts.clear()

    def report(self) -> list[dict[str, Any]]:
        """``[{"field": "Cadre.phone", "count": 3}, …]`` in field order (empty: none)."""
        return [{"field": name, "count": count} for name, count in sorted(self._counts.items())]


class MaskReport(SchemaExtension):
    """Adds ``extensions.masked`` to an answer that holds masked values."""

    def get_results(self) -> dict[str, Any]:
        masks = getattr(self.execution_context.context, "masks", None)
        report = masks.report() if masks is not None else []
        return {"masked": report} if report else {}


def _guarded_or_masked(type_field: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    mask = MASK_RULES[type_field]

    def resolve_or_mask(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        if type_field in root.allowed:
            return resolve(root, info, **kwargs)
        context = info.context
        if type_field in context.scope.masked(getattr(root, "grants", NO_GRANTS)):
            value = resolve(root, info, **kwargs)
            if value is None:
                return None
            context.masks.note(type_field)
            return mask(value)
        context.denials.add(type_field, info.path, info.field_nodes[0])
        return None

    return resolve_or_mask


def _guarded(type_field: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolve_if_allowed(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        if type_field in root.allowed:
            return resolve(root, info, **kwargs)
        info.context.denials.add(type_field, info.path, info.field_nodes[0])
        return None

    return resolve_if_allowed


def _attribute(name: str) -> Callable[..., Any]:
    def resolve_attribute(root: Any, _info: GraphQLResolveInfo, **_kwargs: Any) -> Any:
        return getattr(root, name)

    return resolve_attribute


def install_guards(schema: strawberry.Schema, plan: FieldPlan) -> dict[str, str]:
    """Wrap every field the field plan guards with the check; returns the guarded fields.

    Plain attribute fields get a direct ``getattr`` instead of Strawberry's generic
    wrapper, which keeps the guarded path as cheap as the unguarded one.
    """
    guarded: dict[str, str] = {}
    for type_field, guard in plan.guards().items():
        type_name, field_name = type_field.split(".", 1)
        graphql_type = schema._schema.type_map.get(type_name)
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        field = graphql_type.fields[field_name]
        attribute = plan[type_field].attribute
        resolve = field.resolve if attribute is None else _attribute(attribute)
        wrap = _guarded_or_masked if type_field in MASK_RULES else _guarded
        field.resolve = wrap(guard, resolve)
        guarded[type_field] = guard
    return guarded
