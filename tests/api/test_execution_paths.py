"""The short query path answers exactly what graphql-core's general executor answers."""

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app

ACCOUNTS = ("demo-org", "demo-org-county", "demo-discipline", "demo-cadre", "demo-admin")

CORPUS = [
    ("""{ cadres(first: 30) { totalCount pageInfo { hasNextPage endCursor }
         edges { cursor node { id name gender birthDate idNumber phone position rank
           leadershipRole status version unit { id code name kind parent { name } }
           labels { code title gloss }
           evaluations { id year period grade score sources comment finalised
                         dimensionScores { work conduct results } }
           findings { id item { code title } source description evidence informant status
                      reportedAt verificationStartedAt concludedAt version } } } } }""", {}),
    ("""query Aliased($n: Int!, $skip: Boolean!) {
         first: cadres(first: $n) { edges { node { who: name ...Grades } } }
         again: cadres(first: 2, filter: {leadershipRole: PRINCIPAL}) {
           totalCount edges { node { __typename id ... on Cadre { post: position } } } }
         hidden: cadres(first: 1) @skip(if: $skip) { totalCount }
         shown: cadres(first: 1) @include(if: $skip) { totalCount } }
       fragment Grades on Cadre { evaluations { year grade comment __typename } }""",
     {"n": 5, "skip": True}),
    ("""{ me { username roles { role unit { id name children { code } } }
         cadre { id name idNumber evaluations { year comment } findings { evidence } } } }""",
     {}),
    ("""{ units { id code name kind parent { code } children { code } } unit(id: "2") { name } }""",
     {}),
    ("""{ negativeList { code title gloss category } users { username displayName active
         roles { role unit { code } } } }""", {}),
    ("""{ cadre(id: "abc") { id } }""", {}),
    ("""{ cadres(first: 1000) { totalCount } }""", {}),
    ("""{ ok: cadres(first: 1) { totalCount } bad: cadres(first: -1) { totalCount } }""", {}),
    ("""query One($id: ID!) { cadre(id: $id) { id name findings { informant } } }""",
     {"id": "1"}),
    ("""{ cadres(first: 3, after: "bm90LWEtY3Vyc29y") { totalCount } }""", {}),
    ("""{ __typename __schema { queryType { name } } __type(name: "Cadre") {
         name fields { name type { kind name ofType { name } } } } }""", {}),
]


@pytest.fixture(scope="module")
async def general_client(settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"compiled_execution": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize(("query", "variables"), CORPUS,
                         ids=[f"q{i}" for i in range(len(CORPUS))])
async def test_short_path_answers_as_graphql_core(client, general_client, token, account,
                                                  query, variables):
    headers = {"Authorization": f"Bearer {token(account)}"}
    request = {"query": query, "variables": variables}
    short = await client.post("/graphql", json=request, headers=headers)
    general = await general_client.post("/graphql", json=request, headers=headers)
    assert short.status_code == general.status_code
    assert short.json() == general.json()
