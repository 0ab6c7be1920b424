"""Answering a query by its cached plan, without building an executor.

Once an operation has a plan (`api.compiler`), answering it again needs the caller's
variables coerced, the root fields collected, the plan found and its one statement run.
Strawberry's ``execute`` did much more around that on every request: its extensions'
hooks, graphql-core's executor with its incremental-delivery bookkeeping, resolve-info
machinery left unused: on the roster page, a third of the server's time (profiled).

`answer_by_plan` does the short version, and only for what the general path has already
proven: a plan is cached only after the general path validated the same parsed document
(documents are cached and a plan keeps its document alive, so the identity in its key
is the document's) against the same schema, and the endpoint has already checked the
operation against the caller's budget. Anything else (no cached plan, variables that do
not coerce, fragments with variables of their own, introspection) returns None before
anything ran, and the general path answers. The answer is settled exactly as the
general path settles it (`api.errors.settle`): audited reads recorded and committed,
denials reported, faults coded.
"""

from types import SimpleNamespace
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import get_variable_values
from strawberry.types import ExecutionResult

from api.compiler import Unsupported, find_plan, run_plan
from api.errors import log_errors, settle


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    found = None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if name is None:
                if found is not None:
                    return None  # several operations and no name: the general path says so
                found = definition
            elif definition.name is not None and definition.name.value == name:
                found = definition
    return found


def _fragments(document: DocumentNode) -> dict[str, FragmentDetails] | None:
    fragments = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None  # fragment variables: left to the general path
            fragments[definition.name.value] = FragmentDetails(definition, None)
    return fragments


async def answer_by_plan(schema: Any, document: DocumentNode, operation_name: str | None,
                         variables: dict[str, Any] | None,
                         context: Any) -> ExecutionResult | None:
    """The answer to a query operation by its cached plan; None when there is none (then
    nothing ran and the general path answers).

    Args:
        schema: the strawberry schema the general path would execute on.
        document: the parsed document, as the endpoint's admission cached it.
        operation_name: the request's operation name.
        variables: the request's variables, not yet coerced.
        context: the request's context (`api.context.Context`).
    """
    if not context.settings.sql_plans:
        return None
    operation = _operation(document, operation_name)
    fragments = _fragments(document)
    if operation is None or operation.operation.value != "query" or fragments is None:
        return None
    graphql_schema = schema._schema
    coerced = get_variable_values(graphql_schema, operation.variable_definitions or (),
                                  variables or {}, hide_suggestions=True)
    if isinstance(coerced, list):
        return None  # the general path reports the variables' errors
    execution = SimpleNamespace(schema=graphql_schema, operation=operation,
                                fragments=fragments, variable_values=coerced,
                                context_value=context)
    try:
        plan, params = find_plan(execution, compile_missing=False)
    except Unsupported:
        return None
    try:
        data = await run_plan(execution, plan, params)
        result = ExecutionResult(data, None)
    except Exception as fault:  # noqa: BLE001 - coded by the error policy, as on the general path
        result = ExecutionResult(None, [GraphQLError(str(fault), original_error=fault)])
    if result.errors:  # logged as they are, before they are coded and masked
        log_errors(result.errors)
    await settle(context, result, mutation=False)
    return result
