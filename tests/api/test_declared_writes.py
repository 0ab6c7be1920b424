"""Every mutation declares what it writes; the declaration is what it writes and audits.

The pinned table holds each mutation's audit operation, record type and the fields its
events may list, as they stood before the declarations existed; the suite-wide watch
(`tests.writes_watch`) fails any test whose mutation changes a column its declaration does
not name or commits a change without its audit event. The tests here show that the watch
catches both, and that a mutation run through the API is watched.
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text, update

from api.schema import build_schema
from api.writes import ADD_USER, WRITES
from authz.compiled import compile_policy
from authz.policy import memory_enforcer
from authz.scope import Scope, UnitTree
from authz.writes import UndeclaredWrite
from db.engine import create_engine, create_sessionmaker
from db.models import Award, Cadre
from db.uow import UnitOfWork
from domain.enums import Role
from domain.principal import Holding, Principal
from tests.api.test_mutations import CREATE, UPDATE, cadre_input

#: Operation → (record type, the fields its events list). None: the event lists the
#: rule line or role holding written, not field names.
PINNED: dict[str, tuple[str, frozenset[str] | None]] = {
    "createCadre": ("Cadre", frozenset({"name", "gender", "birthDate", "idNumber", "unit",
                                        "position", "rank", "leadershipRole", "phone",
                                        "status"})),
    "updateCadre": ("Cadre", frozenset({"name", "phone", "unit", "position", "rank",
                                        "leadershipRole", "status"})),
    "recordEvaluation": ("Evaluation", frozenset({"year", "period", "grade", "score",
                                                  "dimensionScores", "sources", "comment"})),
    "finaliseEvaluation": ("Evaluation", frozenset({"finalised"})),
    "reportFinding": ("Finding", frozenset({"item", "source", "description", "status",
                                            "evidence", "informant"})),
    "startFindingVerification": ("Finding", frozenset({"status", "verificationStartedAt"})),
    "confirmFinding": ("Finding", frozenset({"status", "concludedAt"})),
    "dismissFinding": ("Finding", frozenset({"status", "concludedAt"})),
    "openAdjustmentCase": ("AdjustmentCase", frozenset({"stage", "findingIds"})),
    "advanceCase": ("AdjustmentCase", frozenset({"stage", "disposition", "notified_at",
                                                 "new_position", "decided_by", "decided_at",
                                                 "appointed_at", "closed_at"})),
    "fileAppeal": ("Appeal", frozenset({"grounds"})),
    "acceptAppeal": ("Appeal", frozenset({"status", "dueAt"})),
    "extendAppeal": ("Appeal", frozenset({"dueAt"})),
    "decideAppeal": ("Appeal", frozenset({"outcome", "decisionNote"})),
    "reviewFaultTolerance": ("FaultToleranceReview",
                             frozenset({"outcome", "item", "reasoning"})),
    "submitFindingStatement": ("FindingStatement", frozenset({"text"})),
    "recordRecheck": ("FollowUp", frozenset({"checks", "nextCheckDue"})),
    "recordRetraining": ("FollowUp", frozenset({"retrainings"})),
    "grantAward": ("Award", frozenset({"title", "year"})),
    "recordUnitEvaluation": ("UnitEvaluation", frozenset({"year", "grade"})),
    "addPolicyRule": ("PolicyRule", None),
    "removePolicyRule": ("PolicyRule", None),
    "applyPolicyChanges": ("PolicyRule", None),
    "assignRole": ("UserAccount", None),
    "revokeRole": ("UserAccount", None),
    "revokeUserTokens": ("UserAccount", frozenset({"tokenGeneration"})),
    "deactivateUser": ("UserAccount", frozenset({"active", "tokenGeneration"})),
    "issuePartnerToken": ("PartnerToken", frozenset({"name", "agency", "scopes", "unitIds",
                                                     "includeSubunits", "expiresAt",
                                                     "operations", "budget"})),
    "revokePartnerToken": ("PartnerToken", frozenset({"revokedAt"})),
    "setPartnerTokenBudget": ("PartnerToken", frozenset({"budget"})),
    "registerPersistedOperation": ("PersistedOperation", frozenset({"name", "query"})),
    "allowPartnerOperations": ("PartnerToken", frozenset({"operations"})),
    "registerPersistedOperations": ("PersistedOperation",
                                    frozenset({"name", "query", "operations"})),
}


def _org_scope() -> Scope:
    officer = Principal(user_id=1, username="org", holdings=(Holding(Role.ORG, 1),))
    return Scope(officer, UnitTree([(1, None)]), compile_policy(memory_enforcer(), version=1))


def test_every_mutation_of_the_schema_has_a_declaration():
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    assert set(mutation.fields) == set(WRITES)


@pytest.mark.parametrize("operation", sorted(PINNED))
def test_each_mutation_keeps_its_audit_operation_and_fields(operation):
    write = WRITES[operation]
    record_type, fields = PINNED[operation]
    assert (write.operation, write.record_type) == (operation, record_type)
    if fields is not None:
        assert set(write.fields.values()) == fields


def test_the_command_that_adds_an_account_keeps_its_audit_fields():
    assert (ADD_USER.operation, ADD_USER.record_type) == ("addUser", "UserAccount")
    assert ADD_USER.trail_names(["username", "cadre_id"]) == ["username", "cadreId"]


def test_a_name_the_declaration_does_not_hold_is_refused():
    with pytest.raises(UndeclaredWrite):
        WRITES["grantAward"].guarded_by("cadre_id")


async def _cadre_id(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT min(id) FROM cadres"))).scalar())
    finally:
        await engine.dispose()


async def test_a_column_the_declaration_does_not_name_is_caught(database_url, writes_declared):
    cadre_id = await _cadre_id(database_url)
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as uow:
            uow.declare(WRITES["grantAward"])
            await uow.session.execute(update(Cadre).where(Cadre.id == cadre_id)
                                      .values(position="岗位"))
            await uow.rollback()
    finally:
        await engine.dispose()
    found = list(writes_declared.violations)
    writes_declared.violations.clear()
    assert found == ["grantAward wrote cadres.['position'] undeclared"]


async def test_a_change_committed_without_its_audit_event_is_caught(database_url,
                                                                   writes_declared):
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as uow:
            uow.declare(WRITES["grantAward"])
            # Matches no row: the statement alone is the change the watch must see.
            await uow.session.execute(update(Award).where(Award.id == -1).values(title="x"))
            await uow.session.commit()
    finally:
        await engine.dispose()
    found = list(writes_declared.violations)
    writes_declared.violations.clear()
    assert found == ["grantAward changed rows with no audit event"]


async def test_completing_a_change_never_authorized_is_refused(database_url):
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as uow:
            uow.declare(WRITES["grantAward"])
            with pytest.raises(UndeclaredWrite):
                await uow.complete([1], at=datetime.now(UTC))
    finally:
        await engine.dispose()


async def test_a_mutation_through_the_api_is_watched_and_audited_as_declared(
        as_user, writes_declared, database_url):
    org = as_user("demo-org")
    created = (await org(CREATE, input=cadre_input()))["data"]["createCadre"]["cadre"]
    writes_declared.seen.clear()
    body = await org(UPDATE, input={"id": created["id"], "version": 1, "position": "局长",
                                    "phone": "13800000000"})
    assert body["data"]["updateCadre"]["cadre"]["position"] == "局长"
    assert writes_declared.seen == {"updateCadre": {"phone", "position"}}
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            row: Any = (await connection.execute(text(
                "SELECT operation, record_type, fields FROM audit_events "
                "ORDER BY id DESC LIMIT 1"))).one()
    finally:
        await engine.dispose()
    fields = row.fields if isinstance(row.fields, list) else json.loads(row.fields)
    assert (row.operation, row.record_type, fields) == ("updateCadre", "Cadre",
                                                       ["phone", "position"])


async def test_a_change_rolled_back_in_its_savepoint_leaves_no_audit_event(database_url,
                                                                          count_rows):
    before = await count_rows("audit_events")
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine), deferred=True) as uow:
            uow.declare(WRITES["grantAward"])
            with pytest.raises(RuntimeError):
                async with uow.savepoint():
                    uow.authorize(_org_scope(), frozenset({("org", "jurisdiction")}),
                                  ["title", "year"])
                    await uow.complete([1], at=datetime.now(UTC))
                    raise RuntimeError("the field failed after its change")
            await uow.commit()
    finally:
        await engine.dispose()
    assert await count_rows("audit_events") == before


async def test_completing_an_authorized_change_without_its_event_is_refused(database_url):
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_sessionmaker(engine), deferred=True) as uow:
            uow.declare(WRITES["grantAward"])
            uow.authorize(_org_scope(), frozenset({("org", "jurisdiction")}), ["title"])
            with pytest.raises(UndeclaredWrite):
                await uow.complete()
    finally:
        await engine.dispose()
