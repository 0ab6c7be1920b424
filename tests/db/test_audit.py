"""Appending to the chain in the caller's transaction, on the session's database."""

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from db import audit
from db.engine import create_engine, create_sessionmaker
from db.models import AuditEvent
from domain.enums import Role
from domain.principal import Holding, Principal

ACTOR = Principal(user_id=1, username="li", holdings=(Holding(Role.DISCIPLINE, None),
                                                      Holding(Role.ORG, None)))


async def test_an_event_sealed_with_an_offset_verifies_as_stored(database_url):
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    beijing = datetime(2026, 3, 1, 17, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    async with sessions() as session, session.begin():
        await audit.record(session, actor=ACTOR, operation="updateCadre", record_type="Cadre",
                           record_ids=[3, 1], fields=["position"], at=beijing)
    async with sessions() as session:
        newest = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        outcome = await audit.verify(session)
    await engine.dispose()
    assert newest is not None and newest.role == "discipline+org"
    assert newest.at == beijing and newest.at.tzinfo is not None
    assert outcome.broken is None


async def test_an_event_rolled_back_with_its_change_leaves_no_trace(database_url):
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEvent))
        await audit.record(session, actor=ACTOR, operation="updateCadre", record_type="Cadre",
                           record_ids=[1], fields=[], at=datetime.now(UTC))
        await session.rollback()
        after = await session.scalar(select(func.count()).select_from(AuditEvent))
        outcome = await audit.verify(session)
    await engine.dispose()
    assert after == before
    assert outcome.broken is None
