"""What every mutation writes, declared once: the only map from domain names to API names.

Each `Write` names the audit operation (the mutation's name), the record type on the
trail, the domain names its workflow writes with the field each is listed as, and the
other tables and columns the change touches. `install_savepoints` gives each root
mutation field its declaration before the resolver runs (a mutation without one fails
the schema's build), and the unit of work checks rights and appends the audit event
from it. The `cadre` commands use the declarations of the same names.
"""

from collections.abc import Iterable

from authz.writes import Write


def _cols(*names: str) -> frozenset[str]:
    return frozenset(names)


_STEP = {"case_steps": _cols("case_id", "stage", "actor_id", "at", "note", "documents")}
_CADRE_FIELDS = {"name": "name", "gender": "gender", "birth_date": "birthDate",
                 "id_number": "idNumber", "unit_id": "unit", "position": "position",
                 "rank": "rank", "leadership_role": "leadershipRole", "phone": "phone",
                 "status": "status"}
_POST = ("Cadre.unit", "Cadre.position", "Cadre.rank", "Cadre.status")
#: Moving a finding is guarded by its status; the moment it moved comes with it.
_VERIFYING = {"status": "status", "verification_started_at": "verificationStartedAt"}
_CONCLUDING = {"status": "status", "concluded_at": "concludedAt"}
_MOMENTS: dict[str, tuple[str, ...]] = {"verification_started_at": (), "concluded_at": ()}
_CASE_VALUES = ("disposition", "notified_at", "new_position", "decided_by", "decided_at",
                "appointed_at", "closed_at")
_TOKEN_FIELDS = {"name": "name", "agency": "agency", "scopes": "scopes", "unit_ids": "unitIds",
                 "include_subunits": "includeSubunits", "expires_at": "expiresAt",
                 "operations": "operations", "budget": "budget"}
_TOKEN_OPERATIONS = {"token_operations": _cols("token_id", "sha256")}


def _all(writes: Iterable[Write]) -> dict[str, Write]:
    return {write.operation: write for write in writes}


WRITES: dict[str, Write] = _all([
    Write("createCadre", "Cadre", "cadres", _CADRE_FIELDS),
    Write("updateCadre", "Cadre", "cadres",
          {name: _CADRE_FIELDS[name] for name in ("name", "phone", "unit_id", "position", "rank",
                                                  "leadership_role", "status")}),
    Write("recordEvaluation", "Evaluation", "evaluations",
          {"year": "year", "period": "period", "grade": "grade", "score": "score",
           "dimension_scores": "dimensionScores", "sources": "sources", "comment": "comment"},
          columns={"evaluations": _cols("cadre_id", "work_score", "conduct_score",
                                        "results_score", "finalised")}),
    Write("finaliseEvaluation", "Evaluation", "evaluations", {"finalised": "finalised"},
          columns={"evaluations": _cols("finalised_at")}),
    Write("reportFinding", "Finding", "findings",
          {"item_code": "item", "source": "source", "description": "description",
           "status": "status", "evidence": "evidence", "informant": "informant"},
          columns={"findings": _cols("cadre_id", "reported_at")}),
    Write("startFindingVerification", "Finding", "findings", _VERIFYING, guards=_MOMENTS),
    Write("confirmFinding", "Finding", "findings", _CONCLUDING, guards=_MOMENTS),
    Write("dismissFinding", "Finding", "findings", _CONCLUDING, guards=_MOMENTS),
    Write("openAdjustmentCase", "AdjustmentCase", "adjustment_cases",
          {"stage": "stage", "finding_ids": "findingIds"}, guards={"finding_ids": ()},
          columns={"adjustment_cases": _cols("cadre_id", "opened_by", "opened_at"),
                   "case_findings": _cols("case_id", "finding_id"), **_STEP}),
    Write("advanceCase", "AdjustmentCase", "adjustment_cases",
          {"stage": "stage", **{name: name for name in _CASE_VALUES}},
          guards={name: () for name in _CASE_VALUES if name != "disposition"},
          columns={"adjustment_cases": _cols("previous_unit_id", "previous_position",
                                             "previous_rank", "previous_status"),
                   "cadres": _cols("position", "rank", "status"),
                   "follow_ups": _cols("case_id", "cadre_id", "opened_at", "next_check_due"),
                   **_STEP}),
    Write("fileAppeal", "Appeal", "appeals", {"grounds": "grounds"},
          columns={"appeals": _cols("case_id", "filed_by", "filed_at", "status", "extended"),
                   "adjustment_cases": _cols("stage"), **_STEP}),
    Write("acceptAppeal", "Appeal", "appeals", {"status": "status", "due_at": "dueAt"},
          columns={"appeals": _cols("accepted_at")}),
    Write("extendAppeal", "Appeal", "appeals", {"due_at": "dueAt"},
          columns={"appeals": _cols("extended")}),
    Write("decideAppeal", "Appeal", "appeals",
          {"outcome": "outcome", "decision_note": "decisionNote"}, guards={"post": _POST},
          columns={"appeals": _cols("status", "reviewer_id", "decided_at"),
                   "adjustment_cases": _cols("stage", "closed_at", "disposition",
                                             "new_position"),
                   "cadres": _cols("unit_id", "position", "rank", "status"),
                   "follow_ups": _cols("closed_at"), **_STEP}),
    Write("reviewFaultTolerance", "FaultToleranceReview", "fault_tolerance_reviews",
          {"outcome": "outcome", "item_code": "item", "reasoning": "reasoning"},
          columns={"fault_tolerance_reviews": _cols("finding_id", "reviewer_id",
                                                    "reviewed_at")}),
    Write("submitFindingStatement", "FindingStatement", "finding_statements",
          {"text": "text"},
          columns={"finding_statements": _cols("finding_id", "author_id", "submitted_at")}),
    Write("recordRecheck", "FollowUp", "follow_ups",
          {"checks": "checks", "next_check_due": "nextCheckDue"},
          columns={"follow_up_checks": _cols("follow_up_id", "checked_by", "checked_at",
                                             "note")}),
    Write("recordRetraining", "FollowUp", "follow_ups", {"retrainings": "retrainings"},
          columns={"retrainings": _cols("follow_up_id", "course", "started_on",
                                        "completed_on")}),
    Write("grantAward", "Award", "awards", {"title": "title", "year": "year"},
          columns={"awards": _cols("cadre_id", "awarded_at")}),
    Write("recordUnitEvaluation", "UnitEvaluation", "unit_evaluations",
          {"year": "year", "grade": "grade"}, columns={"unit_evaluations": _cols("unit_id")}),
    Write("addPolicyRule", "PolicyRule", "casbin_rule", {"values": "values"},
          columns={"casbin_rule": _cols("ptype", "v0", "v1", "v2", "v3", "v4", "v5")}),
    Write("removePolicyRule", "PolicyRule", "casbin_rule", {"values": "values"},
          columns={"casbin_rule": _cols("ptype", "v0", "v1", "v2", "v3", "v4", "v5")}),
    Write("applyPolicyChanges", "PolicyRule", "casbin_rule", {"values": "values"},
          columns={"casbin_rule": _cols("ptype", "v0", "v1", "v2", "v3", "v4", "v5")}),
    Write("assignRole", "UserAccount", "users", {"roles": "roles"},
          columns={"role_assignments": _cols("user_id", "role", "unit_id")}),
    Write("revokeRole", "UserAccount", "users", {"roles": "roles"},
          columns={"role_assignments": _cols("user_id", "role", "unit_id")}),
    Write("revokeUserTokens", "UserAccount", "users", {"token_generation": "tokenGeneration"},
          guards={"token_generation": ("UserAccount.active",)}),
    Write("deactivateUser", "UserAccount", "users",
          {"active": "active", "token_generation": "tokenGeneration"},
          guards={"token_generation": ("UserAccount.active",)}),
    Write("issuePartnerToken", "PartnerToken", "partner_tokens", _TOKEN_FIELDS,
          guards={"unit_ids": ("PartnerToken.units",)},
          columns={"partner_tokens": _cols("secret_hash", "created_by", "created_at"),
                   **_TOKEN_OPERATIONS}),
    Write("revokePartnerToken", "PartnerToken", "partner_tokens", {"revoked_at": "revokedAt"}),
    Write("setPartnerTokenBudget", "PartnerToken", "partner_tokens", {"budget": "budget"}),
    Write("registerPersistedOperation", "PersistedOperation", "persisted_operations",
          {"name": "name", "query": "query"},
          columns={"persisted_operations": _cols("sha256", "created_by", "created_at")}),
    Write("registerPersistedOperations", "PersistedOperation", "persisted_operations",
          {"name": "name", "query": "query", "operations": "operations"},
          guards={"operations": ("PartnerToken.operations",)},
          columns={"persisted_operations": _cols("sha256", "created_by", "created_at"),
                   **_TOKEN_OPERATIONS}),
    Write("allowPartnerOperations", "PartnerToken", "partner_tokens",
          {"operations": "operations"}, columns=_TOKEN_OPERATIONS),
])

#: Writes made by the `cadre` commands only (no mutation of the schema makes them).
ADD_USER = Write("addUser", "UserAccount", "users",
                 {"username": "username", "cadre_id": "cadreId"},
                 guards={"username": ("UserAccount.roles",), "cadre_id": ("UserAccount.roles",)},
                 columns={"users": _cols("display_name", "active")})
