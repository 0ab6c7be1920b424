"""Operation budgets, enforced while the document is parsed: before validation, before
execution, before any SQL but that which identifies the caller.

`OperationBudgets` is the schema's parsing step. For each request it takes the
caller's budget (`budget_of`), then refuses, in this order and each before the next
costs anything: a document longer than its byte limit (before lexing it); a document
of more tokens than its limit (``parse(max_tokens=…)`` stops lexing there); an
operation whose depth, aliases, root fields, fields, directives or cost
(`api.measures`) exceed their limits. A refusal answers HTTP 400 with one error,
``extensions``: ``code`` OPERATION_TOO_COMPLEX, ``measure``, ``value``, ``limit``.

Parsed documents and measurements are cached (`api.documents`), and budgets per kind of
caller, so a client repeating its operations pays a few dictionary look-ups and
comparisons per request (about 10 µs for a roster page, measured). The
extension has no ``resolve`` hook: that would switch off the short query path of
`api.execution`.
"""

from collections.abc import Hashable, Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension

from api.documents import DocumentCache
from api.settings import Settings, get_settings
from domain.budgets import (
    MEASURES,
    Budget,
    Exceeded,
    check_limits,
    first_exceeded,
    most_generous,
)
from domain.enums import Role
from domain.errors import InvalidInput
from domain.principal import PARTNER, Principal

CODE = "OPERATION_TOO_COMPLEX"
#: How each measure is named in ``extensions.measure`` and in the messages.
MEASURE_NAMES = {"document_bytes": "documentBytes", "tokens": "tokens", "depth": "depth",
                 "aliases": "aliases", "root_fields": "rootFields", "fields": "fields",
                 "directives": "directives", "cost": "cost"}


def user_budget(settings: Settings) -> Budget:
    """The budget of a user holding no role named in ``budgets_by_role``."""
    return Budget(**{m: getattr(settings, f"budget_max_{m}") for m in MEASURES})


def partner_budget(settings: Settings) -> Budget:
    """The budget of a partner token without limits of its own."""
    return Budget(**{m: getattr(settings, f"partner_budget_max_{m}") for m in MEASURES})


def budget_of(principal: Principal | None, settings: Settings) -> Budget:
    """The budget of one caller.

    A partner token: the partner defaults, with the token's own limits in their place.
    A user: per measure, the most generous limit among his roles, each role's limits
    being the user defaults with ``budgets_by_role[role]`` in their place.
    """
    if principal is not None and principal.is_partner:
        return partner_budget(settings).overridden(dict(principal.budget))
    base = user_budget(settings)
    roles = {h.role.value for h in principal.holdings} if principal is not None else set()
    by_role = settings.budgets_by_role
    return most_generous([base.overridden(by_role.get(role, {})) for role in roles] or [base])


def budget_settings_problem(settings: Settings) -> str | None:
    """What is wrong with ``budgets_by_role`` (None: nothing), for refusing to start: an
    unknown role or measure, or a limit below its minimum, would otherwise be found by
    the first request of that role, or never."""
    roles = sorted(role.value for role in Role)
    for role, limits in settings.budgets_by_role.items():
        if role not in roles:
            return f"CADRE_BUDGETS_BY_ROLE names an unknown role '{role}' ({', '.join(roles)})"
        try:
            check_limits(limits)
        except InvalidInput as error:
            return f"CADRE_BUDGETS_BY_ROLE, role '{role}': {error.message}"
    return None


class OperationTooComplex(GraphQLError):
    """An operation refused for exceeding its caller's budget."""

    def __init__(self, exceeded: Exceeded, *, at_least: bool = False) -> None:
        name = MEASURE_NAMES[exceeded.measure]
        amount = f"more than {exceeded.limit}" if at_least else str(exceeded.value)
        super().__init__(
            f"The operation is too complex: its {name} is {amount}, the limit is "
            f"{exceeded.limit}.",
            extensions={"code": CODE, "measure": name, "value": exceeded.value,
                        "limit": exceeded.limit})


class CallerBudgets:
    """The budget of each kind of caller, built once per set of roles or partner limits."""

    def __init__(self) -> None:
        self._budgets: dict[Hashable, tuple[Settings, Budget]] = {}

    def budget(self, principal: Principal | None, settings: Settings) -> Budget:
        """`budget_of` the caller, remembered per set of roles or partner limits (building
        it anew was the larger part of a cached check: 37 of 55 µs, measured)."""
        key: Hashable = None
        if principal is not None:
            key = ((PARTNER, principal.budget) if principal.is_partner
                   else frozenset(h.role for h in principal.holdings))
        found = self._budgets.get(key)
        if found is None or found[0] is not settings:
            if len(self._budgets) >= 1024:
                self._budgets.clear()
            found = self._budgets[key] = (settings, budget_of(principal, settings))
        return found[1]


class Admission:
    """The budget check and its caches, shared by the endpoint (which checks an operation as
    soon as it knows the caller, before any other SQL) and the schema's parsing step
    (which then finds the document in the cache)."""

    def __init__(self) -> None:
        self.documents = DocumentCache()
        self.budgets = CallerBudgets()

    def admit(self, schema: GraphQLSchema, query: str, operation_name: str | None,
              variables: dict[str, Any] | None, principal: Principal | None,
              settings: Settings) -> DocumentNode | None:
        """The parsed document (None: a syntax error, reported by the parsing step).

        Raises:
            OperationTooComplex: the operation exceeds the caller's budget.
        """
        budget = self.budgets.budget(principal, settings)
        size = len(query.encode())
        if size > budget.document_bytes:
            raise OperationTooComplex(Exceeded("document_bytes", size, budget.document_bytes))
        parsed = self.documents.parsed(query, budget.tokens)
        if parsed is None:
            return None
        if parsed.tokens > budget.tokens:
            raise OperationTooComplex(Exceeded("tokens", parsed.tokens, budget.tokens),
                                      at_least=parsed.document is None)
        assert parsed.document is not None
        measurement = self.documents.measured(schema, parsed.document, query, operation_name,
                                              variables, settings.max_page_size)
        exceeded = first_exceeded(budget, measurement.measures())
        if exceeded is not None:
            raise OperationTooComplex(exceeded)
        return parsed.document


class OperationBudgets(SchemaExtension):
    """Parses the document within the caller's budget and refuses what exceeds it.

    It takes the place of strawberry's ``ParserCache`` (it parses, and caches). Pass a
    factory sharing the caches: ``lambda: OperationBudgets(admission)``.
    """

    def __init__(self, admission: Admission) -> None:
        self.admission = admission

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        query = execution.query
        if query is not None and execution.graphql_document is None:
            context = execution.context
            settings: Settings = getattr(context, "settings", None) or get_settings()
            execution.graphql_document = self.admission.admit(
                execution.schema._schema, query, execution.operation_name,
                execution.variables, getattr(context, "principal", None), settings)
        yield
