"""Query execution: graphql-core's semantics on a shorter path.

Profiling the roster page showed graphql-core's per-field machinery (resolve-info
objects, resolver wrappers, awaitable checks, incremental-delivery bookkeeping)
as the largest single cost of a request. Resolvers of this API fetch everything
a page needs up front (see `api.selection`), so below the root every value is
already in memory. For query operations, `CompiledExecutionContext` therefore
walks the selection synchronously with its own small completion loop:

* root fields are awaited one after another;
* fields marked plain at schema build time (attributes, no resolver) are read
  directly, their guard checked as a set lookup; a non-null audited value is
  noted for the documentary record (`api.reads`);
* other fields call their resolver as graphql-core would;
* errors, null propagation and paths follow graphql-core exactly, using its own
  ``handle_field_error``, ``collect_subfields`` and argument coercion.

A value that is awaitable (a resolver's coroutine, or a child the page's resolver did not
foresee and left to the per-request DataLoaders, `api.loaders.Later`) is completed where
it stands: its object, list and field become awaitable in turn, and a list awaits its
items together, so that their loads batch into one statement. The path is chosen before
anything runs: mutations, ``@defer``/``@stream``, a schema with abstract types and
extension middleware go to graphql-core's own executor from the start; no operation is
ever executed twice. A differential test runs a corpus of queries through both paths and
requires identical answers.
"""

import asyncio
from collections.abc import Awaitable
from typing import Any, NamedTuple

import strawberry
from graphql import (
    GraphQLError,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationType,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import collect_fields
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, Visitor, visit
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.compiler import Unsupported, run_query
from api.field_plan import FieldPlan
from api.reads import install_read_notes
from authz.masking import MASKABLE


class PlainField(NamedTuple):
    """How to read a resolver-less field: attribute, guard key, leaf type if a leaf, and
    the ``Type.field`` to note when a non-null value is returned (audited fields only)."""

    attribute: str
    guard: str | None
    leaf_type: GraphQLLeafType | None
    non_null: bool
    audited: str | None
    #: For an enum: each value's GraphQL name, so the common case skips the coercion call.
    names: dict[Any, str] | None = None


PLAIN = "cadre.plain"


class _Streams(Visitor):
    """Finds ``@defer``/``@stream`` anywhere in a document."""

    found = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> Any:
        if node.name.value in ("defer", "stream"):
            self.found = True
            return self.BREAK
        return None


def _streams(document: Any) -> bool:
    visitor = _Streams()
    visit(document, visitor)
    return visitor.found


def mark_plain_fields(schema: strawberry.Schema, plan: FieldPlan) -> int:
    """Mark every resolver-less field of the schema's object types; returns the count.

    The guard keys and audited fields come from the field plan; the audited fields'
    reads are noted on both paths: their resolvers get the noting wrapper here (after
    the guards), and their marks name the field to note.
    """
    install_read_notes(schema, plan)
    marked = 0
    for type_field, spec in plan.items():
        # A maskable field runs its guard, which answers the masked value when due.
        if spec.attribute is None or type_field in MASKABLE:
            continue
        type_name, field_name = type_field.split(".", 1)
        field = schema._schema.type_map[type_name].fields[field_name]  # type: ignore[attr-defined]
        plain = PlainField(spec.attribute, spec.guard, spec.leaf_type, spec.non_null,
                           type_field if spec.audited else None,
                           dict(spec.enum_names) if spec.enum_names is not None else None)
        field.extensions = {**(field.extensions or {}), PLAIN: plain}
        marked += 1
    return marked


class CompiledExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with a synchronous completion loop for queries."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # An extension hooking every resolver must see every field: no short path then.
        self._has_middleware = bool(manager and manager._middleware_resolvers)

    # -- entry -------------------------------------------------------------------------
    def execute_operation(self, serially: bool | None = None) -> Any:
        if not self._short_path():
            return super().execute_operation(serially)
        return self._run_query()

    def _short_path(self) -> bool:
        """Whether this loop covers the whole operation, decided before anything runs."""
        if (self.operation.operation is not OperationType.QUERY or self._has_middleware
                or self.abort_signal is not None):
            return False
        if _has_abstract_types(self.schema):
            return False
        if not _may_stream(self.schema):  # validation refuses the directives then
            return True
        return not any(_streams(fragment) for fragment in self.fragments.values()) \
            and not _streams(self.operation)

    async def _run_query(self) -> Any:
        settings = getattr(self.context_value, "settings", None)
        if settings is not None and settings.sql_plans:
            try:
                planned = await run_query(self)
            except Unsupported:
                pass  # chosen before any SQL ran: the resolver path answers
            except Exception as fault:  # noqa: BLE001 - coded by the error policy
                self.collected_errors.add(GraphQLError(str(fault), original_error=fault),
                                          None)
                return self.finish(self.build_response(None))
            else:
                return self.finish(self.build_response(planned))
        try:
            data = await self._execute_root()
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(data))

    async def _execute_root(self) -> dict[str, Any]:
        root_type = self.schema.query_type
        assert root_type is not None
        grouped, _, _ = collect_fields(
            self.schema, self.fragments, self.variable_values, root_type, self.operation,
            self.hide_suggestions)
        data: dict[str, Any] = {}
        for response_name, details in grouped.items():
            path = Path(None, response_name, root_type.name)
            field_def = self.schema.get_field(root_type, details[0].node.name.value)
            if field_def is None:
                continue
            try:
                result = self._resolve(root_type, field_def, self.root_value, details, path)
                if self.is_awaitable(result):
                    result = await result
                completed = self._complete(field_def.type, details, path, result)
                if self.is_awaitable(completed):
                    completed = await completed
                data[response_name] = completed
            except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core does
                self.handle_field_error(raw_error, field_def.type, details, path)
                data[response_name] = None
        return data

    # -- fields --------------------------------------------------------------------------
    def _resolve(self, parent_type: GraphQLObjectType, field_def: Any, source: Any,
                 details: Any, path: Path) -> Any:
        node = details[0].node
        info = self.build_resolve_info(field_def, to_nodes(details), parent_type, path)
        args = (get_argument_values(field_def, node, self.variable_values,
                                    details[0].fragment_variable_values,
                                    self.hide_suggestions)
                if field_def.args or node.arguments else {})
        return (field_def.resolve or self.field_resolver)(source, info, **args)

    def _field(self, parent_type: GraphQLObjectType, source: Any, details: Any,
               path: Path) -> Any:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return parent_type.name
        field_def = parent_type.fields.get(name) or self.schema.get_field(parent_type, name)
        if field_def is None:
            return Undefined
        return_type = field_def.type
        plain: PlainField | None = (field_def.extensions or {}).get(PLAIN)
        try:
            if plain is None:
                result = self._resolve(parent_type, field_def, source, details, path)
                if self.is_awaitable(result):
                    return self._field_later(result, return_type, details, path)
            elif plain.guard is not None and plain.guard not in source.allowed:
                self.context_value.denials.add(plain.guard, path, node)
                return None
            else:
                result = getattr(source, plain.attribute)
                if result is not None and self.is_awaitable(result):  # loaded when reached
                    return self._field_later(result, return_type, details, path,
                                             plain.audited, source)
                if plain.audited is not None and result is not None:
                    self.context_value.reads.note(plain.audited, source.id)
                if plain.leaf_type is not None and result is not None:
                    if plain.names is not None:
                        name = plain.names.get(getattr(result, "value", result))
                        if name is not None:
                            return name
                    coerced = plain.leaf_type.coerce_output_value(result)
                    if coerced is not None and coerced is not Undefined:
                        return coerced
            completed = self._complete(return_type, details, path, result)
            if self.is_awaitable(completed):
                return self._field_done_later(completed, return_type, details, path)
            return completed
        except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core does
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    async def _field_later(self, result: Awaitable[Any], return_type: GraphQLOutputType,
                           details: Any, path: Path, audited: str | None = None,
                           source: Any = None) -> Any:
        """A field whose value is awaitable: awaited, then completed as `_field` would."""
        try:
            value = await result
            if audited is not None and value is not None:
                self.context_value.reads.note(audited, source.id)
            completed = self._complete(return_type, details, path, value)
            return await completed if self.is_awaitable(completed) else completed
        except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core does
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    async def _field_done_later(self, completed: Awaitable[Any],
                                return_type: GraphQLOutputType, details: Any,
                                path: Path) -> Any:
        """A field whose completion waits on a value below it."""
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core does
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    # -- values --------------------------------------------------------------------------
    def _complete(self, return_type: GraphQLOutputType, details: Any, path: Path,
                  result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if isinstance(return_type, GraphQLNonNull):
            completed = self._complete(return_type.of_type, details, path, result)
            if self.is_awaitable(completed):
                return self._non_null_later(completed, details, path)
            if completed is None:
                raise TypeError(_null_message(path, details))
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(return_type, GraphQLList):
            return self._complete_list(return_type.of_type, details, path, result)
        if is_leaf_type(return_type):
            return self.complete_leaf_value(return_type, result)  # type: ignore[arg-type]
        assert isinstance(return_type, GraphQLObjectType)  # no abstract types: _short_path
        return self._complete_object(return_type, details, path, result)

    async def _non_null_later(self, completed: Awaitable[Any], details: Any,
                              path: Path) -> Any:
        value = await completed
        if value is None:
            raise TypeError(_null_message(path, details))
        return value

    def _complete_list(self, item_type: GraphQLOutputType, details: Any, path: Path,
                       result: Any) -> Any:
        if isinstance(result, str | bytes) or not hasattr(result, "__iter__"):
            raise GraphQLError("Expected Iterable, but did not find one for field "
                               f"'{path.typename}.{details[0].node.name.value}'.")
        completed: list[Any] = []
        waiting: list[int] = []
        for index, item in enumerate(result):
            item_path = path.add_key(index, None)
            try:
                if self.is_awaitable(item):
                    value = self._item_later(item, item_type, details, item_path, True)
                    waiting.append(index)
                else:
                    value = self._complete(item_type, details, item_path, item)
                    if self.is_awaitable(value):
                        value = self._item_later(value, item_type, details, item_path, False)
                        waiting.append(index)
                completed.append(value)
            except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core does
                self.handle_field_error(raw_error, item_type, details, item_path)
                completed.append(None)
        if waiting:
            return self._list_later(completed, waiting)
        return completed

    async def _item_later(self, value: Awaitable[Any], item_type: GraphQLOutputType,
                          details: Any, item_path: Path, complete: bool) -> Any:
        try:
            found = await value
            if complete:
                found = self._complete(item_type, details, item_path, found)
                if self.is_awaitable(found):
                    found = await found
            return found
        except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core does
            self.handle_field_error(raw_error, item_type, details, item_path)
            return None

    @staticmethod
    async def _list_later(completed: list[Any], waiting: list[int]) -> list[Any]:
        # Together: the items' loads land in the same DataLoader batches.
        values = await asyncio.gather(*(completed[index] for index in waiting))
        for index, value in zip(waiting, values, strict=True):
            completed[index] = value
        return completed

    def _complete_object(self, object_type: GraphQLObjectType, details: Any, path: Path,
                         result: Any) -> Any:
        grouped, _, _ = self.collect_subfields(object_type, details)
        completed: dict[str, Any] = {}
        waiting: list[str] = []
        for response_name, sub_details in grouped.items():
            value = self._field(object_type, result, sub_details,
                                path.add_key(response_name, object_type.name))
            if value is not Undefined:
                completed[response_name] = value
                if self.is_awaitable(value):
                    waiting.append(response_name)
        if waiting:
            return self._object_later(completed, waiting)
        return completed

    @staticmethod
    async def _object_later(completed: dict[str, Any], waiting: list[str]) -> dict[str, Any]:
        values = await asyncio.gather(*(completed[name] for name in waiting))
        for name, value in zip(waiting, values, strict=True):
            completed[name] = value
        return completed


def _null_message(path: Path, details: Any) -> str:
    return (f"Cannot return null for non-nullable field {path.typename}."
            f"{details[0].node.name.value}.")


def _has_abstract_types(schema: Any) -> bool:
    """Whether the schema has a union or interface (then the general executor runs)."""
    found = getattr(schema, "_cadre_abstract", None)
    if found is None:
        found = any(is_abstract_type(named) for name, named in schema.type_map.items()
                    if not name.startswith("__"))
        schema._cadre_abstract = found
    return bool(found)


def _may_stream(schema: Any) -> bool:
    """Whether the schema declares ``@defer`` or ``@stream`` (incremental delivery)."""
    return any(schema.get_directive(name) is not None for name in ("defer", "stream"))
