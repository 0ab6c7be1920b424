"""The measures of one operation of a parsed document, before it is validated or run.

* depth: as strawberry's `QueryDepthLimiter` (graphql-depth-limit) counts it: a leaf
  is 0, a field with a selection 1 more than its deepest child; introspection
  fields (``__schema``, ``__type``) count 0, their nesting being bounded by
  graphql-core's ``MaxIntrospectionDepthRule`` and their answer by the schema.
* aliases: as strawberry's `MaxAliasesLimiter` counts them (since 0.315.7): each
  fragment spread counts its fragment's aliases again.
* root fields: the fields selected at the root, fragments included.
* fields: every field selected, fragments expanded: what validation and execution
  walk, whatever the lists hold (500 copies of one field cost no SQL, but each is
  compared with the others by validation).
* directives: every directive used, each fragment spread counting its fragment's.
* cost: every field counts 1; a list field multiplies its selection's cost by its
  size (`api.list_sizes`); ``@include``/``@skip`` are ignored (the worst case).

Fragments are expanded where they are spread. Each fragment is measured once
(memoised), so a document spreading fragments within fragments is measured in time
linear in its length even when its expansion is exponential. The document may not
be valid yet: unknown fields count 1 and unknown fragments nothing; validation
refuses them afterwards.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    TokenKind,
    VariableNode,
    get_named_type,
)

from api.field_plan import PAGED
from api.list_sizes import (
    DEFAULT_PAGE,
    LIST_SIZES,
    PAGE_ARGUMENT,
    PAGE_ARGUMENTS,
    is_object_list,
)

#: Fields whose selections describe the schema, not records (see the module docstring).
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


class Shape(NamedTuple):
    """The measures of a selection set."""

    depth: int = 0
    aliases: int = 0
    #: Fields at this level (the root fields of an operation's selection set).
    top_fields: int = 0
    fields: int = 0
    directives: int = 0
    cost: int = 0

    def plus(self, other: "Shape") -> "Shape":
        """Two selection sets merged side by side (a fragment spread where it is used)."""
        return Shape(max(self.depth, other.depth), self.aliases + other.aliases,
                     self.top_fields + other.top_fields, self.fields + other.fields,
                     self.directives + other.directives, self.cost + other.cost)


class Measurement(NamedTuple):
    """The measures of the operation an execution runs, with the names of the variables
    its cost depends on (page sizes given as ``first: $n``)."""

    depth: int
    aliases: int
    root_fields: int
    fields: int
    directives: int
    cost: int
    page_variables: frozenset[str]

    def measures(self) -> dict[str, int]:
        return {"depth": self.depth, "aliases": self.aliases, "root_fields": self.root_fields,
                "fields": self.fields, "directives": self.directives, "cost": self.cost}


def count_tokens(document: DocumentNode) -> int:
    """The tokens of a document parsed with locations, as ``parse(max_tokens=…)`` counts
    them: comments included (the parser keeps them in memory too), the ends excluded."""
    assert document.loc is not None, "parse with locations to count tokens"
    count, token = 0, document.loc.start_token.next
    while token is not None and token.kind is not TokenKind.EOF:
        count += 1
        token = token.next
    return count


def select_operation(document: DocumentNode,
                     operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation an execution of ``document`` runs (None: it names none that exists)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations
                 if o.name is not None and o.name.value == operation_name), None)


def measure_operation(schema: GraphQLSchema, document: DocumentNode,
                      operation_name: str | None, variables: Mapping[str, Any] | None,
                      max_page_size: int) -> Measurement:
    """The measures of the operation of ``document`` that ``operation_name`` selects.

    Args:
        schema: the schema the operation will run on (list sizes come from its types).
        document: the parsed document.
        operation_name: the operation to run (None: the document's only one).
        variables: the request's variables (page sizes given as variables).
        max_page_size: the largest page a paginated field answers.
    """
    operation = select_operation(document, operation_name)
    if operation is None:  # nothing runs: strawberry refuses the request
        return Measurement(0, 0, 0, 0, 0, 0, frozenset())
    defaults = {d.variable.name.value: int(d.default_value.value)
                for d in operation.variable_definitions or ()
                if isinstance(d.default_value, IntValueNode)}
    plan = getattr(getattr(schema, "_strawberry_schema", None), "field_plan", None)
    walk = _Walk(schema, document, variables or {}, defaults, max_page_size, plan)
    root = {OperationType.QUERY: schema.query_type, OperationType.MUTATION:
            schema.mutation_type, OperationType.SUBSCRIPTION: schema.subscription_type}
    shape = walk.selections(operation.selection_set.selections, root[operation.operation])
    return Measurement(shape.depth, shape.aliases, shape.top_fields, shape.fields,
                       shape.directives + len(operation.directives or ()), shape.cost,
                       frozenset(walk.page_variables))


@dataclass
class _Walk:
    schema: GraphQLSchema
    document: DocumentNode
    variables: Mapping[str, Any]
    variable_defaults: dict[str, int]
    max_page_size: int
    #: The schema's field plan (`api.field_plan`): the weights of its fields.
    plan: Mapping[str, Any] | None = None
    page_variables: set[str] = field(default_factory=set)
    _fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    _measured: dict[str, Shape] = field(default_factory=dict)
    _open: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._fragments = {d.name.value: d for d in self.document.definitions
                           if isinstance(d, FragmentDefinitionNode)}

    def selections(self, selections: Sequence[SelectionNode],
                   parent: GraphQLNamedType | None) -> Shape:
        shape = Shape()
        for selection in selections:
            if isinstance(selection, FieldNode):
                shape = shape.plus(self._field(selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type(condition.name.value) if condition else parent
                found = self.selections(selection.selection_set.selections, inner)
                shape = shape.plus(found._replace(
                    directives=found.directives + len(selection.directives or ())))
            elif isinstance(selection, FragmentSpreadNode):
                found = self._fragment(selection.name.value)
                shape = shape.plus(found._replace(
                    directives=found.directives + len(selection.directives or ())))
        return shape

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Shape:
        name = node.name.value
        definition = (parent.fields.get(name)
                      if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else None)
        aliases = 1 if node.alias else 0
        directives = len(node.directives or ())
        if node.selection_set is None:
            return Shape(0, aliases, 1, 1, directives, 1)
        inner = get_named_type(definition.type) if definition is not None else None
        below = self.selections(node.selection_set.selections, inner)
        aliases, directives = aliases + below.aliases, directives + below.directives
        fields = 1 + below.fields
        if name in INTROSPECTION_FIELDS:
            return Shape(0, aliases, 1, fields, directives, 1)
        size = self._size(parent, name, definition, node) if definition is not None else 1
        return Shape(1 + below.depth, aliases, 1, fields, directives, 1 + size * below.cost)

    def _size(self, parent: GraphQLNamedType | None, name: str, definition: GraphQLField,
              node: FieldNode) -> int:
        """How many items of this field's selection the cost counts."""
        spec = (self.plan.get(f"{parent.name}.{name}")
                if self.plan is not None and parent is not None else None)
        if spec is not None:
            if spec.weight == PAGED:
                return self._page(definition, node)
            return self.max_page_size if spec.weight is None else int(spec.weight)
        if PAGE_ARGUMENT in definition.args:
            return self._page(definition, node)
        if is_object_list(definition.type):
            assert parent is not None
            return LIST_SIZES.get(f"{parent.name}.{name}", self.max_page_size)
        return 1

    def _page(self, definition: GraphQLField, node: FieldNode) -> int:
        given = [size for name in PAGE_ARGUMENTS if name in definition.args
                 if (size := self._page_argument(node, name)) is not None]
        return min(max(given, default=DEFAULT_PAGE), self.max_page_size)

    def _page_argument(self, node: FieldNode, name: str) -> int | None:
        """The size ``name`` asks for (None: absent or null)."""
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        if argument is None or isinstance(argument.value, NullValueNode):
            return None
        if isinstance(argument.value, IntValueNode):
            value: Any = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            variable = argument.value.name.value
            self.page_variables.add(variable)
            value = self.variables.get(variable, self.variable_defaults.get(variable))
            if value is None:
                return None
        else:
            value = None
        if not isinstance(value, int) or isinstance(value, bool):
            return self.max_page_size  # the resolver refuses it; count the worst case
        return max(value, 0)

    def _fragment(self, name: str) -> Shape:
        found = self._measured.get(name)
        if found is not None:
            return found
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:  # unknown or cyclic: validation refuses
            return Shape()
        self._open.add(name)
        found = self.selections(fragment.selection_set.selections,
                                self._type(fragment.type_condition.name.value))
        self._open.discard(name)
        self._measured[name] = found = found._replace(
            directives=found.directives + len(fragment.directives or ()))
        return found

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.type_map.get(name)
