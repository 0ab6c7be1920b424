"""Validation of operations, cached per document: graphql-core's rules with three bounds.

* no "Did you mean …" hints, in any environment: they let a caller map fields his
  view of the schema does not show;
* at most `MAX_ERRORS` errors per document, so a document repeating a mistake
  (a hundred unknown directives on one field) costs one short answer;
* introspection nested at most three lists deep (graphql-core's
  ``MaxIntrospectionDepthRule``): ``__schema { types { fields { type { fields …``
  grows with the schema at every level.

It replaces Strawberry's ``ValidationCache``, whose validation accepts none of these
options.
"""

from collections import OrderedDict
from collections.abc import Iterator

from graphql import ASTValidationRule, GraphQLError, GraphQLSchema, validate
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

MAX_ERRORS = 5
_EXTRA_RULES = (MaxIntrospectionDepthRule, MaybeNullValidationRule, OneOfInputValidationRule)

Key = tuple[GraphQLSchema, str, tuple[type[ASTValidationRule], ...]]


class ValidationPolicy(SchemaExtension):
    """Validates each document once per schema (views included) and rule set."""

    _cache: "OrderedDict[Key, list[GraphQLError]]" = OrderedDict()
    maxsize = 512

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None and context.query is not None
        key: Key = (context.schema._schema, context.query, tuple(context.validation_rules))
        cache = self._cache
        errors = cache.get(key)
        if errors is None:
            errors = validate(key[0], context.graphql_document, (*key[2], *_EXTRA_RULES),
                              max_errors=MAX_ERRORS, hide_suggestions=True)
            if len(cache) >= self.maxsize:
                cache.popitem(last=False)
            cache[key] = errors
        else:
            cache.move_to_end(key)
        # Strawberry validates only when no extension has set this.
        context.pre_execution_errors = errors
        yield
