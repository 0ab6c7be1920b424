"""Shared fixtures: one migrated, seeded database per test session (SQLite or PostgreSQL).

Set TEST_DATABASE_URL (postgresql+asyncpg://...) to run the whole suite on PostgreSQL;
otherwise it runs on a SQLite file in a temporary folder.
"""

import asyncio
import itertools
import os
import warnings
from collections.abc import AsyncIterator, Awaitable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from api.auth import TokenSubject, issue_token
from api.settings import Settings
from db.audit_keys import SigningKey, Verifier
from db.engine import create_engine, create_sessionmaker, is_sqlite
from db.migrate import upgrade

DEMO_SIZE = 300


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated and seeded database for this test session."""
    from db.seed import seed_demo

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await _reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_demo(session, size=DEMO_SIZE)
    await engine.dispose()
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Unlimited: the suite's own request rate is no test of the limits (test_rate_limited_*).
    # No background version poll in the in-process app: it would land in the statement
    # counts of test_sql_statements (the servers of test_policy_freshness poll as shipped).
    # Nor a background sealer (tests of sealing start their own): a fixed key, so that the
    # session's checkpoints verify throughout.
    keys = tmp_path_factory.mktemp("audit-keys")
    SigningKey.generate().write(keys / "signing.pem")
    return Settings(env="test", database_url=database_url, rate_limit_per_minute=0,
                    partner_rate_limit_per_minute=0, policy_poll_seconds=86400,
                    audit_seal_interval_seconds=0,
                    audit_signing_key_file=keys / "signing.pem",
                    audit_witness_file=keys / "witness.json",
                    ide_assets=Path(__file__).parent.parent / "ide" / "dist")


async def bounded(step: Awaitable[Any], seconds: float = 10) -> None:
    """Await a teardown step, giving up after ``seconds``: a connection that stopped
    answering must fail no test and hold no run."""
    try:
        async with asyncio.timeout(seconds):
            await step
    except TimeoutError:
        warnings.warn(f"teardown step gave up after {seconds} s", stacklevel=2)


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client of the real application (lifespan included)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def _lookup_subject(url: str, username: str) -> TokenSubject:
    """The account's token subject, read on a loop of its own (fixtures call it in sync);
    an unknown username gets a subject no account has."""

    async def lookup() -> TokenSubject:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                row = (await connection.execute(text(
                    "SELECT id, token_generation FROM users WHERE username = :name"),
                    {"name": username})).first()
        finally:
            await engine.dispose()
        return TokenSubject(row[0], row[1]) if row else TokenSubject(0, 1)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, lookup()).result()


@pytest.fixture(scope="session")
def token(settings: Settings) -> Any:
    """``token("demo-org")`` → a bearer token for that account; ``fresh=True`` reads its id
    and token generation again (after a revocation or a re-created username);
    ``signed_by`` other settings (another secret) signs it for a server run with them."""
    known: dict[str, TokenSubject] = {}

    def issue(username: str, ttl: int | None = None, fresh: bool = False,
              signed_by: Settings | None = None) -> str:
        if fresh or username not in known:
            known[username] = _lookup_subject(settings.database_url, username)
        return issue_token(signed_by or settings, known[username], ttl, username=username)

    return issue


class GraphQLClient:
    """Posts operations as one user and returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient, bearer: str | None) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query,
                                                          "variables": variables},
                                        headers=self.headers)
        body = response.json()
        body["status"] = response.status_code
        return body


@pytest.fixture(scope="session")
def as_user(client: httpx.AsyncClient, token: Any) -> Any:
    """``as_user("demo-org")`` → a GraphQLClient acting as that account."""
    return lambda username, fresh=False: GraphQLClient(client, token(username, fresh=fresh))


def uses_sqlite() -> bool:
    return is_sqlite(os.environ.get("TEST_DATABASE_URL") or "sqlite+aiosqlite://")


@pytest.fixture
async def count_rows(database_url: str) -> Any:
    """``await count_rows("cadres")`` → rows in that table, read directly from the database."""
    engine = create_engine(database_url)

    async def count(table: str) -> int:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar())

    yield count
    await engine.dispose()


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Any]:
    """An engine on the test database, for setting up what no API operation does."""
    engine = create_engine(database_url)
    yield engine
    await bounded(engine.dispose())


@pytest.fixture(scope="session")
async def reviewer(database: Any) -> str:
    """A second organization officer over the city: an appeal needs a reviewer other than
    the officer who recorded the decision."""
    async with database.begin() as connection:
        await connection.execute(text(
            "INSERT INTO users (username, display_name, active, created_at) "
            "VALUES ('org-reviewer', '复核人', :yes, :now)"),
            {"yes": True, "now": datetime.now(UTC)})
        await connection.execute(text(
            "INSERT INTO role_assignments (user_id, role, unit_id) SELECT id, 'org', 1 "
            "FROM users WHERE username = 'org-reviewer'"))
    return "org-reviewer"


@pytest.fixture(scope="session")
async def account(database: Any) -> Any:
    """``await account("officer", [("org", 1)], cadre_id=7)`` → a new account holding
    those roles (unit id, or None for a role without unit); returns its username, the
    prefix made unique for the session."""
    serial = itertools.count(1)

    async def create(prefix: str, holdings: list[tuple[str, int | None]],
                     cadre_id: int | None = None) -> str:
        username = f"{prefix}-{next(serial)}"
        async with database.begin() as connection:
            user_id = (await connection.execute(text(
                "INSERT INTO users (username, display_name, cadre_id, active, created_at) "
                "VALUES (:name, :name, :cadre, :yes, :now) RETURNING id"),
                {"name": username, "cadre": cadre_id, "yes": True,
                 "now": datetime.now(UTC)})).scalar_one()
            for role, unit_id in holdings:
                await connection.execute(text(
                    "INSERT INTO role_assignments (user_id, role, unit_id) "
                    "VALUES (:user, :role, :unit)"),
                    {"user": user_id, "role": role, "unit": unit_id})
        return username

    return create


@pytest.fixture(autouse=True)
def writes_declared() -> Any:
    """Every test: each write made under a mutation's declaration stays within it and
    commits with its audit event (`tests.writes_watch`)."""
    from tests import writes_watch

    writes_watch.install()
    writes_watch.WATCH.violations.clear()
    yield writes_watch.WATCH
    violations = list(writes_watch.WATCH.violations)
    writes_watch.WATCH.violations.clear()
    assert not violations, violations


@pytest.fixture(scope="session")
def audit_key(settings: Settings) -> SigningKey:
    """The session's checkpoint signing key (outside the database, as in production)."""
    assert settings.audit_signing_key_file is not None
    return SigningKey.from_text(settings.audit_signing_key_file.read_text())


@pytest.fixture(scope="session")
def signature_ok(audit_key: SigningKey) -> Verifier:
    """Checks checkpoint signatures against the session's public key only."""
    return Verifier([audit_key.public])
