"""schema.graphql is generated from the code; denied fields must be nullable."""

from pathlib import Path

from graphql import GraphQLNonNull

from api.guard import GUARDED_TYPES, UNGUARDED_FIELDS
from api.schema import build_schema, schema_sdl
from authz.compiled import compile_policy
from authz.policy import memory_enforcer

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"


def test_schema_file_matches_the_code():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is stale: run `make schema`")


def test_every_guarded_field_is_nullable():
    schema = build_schema()._schema
    for type_name in GUARDED_TYPES:
        for name, field in schema.type_map[type_name].fields.items():
            if name not in UNGUARDED_FIELDS:
                assert not isinstance(field.type, GraphQLNonNull), f"{type_name}.{name}"


def test_every_guarded_field_is_in_the_policy_catalogue():
    catalogue = compile_policy(memory_enforcer(), 1).fields
    schema = build_schema()._schema
    for type_name in GUARDED_TYPES:
        for name in schema.type_map[type_name].fields:
            assert f"{type_name}.{name}" in catalogue, f"{type_name}.{name} has no field group"


#: Object types no policy guards, each for a reason: containers (connections, edges,
#: payloads, roots), the public catalogues and the unit tree, the caller himself, and
#: types reachable only through a guarded field (DimensionScores, CadreLabel,
#: FollowUpCheck, Retraining, OperationBudget, RelationDecision); statistics, whose
#: dimensions are checked against the policy before any count (authz.statistics); the policy
#: what-if, whose root fields require the admin's policy grants. A new type
#: must be guarded by policy or added here.
PUBLIC_TYPES = {
    "Query", "Mutation", "Me", "RoleHolding", "Unit", "PageInfo",
    "CadreConnection", "CadreEdge", "AuditEventConnection", "AuditEventEdge", "PolicyView",
    "NegativeListItem", "ToleranceItem", "RelationDecision",
    "CadreLabel", "DimensionScores", "FollowUpCheck", "Retraining", "OperationBudget",
    "AdjustmentCasePayload", "AppealPayload", "CadrePayload", "EvaluationPayload",
    "FaultToleranceReviewPayload", "FindingPayload", "FindingStatementPayload",
    "GrantAwardPayload", "IssuePartnerTokenPayload", "PartnerTokenPayload",
    "PolicyChangePayload", "RecordRecheckPayload", "RecordRetrainingPayload",
    "RecordUnitEvaluationPayload", "RegisterPersistedOperationPayload",
    "RegisterPersistedOperationsPayload", "RoleChangePayload",
    "RevokeUserTokensPayload",
    "CadreStatistics", "CadreStatisticsCell", "FindingStatistics", "FindingStatisticsCell",
    "CaseStatistics", "CaseStatisticsCell", "FollowUpStatistics", "FollowUpStatisticsCell",
    "PolicyImpact", "FieldImpact", "RecordImpact", "ApplyPolicyChangesPayload",
}


def test_every_object_type_is_guarded_by_policy_or_declared_public():
    from graphql import GraphQLObjectType

    schema = build_schema()._schema
    unguarded = {name for name, graphql_type in schema.type_map.items()
                 if isinstance(graphql_type, GraphQLObjectType) and not name.startswith("__")
                 and name not in GUARDED_TYPES}
    assert unguarded == PUBLIC_TYPES
