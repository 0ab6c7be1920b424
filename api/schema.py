"""The Strawberry schema, with the input checks and field guards installed once at build
time."""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types

from api.budgets import Admission, OperationBudgets
from api.commits import install_savepoints
from api.errors import ErrorPolicy, log_errors
from api.execution import CompiledExecutionContext, mark_plain_fields
from api.field_plan import build_field_plan
from api.guard import MaskReport, install_guards
from api.inputs import install_input_checks
from api.list_sizes import describe_weights
from api.resolvers import cases, followups, mutations, policy, queries, tolerance
from api.resolvers.audit import AuditQuery
from api.resolvers.policy_impact import PolicyImpactMutation, PolicyImpactQuery
from api.resolvers.statistics import StatisticsQuery
from api.resolvers.tokens import TokenMutation, TokenQuery
from api.validation import ValidationPolicy

# Each area of the product contributes its root fields; they are merged here.
QUERIES: tuple[type, ...] = (queries.Query, cases.CaseQueries,
                             tolerance.ToleranceQuery,
                             followups.FollowUpQuery,
                             AuditQuery, policy.PolicyQueries,
                             TokenQuery, StatisticsQuery, PolicyImpactQuery)
MUTATIONS: tuple[type, ...] = (mutations.Mutation, cases.CaseMutations,
                               tolerance.ToleranceMutation,
                               followups.FollowUpMutation, policy.PolicyMutations,
                               TokenMutation, PolicyImpactMutation)
Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


class _HidingSuggestions(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with no "Did you mean" hints in coercion errors."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)


class _CompiledHidingSuggestions(CompiledExecutionContext):
    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)


class CadreSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: Any = None) -> None:
        log_errors(errors)


def build_schema(*, guarded: bool = True, compiled: bool = True) -> strawberry.Schema:
    """The API schema.

    Args:
        guarded: install the field guards; off only to measure what authorization costs.
        compiled: run queries on the short execution path of `api.execution`; off runs
            graphql-core's general executor (the differential test compares the two).
    """
    # The budget check and its caches, shared with the partner views and the endpoint.
    admission = Admission()
    schema = CadreSchema(
        query=Query,
        mutation=Mutation,
        execution_context_class=_CompiledHidingSuggestions if compiled else _HidingSuggestions,
        extensions=[
            ErrorPolicy,
            lambda: OperationBudgets(admission),  # parses, within the caller's budget
            ValidationPolicy,
            MaskReport,
        ],
    )
    install_input_checks(schema)
    plan = build_field_plan(schema, guarded=guarded)
    schema.field_plan = plan  # type: ignore[attr-defined]
    install_guards(schema, plan)
    mark_plain_fields(schema, plan)
    describe_weights(schema._schema)
    schema.admission = admission  # type: ignore[attr-defined]
    install_savepoints(schema)
    return schema


def schema_sdl() -> str:
    return build_schema(guarded=False).as_str() + "\n"
