"""The unit of work: a command commits each completed change; a request's unit commits
once, at its commit point, and a failed savepoint loses only its own writes."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import create_engine, create_sessionmaker
from db.models import User
from db.uow import UnitOfWork


class Refused(Exception):
    pass


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


def new_user() -> User:
    return User(username=f"uow-{uuid.uuid4().hex[:12]}", display_name="测试",
                active=True, created_at=datetime.now(UTC))


async def stored(sessions: async_sessionmaker[AsyncSession], *usernames: str) -> set[str]:
    """The given usernames as another connection sees them (committed ones only)."""
    async with sessions() as session:
        found = await session.scalars(select(User.username)
                                      .where(User.username.in_(usernames)))
        return set(found)


async def test_a_command_unit_commits_when_a_change_completes(sessions):
    async with UnitOfWork(sessions) as uow:
        user = new_user()
        uow.session.add(user)
        await uow.complete()
        assert await stored(sessions, user.username) == {user.username}


async def test_a_deferred_unit_commits_only_at_its_commit_point(sessions):
    async with UnitOfWork(sessions, deferred=True) as uow:
        user = new_user()
        uow.session.add(user)
        await uow.complete()
        assert uow.pending and await stored(sessions, user.username) == set()
        await uow.commit()
    assert await stored(sessions, user.username) == {user.username}


async def test_a_deferred_unit_left_without_commit_writes_nothing(sessions):
    async with UnitOfWork(sessions, deferred=True) as uow:
        user = new_user()
        uow.session.add(user)
        await uow.complete()
    assert await stored(sessions, user.username) == set()


async def test_a_failed_savepoint_rolls_back_only_its_own_writes(sessions):
    kept, lost = new_user(), new_user()
    async with UnitOfWork(sessions, deferred=True) as uow:
        async with uow.savepoint():
            uow.session.add(kept)
            await uow.complete()
        with pytest.raises(Refused):
            async with uow.savepoint():
                uow.session.add(lost)
                await uow.complete()
                raise Refused
        assert await stored(sessions, kept.username) == set()  # nothing before the commit
        await uow.commit()
    assert await stored(sessions, kept.username, lost.username) == {kept.username}


async def test_after_commit_steps_run_after_the_commit_and_never_after_a_rollback(sessions):
    seen: list[str] = []

    async def note(what: str) -> None:
        seen.append(what)

    async with UnitOfWork(sessions, deferred=True) as uow:
        uow.after_commit(lambda: note("rolled back"))
        await uow.rollback()
        user = new_user()
        uow.session.add(user)
        await uow.complete()
        uow.after_commit(lambda: note("committed"))
        assert seen == []
        await uow.commit()
    assert seen == ["committed"]


async def test_a_failing_after_commit_step_does_not_undo_the_reported_commit(sessions):
    async def fail() -> None:
        raise RuntimeError("announcement lost")

    async with UnitOfWork(sessions, deferred=True) as uow:
        user = new_user()
        uow.session.add(user)
        await uow.complete()
        uow.after_commit(fail)
        await uow.commit()
    assert await stored(sessions, user.username) == {user.username}

