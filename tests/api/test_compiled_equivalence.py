"""The compiled read path answers exactly what the resolver path answers.

Hypothesis generates queries over the schema (fields, aliases, named and inline
fragments, arguments, variables, ``@include``/``@skip``, a few fields the compiler does
not cover so the fallback is exercised too); every demo role runs each of them on both
paths of one schema in process, and the answers (data, errors, audited reads) must be
identical. Generation is derandomized, so every run checks the same queries.
"""

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from api.app import GraphQLEndpoint
from api.auth import TokenUser, subject_of
from api.compiler import RUNS
from api.principals import Principals
from api.reads import ReadLog
from db.uow import UnitOfWork

ACCOUNTS = ("demo-org", "demo-org-county", "demo-discipline", "demo-cadre", "demo-admin")
QUERIES_PER_ROLE = 500

CADRE_LEAVES = ("id", "name", "gender", "birthDate", "idNumber", "phone", "position", "rank",
                "leadershipRole", "status", "version", "__typename")
OBJECTS = {
    "unit": ("id", "code", "name", "kind", "__typename"),
    "labels": ("code", "title", "gloss"),
    "evaluations": ("id", "year", "period", "grade", "score", "comment", "finalised",
                    "__typename"),
    "findings": ("id", "source", "description", "evidence", "informant", "status",
                 "version", "reportedAt", "concludedAt", "item { code title gloss category }"),
}
#: Selections the compiler does not cover: their operations take the resolver path.
UNCOVERED = ("unit { parent { code } }", "evaluations { dimensionScores { work } }",
             "evaluations { sources }")
ENUMS = {"status": ("SERVING", "REMOVED", "AWAITING_POST"),
         "leadershipRole": ("PRINCIPAL", "DEPUTY", "MEMBER")}


class RecordedReads(ReadLog):
    """The read log, keeping what it wrote for the comparison."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[Any] = []

    def events(self) -> Any:
        found = list(super().events())
        self.written.extend(found)
        return iter(found)

    def recorded(self, record_type: str, record_ids: list[int], fields: list[str]) -> None:
        self.written.append((record_type, record_ids, fields))


@st.composite
def _directive(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(("", "", "", " @skip(if: $skip)", " @include(if: $skip)",
                                 " @include(if: true)", " @skip(if: true)")))


@st.composite
def _aliased(draw: st.DrawFn, name: str) -> str:
    word = name.split(" ")[0]
    alias = draw(st.sampled_from(("", "", "", f"the_{word}: ")))
    if word in ("__typename", "..."):
        alias = ""
    return f"{alias}{name}{draw(_directive())}"


@st.composite
def _object_selection(draw: st.DrawFn, name: str) -> str:
    leaves = draw(st.lists(st.sampled_from(OBJECTS[name]), min_size=1, max_size=4,
                           unique=True))
    return f"{name} {{ {' '.join(leaves)} }}"


@st.composite
def cadre_selection(draw: st.DrawFn) -> str:
    parts = [draw(_aliased(leaf)) for leaf in draw(st.lists(
        st.sampled_from(CADRE_LEAVES), min_size=1, max_size=5, unique=True))]
    for name in draw(st.lists(st.sampled_from(sorted(OBJECTS)), max_size=3, unique=True)):
        parts.append(draw(_aliased(draw(_object_selection(name)))))
    shape = draw(st.sampled_from(("plain", "plain", "inline", "spread")))
    if shape == "inline":
        parts = [f"... on Cadre{draw(_directive())} {{ {' '.join(parts)} }}", "id"]
    elif shape == "spread":
        parts = ["...Extra", *parts[:1]]
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from(UNCOVERED)))
    return " ".join(parts)


@st.composite
def _cadres_arguments(draw: st.DrawFn) -> str:
    arguments = [draw(st.sampled_from(("first: 3", "first: 0", "first: $n", "first: 7",
                                       "first: 5", "first: -1", "")))]
    after = draw(st.sampled_from(("", "", "", 'after: "Y2FkcmU6MTA="', 'after: "bad"')))
    filters = []
    if draw(st.booleans()):
        filters.append(f'unitId: "{draw(st.integers(1, 12))}"')
        filters.append(draw(st.sampled_from(("", "includeSubunits: false"))))
    for name, values in ENUMS.items():
        if draw(st.integers(0, 3)) == 0:
            filters.append(f"{name}: {draw(st.sampled_from(values))}")
    if draw(st.integers(0, 4)) == 0:
        filters.append(f'search: "{draw(st.sampled_from(("金", "局", " ", "%", "_")))}"')
    filters = [f for f in filters if f]
    given = [a for a in (*arguments, after) if a]
    if filters:
        given.append(f"filter: {{ {', '.join(filters)} }}")
    return f"({', '.join(given)})" if given else ""


@st.composite
def root_field(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("cadres", "cadres", "cadres", "cadre", "cadre",
                                 "negativeList", "__typename")))
    if kind == "cadres":
        parts = []
        for part in draw(st.lists(st.sampled_from(("totalCount", "pageInfo", "edges",
                                                   "__typename")), min_size=1,
                                  max_size=3, unique=True)):
            if part == "pageInfo":
                part = "pageInfo { hasNextPage endCursor }"
            elif part == "edges":
                part = f"edges {{ cursor node {{ {draw(cadre_selection())} }} }}"
            parts.append(draw(_aliased(part)))
        return f"cadres{draw(_cadres_arguments())}{draw(_directive())} {{ {' '.join(parts)} }}"
    if kind == "cadre":
        target = draw(st.sampled_from(('"27"', '"1"', '"2"', "$id", '"99999"', '"5"', '"x"')))
        return f"cadre(id: {target}) {{ {draw(cadre_selection())} }}"
    if kind == "negativeList":
        leaves = draw(st.lists(st.sampled_from(("code", "title", "gloss", "category")),
                               min_size=1, max_size=4, unique=True))
        return f"negativeList {{ {' '.join(leaves)} }}"
    return "__typename"


@st.composite
def operation(draw: st.DrawFn) -> str:
    roots = draw(st.lists(root_field(), min_size=1, max_size=2))
    body = " ".join(f"r{index}: {root}" for index, root in enumerate(roots))
    fragment = "fragment Extra on Cadre { name evaluations { year comment } }"
    used = {name: kind for name, kind in (("n", "Int!"), ("skip", "Boolean!"), ("id", "ID!"))
            if f"${name}" in body}
    declared = ", ".join(f"${name}: {kind}" for name, kind in used.items())
    header = f"query Generated({declared})" if declared else "query Generated"
    return f"{header} {{ {body} }}" + (f" {fragment}" if "...Extra" in body else "")


def _queries() -> list[str]:
    found: dict[str, None] = {}

    @settings(max_examples=3 * QUERIES_PER_ROLE, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(operation())
    def collect(query: str) -> None:
        found[query] = None

    collect()
    return list(found)[:QUERIES_PER_ROLE]


QUERIES = _queries()
VARIABLES = {"n": 4, "skip": True, "id": "27"}


def _endpoint(app: Any) -> GraphQLEndpoint:
    return next(route.endpoint for route in app.routes if getattr(route, "path", "")
                == "/graphql")


async def _answer(endpoint: GraphQLEndpoint, caller: Any, query: str,
                  plans: bool) -> tuple[Any, ...]:
    services = endpoint.services
    assert services is not None
    request = Request({"type": "http", "method": "POST", "path": "/graphql", "headers": []})
    async with UnitOfWork(services.sessions, deferred=True) as uow:
        context = await endpoint._context(request, uow, caller)
        context.settings = services.settings.model_copy(update={"sql_plans": plans})
        context.reads = RecordedReads()
        result = await endpoint.schema.execute(query, variable_values=VARIABLES,
                                               context_value=context,
                                               operation_name="Generated")
    data = orjson.loads(orjson.dumps(result.data))
    errors = [error.formatted for error in result.errors or ()]
    return data, errors, context.reads.written


@pytest.fixture(scope="module")
async def served(settings: Any) -> Any:
    from api.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield _endpoint(app)


def test_the_generator_yields_distinct_queries_of_every_kind() -> None:
    assert len(set(QUERIES)) == QUERIES_PER_ROLE
    for part in ("...Extra", "... on Cadre", "@skip", "@include", "$n", "filter:",
                 "negativeList", "cadre(id:", "the_", "reportedAt", "sources"):
        assert any(part in query for query in QUERIES), part


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_compiled_and_resolver_paths_answer_alike(served, account, database_url):
    endpoint = served
    async with UnitOfWork(endpoint.services.sessions) as uow:
        subject = await subject_of(uow.session, account)
        assert subject is not None
        # Read in this transaction: nothing left to prove.
        caller = await Principals().resolve(uow.session, TokenUser(subject))
        assert caller is not None and caller.check is None
    compiled_reads = 0
    planned = RUNS["planned"]
    for query in QUERIES:
        compiled = await _answer(endpoint, caller, query, plans=True)
        resolved = await _answer(endpoint, caller, query, plans=False)
        assert compiled == resolved, query
        compiled_reads += bool(compiled[2])
    # Most operations ran on plans, and audited reads were compared.
    assert RUNS["planned"] - planned > QUERIES_PER_ROLE * 0.3
    if account in ("demo-org", "demo-discipline"):
        assert compiled_reads > 0
