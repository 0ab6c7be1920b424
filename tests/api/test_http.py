"""GraphQL over HTTP: size limits, media types, methods, the IDE, security headers, CORS,
the request deadline and introspection, each allowed at its limit and refused beyond it."""

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.api.test_mutations import CREATE, cadre_input

ME = {"query": "{ me { username } }"}
GRAPHQL_RESPONSE = "application/graphql-response+json"
PRODUCTION_SECRET = "p" * 40


@asynccontextmanager
async def serving(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the application with ``overrides`` on the test settings."""
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture
def bearer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('demo-org')}"}


def code_of(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


# -- bodies --------------------------------------------------------------------------------

def body_of(size: int) -> bytes:
    """A JSON operation padded with spaces to exactly ``size`` bytes."""
    prefix = b'{"query": "{ me { username } }"'
    return prefix + b" " * (size - len(prefix) - 1) + b"}"


async def test_a_body_at_the_size_limit_is_read(settings, bearer):
    async with serving(settings, max_body_bytes=2048) as http:
        padded = body_of(2048)
        assert len(padded) == 2048
        response = await http.post("/graphql", content=padded,
                                   headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["username"] == "demo-org"


async def test_a_body_over_the_size_limit_is_refused_unread(settings, bearer):
    async with serving(settings, max_body_bytes=2048) as http:
        padded = body_of(2049)
        response = await http.post("/graphql", content=padded,
                                   headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"] == {
        "code": "PAYLOAD_TOO_LARGE", "measure": "body", "limit": 2048}


async def test_a_streamed_body_over_the_limit_is_refused(settings, bearer):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        for _ in range(64):
            yield b"x" * 1024

    async with serving(settings, max_body_bytes=4096) as http:
        response = await http.post("/graphql", content=chunks(),
                                   headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 413 and code_of(response) == "PAYLOAD_TOO_LARGE"


async def test_variables_over_their_limit_are_refused(settings, bearer):
    async with serving(settings, max_variables_bytes=256) as http:
        at_limit = await http.post("/graphql", headers=bearer, json={
            **ME, "variables": {"v": "x" * (256 - 8)}})
        over = await http.post("/graphql", headers=bearer, json={
            **ME, "variables": {"v": "x" * (256 - 7)}})
    assert at_limit.status_code == 200
    assert over.status_code == 413 and code_of(over) == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("body", [b"null", b"1", b'"x"', b"true", b"[]",
                                  b'[{"query": "{ __typename }"}]'])
async def test_a_body_that_is_not_one_operation_object_is_a_bad_request(client, bearer, body):
    response = await client.post("/graphql", content=body,
                                 headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"


async def test_a_body_that_is_not_json_is_a_bad_request(client, bearer):
    response = await client.post("/graphql", content=b"{query",
                                 headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 400 and code_of(response) == "BAD_REQUEST"


async def test_a_form_encoded_post_is_refused(client, bearer):
    response = await client.post("/graphql", data={"query": "{ me { username } }"},
                                 headers=bearer)
    assert response.status_code == 415 and code_of(response) == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("field, value", [("query", 1), ("variables", "x"),
                                          ("operationName", []), ("extensions", 2)])
async def test_ill_typed_parameters_are_a_bad_request(client, bearer, field, value):
    response = await client.post("/graphql", headers=bearer, json={**ME, field: value})
    assert response.status_code == 400 and code_of(response) == "BAD_REQUEST"


# -- media types ---------------------------------------------------------------------------

async def test_the_graphql_media_type_is_answered_when_accepted(client, bearer):
    response = await client.post("/graphql", headers={**bearer, "Accept": GRAPHQL_RESPONSE},
                                 json=ME)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_request_errors_under_the_graphql_media_type_are_400_without_data(client,
                                                                                bearer):
    for query, code in (("{", "GRAPHQL_PARSE_FAILED"),
                        ("{ nothingHere }", "GRAPHQL_VALIDATION_FAILED")):
        response = await client.post("/graphql", json={"query": query},
                                     headers={**bearer, "Accept": GRAPHQL_RESPONSE})
        assert response.status_code == 400
        assert "data" not in response.json()
        assert code_of(response) == code


async def test_request_errors_under_plain_json_are_200_with_a_code(client, bearer):
    response = await client.post("/graphql", json={"query": "{"}, headers=bearer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert code_of(response) == "GRAPHQL_PARSE_FAILED"


# -- methods -------------------------------------------------------------------------------

async def test_query_text_by_get_is_refused(client, bearer):
    response = await client.get("/graphql", params={"query": "{ me { username } }"},
                                headers=bearer)
    assert response.status_code == 405 and code_of(response) == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_refused_in_json(client, bearer, method):
    response = await client.request(method, "/graphql", headers=bearer, json=ME)
    assert response.status_code == 405 and code_of(response) == "METHOD_NOT_ALLOWED"


async def registered(as_user, query: str, name: str) -> str:
    admin = as_user("demo-admin")
    body = await admin("""mutation R($q: String!, $n: String!) {
      registerPersistedOperation(input: {name: $n, query: $q}) { operation { id } } }""",
                       q=query, n=name)
    assert not body.get("errors"), body
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(sha256: str) -> dict[str, str]:
    return {"extensions": f'{{"persistedQuery": {{"version": 1, "sha256Hash": "{sha256}"}}}}'}


async def test_a_persisted_query_runs_by_get(client, bearer, as_user):
    sha256 = await registered(as_user, "query WhoAmI { me { username } }", "who-am-i")
    response = await client.get("/graphql", params=persisted(sha256),
                                headers={**bearer, "Accept": "text/html, */*"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["username"] == "demo-org"


async def test_a_persisted_mutation_by_get_is_refused(client, bearer, as_user, count_rows):
    mutation = 'mutation Touch { addUnitGrade: __typename }'
    sha256 = await registered(as_user, mutation, "a-mutation")
    before = await count_rows("audit_events")
    response = await client.get("/graphql", params=persisted(sha256), headers=bearer)
    assert response.status_code == 405 and code_of(response) == "METHOD_NOT_ALLOWED"
    assert await count_rows("audit_events") == before


async def test_an_unknown_persisted_hash_is_not_found(client, bearer):
    response = await client.get("/graphql", params=persisted("a" * 64), headers=bearer)
    assert response.status_code == 404 and code_of(response) == "PERSISTED_QUERY_NOT_FOUND"


# -- the IDE and the headers ---------------------------------------------------------------

async def test_the_ide_is_served_to_a_browser_opening_the_endpoint(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src


async def test_a_get_with_graphql_parameters_is_not_given_the_ide(client, bearer):
    response = await client.get("/graphql", params=persisted("b" * 64),
                                headers={**bearer, "Accept": "text/html"})
    assert response.headers["content-type"].startswith("application/json")


async def test_the_ide_is_off_in_production(settings):
    async with serving(settings, env="production", jwt_secret=PRODUCTION_SECRET) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        asset = await http.get("/graphiql-assets/ide.js")
    assert page.headers["content-type"].startswith("application/json")
    assert "GraphiQL" not in page.text
    assert asset.status_code == 404


async def test_api_answers_carry_the_security_headers(client, bearer):
    response = await client.post("/graphql", headers=bearer, json=ME)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


# -- CORS ----------------------------------------------------------------------------------

PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


async def test_no_origin_is_allowed_by_default(client):
    response = await client.options("/graphql", headers={**PREFLIGHT,
                                                          "Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_gets_its_preflight_answered(settings, bearer):
    async with serving(settings, cors_origins=["https://app.example"]) as http:
        preflight = await http.options("/graphql", headers={**PREFLIGHT,
                                                             "Origin": "https://app.example"})
        other = await http.options("/graphql", headers={**PREFLIGHT,
                                                         "Origin": "https://evil.example"})
        answer = await http.post("/graphql", json=ME,
                                 headers={**bearer, "Origin": "https://app.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert answer.headers["access-control-allow-origin"] == "https://app.example"


# -- the deadline --------------------------------------------------------------------------

async def test_a_request_past_its_deadline_answers_timeout_and_writes_nothing(settings, token,
                                                                               count_rows):
    cadres, events = await count_rows("cadres"), await count_rows("audit_events")
    async with serving(settings, request_timeout_seconds=0.0005) as http:
        response = await http.post("/graphql", headers={
            "Authorization": f"Bearer {token('demo-org')}"}, json={
            "query": CREATE, "variables": {"input": cadre_input()}})
    assert response.status_code == 504 and code_of(response) == "TIMEOUT"
    assert await count_rows("cadres") == cadres
    assert await count_rows("audit_events") == events


async def test_a_request_within_its_deadline_is_answered(settings, bearer):
    async with serving(settings, request_timeout_seconds=5) as http:
        response = await http.post("/graphql", headers=bearer, json=ME)
    assert response.status_code == 200


# -- introspection -------------------------------------------------------------------------

INTROSPECT = {"query": "{ __schema { types { name } } }"}


async def test_introspection_can_be_turned_off(settings, bearer):
    async with serving(settings, introspection=False) as http:
        refused = await http.post("/graphql", headers=bearer, json=INTROSPECT)
        plain = await http.post("/graphql", headers=bearer, json=ME)
    assert refused.status_code == 403 and code_of(refused) == "FORBIDDEN"
    assert plain.status_code == 200


async def test_introspection_is_off_by_default_in_production(settings, token):
    async with serving(settings, env="production", jwt_secret=PRODUCTION_SECRET) as http:
        production = settings.model_copy(update={"jwt_secret": PRODUCTION_SECRET})
        headers = {"Authorization": f"Bearer {token('demo-org', signed_by=production)}"}
        refused = await http.post("/graphql", headers=headers, json=INTROSPECT)
        typename = await http.post("/graphql", headers=headers,
                                   json={"query": "{ __typename }"})
    assert code_of(refused) == "FORBIDDEN"
    assert typename.json()["data"] == {"__typename": "Query"}


async def test_deep_introspection_is_refused(client, bearer):
    deep = ("{ __schema { types { fields { type { fields { type { fields { type { name } } } }"
            " } } } } }")
    response = await client.post("/graphql", headers=bearer, json={"query": deep})
    assert code_of(response) == "GRAPHQL_VALIDATION_FAILED"
    assert response.json()["data"] is None


async def test_introspection_through_a_fragment_runs_on_the_callers_view(client, bearer):
    query = "query { ...Types } fragment Types on Query { __schema { types { name } } }"
    response = await client.post("/graphql", headers=bearer, json={"query": query})
    types = {t["name"] for t in response.json()["data"]["__schema"]["types"]}
    assert "Cadre" in types and "PartnerToken" not in types


async def test_a_string_naming_introspection_is_no_introspection(settings, bearer):
    query = '{ cadres(first: 1, filter: {search: "__schema"}) { totalCount } }'
    async with serving(settings, introspection=False) as http:
        response = await http.post("/graphql", headers=bearer, json={"query": query})
    assert response.status_code == 200
    assert response.json()["data"]["cadres"]["totalCount"] == 0
