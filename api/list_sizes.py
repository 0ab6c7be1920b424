"""How many items each list field of the schema is counted as in an operation's cost.

A paginated field (one with a ``first`` argument) counts ``first`` items, or ``last``
for a backward page (the larger when both are given, which the resolver refuses): the
value the operation gives, else `DEFAULT_PAGE`, never more than the largest page.
Every other list of objects has a declared size here: a sound upper estimate of what
one answer holds for a city's records, not the demo's counts. A test requires every
list of objects in the schema to be paginated or listed here, so a new list field
cannot slip past the cost budget. Each field's description states its weight.
"""

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    get_named_type,
)

#: The argument that marks a paginated field; ``last`` sizes a backward page the same way.
PAGE_ARGUMENT = "first"
PAGE_ARGUMENTS = ("first", "last")
#: The page a connection answers when neither ``first`` nor ``last`` is given.
DEFAULT_PAGE = 20

#: Declared sizes of unpaginated lists of objects, as ``Type.field`` → items counted.
LIST_SIZES: dict[str, int] = {
    # A connection's edges are sized by its ``first``: the page is counted there.
    "CadreConnection.edges": 1,
    "AuditEventConnection.edges": 1,
    # The unit tree: a prefecture-level city has some 200 units; a unit, up to 30 below it.
    "Query.units": 200,
    "Unit.children": 30,
    "PartnerToken.units": 20,
    # One cadre's file: a decade of annual and periodic evaluations, findings, labels.
    "Cadre.evaluations": 20,
    "Cadre.findings": 10,
    "Cadre.labels": 5,
    # The procedure: seven stages and an appeal; re-checks every six months.
    "AdjustmentCase.steps": 10,
    "FollowUp.checks": 10,
    "FollowUp.retrainings": 5,
    "Me.roles": 5,
    "UserAccount.roles": 5,
    # Catalogues and administration.
    "Query.negativeList": 50,
    "Query.toleranceList": 50,
    "Query.users": 500,
    "PolicyView.rules": 500,
    "AccessExplanation.relations": 10,
    "Query.partnerTokens": 50,
    "Query.persistedOperations": 100,
    "PartnerToken.operations": 50,
    "RegisterPersistedOperationsPayload.operations": 100,  # a manifest: LIST_ITEMS at most
    # Worklists of the organization department and the discipline commission.
    "Query.adjustmentCases": 200,
    "Query.overdueAppeals": 50,
    "Query.findingStatements": 10,
    "Query.promotionCandidates": 200,
    "Query.reinstatementCandidates": 100,
    "Query.followUps": 200,
    # Statistics: an answer holds at most 1,000 cells (more is refused, db.queries.statistics).
    "CadreStatistics.cells": 1000,
    "FindingStatistics.cells": 1000,
    "CaseStatistics.cells": 1000,
    "FollowUpStatistics.cells": 1000,
    # A policy what-if holds at most 1,000 field lines (more is refused); record lines are
    # per subject (roles × relations, partner tokens) and record type.
    "PolicyImpact.fields": 1000,
    "PolicyImpact.records": 300,
}


def is_object_list(graphql_type: GraphQLType) -> bool:
    """Whether a field of this type answers a list of objects."""
    inner = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    return isinstance(inner, GraphQLList) and isinstance(get_named_type(inner),
                                                         GraphQLObjectType)


def weight_note(type_name: str, field_name: str, field: GraphQLField) -> str | None:
    """The sentence a field's description carries about its cost weight (None: weight 1)."""
    if PAGE_ARGUMENT in field.args:
        return ("Budget cost: each of up to `first` (or `last`) items counts its selection "
                f"({DEFAULT_PAGE} when both are absent).")
    size = LIST_SIZES.get(f"{type_name}.{field_name}")
    if size == 1:
        return "Budget cost: sized by the connection's `first` or `last`."
    if size is not None:
        return f"Budget cost: counted as {size} items (declared list size), each with its " \
               "selection."
    return None


def describe_weights(schema: GraphQLSchema) -> None:
    """Append each weighted field's cost note to its description (schema build time)."""
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            note = weight_note(type_name, field_name, field)
            if note is not None:
                field.description = f"{field.description}\n{note}" if field.description \
                    else note
