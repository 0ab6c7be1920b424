"""Relations on the resolver path load through per-request DataLoaders: correct at any
depth, one statement per relation whatever the number of parent rows, and guarded with
the grants of the record they belong to."""

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest

from api.app import create_app
from api.context import Context
from api.guard import Denials
from api.policy_sync import PolicyService
from api.types.cadres import build_cadres
from authz.scope import Scope
from db.engine import create_engine, create_sessionmaker
from db.models import Cadre as CadreRow
from db.queries import cadres as cadre_queries
from db.queries import users as user_queries
from db.uow import UnitOfWork
from tests.api.test_sql_statements import counting_statements

CHILDREN = "evaluations { year grade comment } findings { status item { code } } labels { code }"
ROSTER = (f"query R($first: Int!) {{ cadres(first: $first) {{ edges {{ node {{ id {CHILDREN} "
          "} } } }")
CASES = f"{{ adjustmentCases {{ id cadre {{ id {CHILDREN} }} }} }}"
EVERYTHING = frozenset({"evaluations", "findings", "labels"})


@pytest.fixture(scope="module")
async def resolver_path(settings) -> AsyncIterator[httpx.AsyncClient]:
    """The application on graphql-core's general executor: the resolver path."""
    app = create_app(settings.model_copy(update={"compiled_execution": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def _post(http: httpx.AsyncClient, bearer: str, query: str, **variables) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": f"Bearer {bearer}"})
    return response.json()


def _reading(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if f"FROM {table}" in s]


async def test_relations_at_depth_on_the_resolver_path_load_once_per_relation(
        resolver_path, client, token):
    bearer = token("demo-org")
    await _post(resolver_path, bearer, CASES)  # the account's principal, read once
    # when cases, their cadres and the cadres' children are read on the resolver path
    with counting_statements() as statements:
        body = await _post(resolver_path, bearer, CASES)
    cases = body["data"]["adjustmentCases"]
    assert len(cases) > 3, "the demo has several cases"
    assert any(case["cadre"]["evaluations"] for case in cases)
    assert any(case["cadre"]["findings"] for case in cases)
    # then each relation is one statement, however many cases there are
    assert len(_reading(statements, "evaluations")) == 1, statements
    assert len(_reading(statements, "findings")) == 1, statements
    assert len(_reading(statements, "cadre_labels")) == 1, statements
    assert len(_reading(statements, "case_steps")) == 1, statements
    # and the answer is the short path's
    assert body == await _post(client, bearer, CASES)


async def test_roster_children_on_the_resolver_path_cost_the_same_for_any_page(
        resolver_path, token):
    bearer = token("demo-org")
    await _post(resolver_path, bearer, ROSTER, first=1)
    counts = []
    for first in (5, 80):
        with counting_statements() as statements:
            body = await _post(resolver_path, bearer, ROSTER, first=first)
        assert len(body["data"]["cadres"]["edges"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


@pytest.fixture
async def request_context(settings, database_url) -> AsyncIterator:
    """``await make(username)``: the context of a request by ``username``, over the real
    database, policy and scope."""
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    policies = PolicyService(engine, sessions, None)
    await policies.start()
    units_of_work: list[UnitOfWork] = []

    async def make(username: str) -> Context:
        uow = UnitOfWork(sessions, deferred=True)
        await uow.__aenter__()
        units_of_work.append(uow)
        principal = await user_queries.principal(uow.session, username)
        assert principal is not None
        policy = policies.loaded
        scope = Scope(principal, policy.tree, policy.compiled)
        return Context(request=None, settings=settings, principal=principal, scope=scope,
                       uow=uow, units=policy.units, denials=Denials(scope.ever_readable()),
                       policies=policies, policy=policy)

    yield make
    for uow in units_of_work:
        await uow.__aexit__(None, None, None)
    await policies.stop()
    await engine.dispose()


async def _page(context: Context, size: int) -> list:
    visible = context.scope.row_filter("Cadre.id", CadreRow.unit_id, CadreRow.id)
    rows = await cadre_queries.page(context.uow.session, visible,
                                    cadre_queries.CadreCriteria(), after_id=None, limit=size)
    return list(rows)


def _plain(values: list) -> list:
    return [(v.__class__.__name__, sorted((k, repr(x)) for k, x in vars(v).items()
                                          if k != "row")) for v in values]


@pytest.mark.parametrize("account", ["demo-org", "demo-discipline"])
async def test_children_nobody_foresaw_load_together_as_foreseen_ones_would(
        request_context, account):
    # given a page of cadres built without knowing which children the query reads
    context = await request_context(account)
    info = SimpleNamespace(context=context)
    rows = await _page(context, 30)
    unforeseen = await build_cadres(info, rows, frozenset())
    # when the executor awaits every cadre's evaluations, findings and labels together
    with counting_statements() as statements:
        loaded = {name: await asyncio.gather(*(getattr(c, name) for c in unforeseen))
                  for name in sorted(EVERYTHING)}
    # then each relation took one statement for the whole page
    assert len(statements) == 3, statements
    # and the values, with the fields each may show, are those of a foreseen page
    foreseen = await build_cadres(SimpleNamespace(context=await request_context(account)),
                                  rows, EVERYTHING)
    for name, lists in loaded.items():
        assert [_plain(values) for values in lists] == \
               [_plain(getattr(c, name)) for c in foreseen], name
    assert any(loaded["evaluations"]) and any(loaded["findings"])


async def test_a_child_awaited_twice_is_loaded_once(request_context):
    context = await request_context("demo-org")
    [cadre] = await build_cadres(SimpleNamespace(context=context),
                                 await _page(context, 1), frozenset())
    with counting_statements() as statements:
        first, again = await cadre.evaluations, await cadre.evaluations
    assert first is again and len(statements) == 1


async def test_the_discipline_inspector_sees_no_comment_on_lazily_loaded_evaluations(
        request_context):
    # given evaluations loaded as nobody foresaw, for discipline inspection and org
    found = {}
    for account in ("demo-discipline", "demo-org"):
        context = await request_context(account)
        [cadre] = await build_cadres(SimpleNamespace(context=context),
                                     await _page(context, 1), frozenset())
        found[account] = await cadre.evaluations
    # then the comment is not among the fields discipline inspection may read
    assert found["demo-discipline"] and all(
        "Evaluation.comment" not in e.allowed for e in found["demo-discipline"])
    # twin: the org department may read it
    assert all("Evaluation.comment" in e.allowed for e in found["demo-org"])
