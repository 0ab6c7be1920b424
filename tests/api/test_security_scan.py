"""The checks a GraphQL security scanner (graphql-cop) makes, run against the application in
production and in development mode with default settings.

Each check sends what the scanner sends and reports a finding on the same condition. In
production no check may find anything; in development only the IDE and introspection,
which are on there by choice.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.test_http import PRODUCTION_SECRET, serving

Check = Callable[[httpx.AsyncClient, dict[str, str]], Any]


async def post(http: httpx.AsyncClient, headers: dict[str, str], query: str) -> Any:
    response = await http.post("/graphql", headers=headers,
                               json={"query": query, "operationName": "cop"})
    return response.json()


def data(body: Any) -> Any:
    return body.get("data") if isinstance(body, dict) else None


async def alias_overloading(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    aliases = " ".join(f"alias{i}: __typename" for i in range(101))
    return bool((data(await post(http, headers, f"query cop {{ {aliases} }}")) or {})
                .get("alias100"))


async def batching(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    response = await http.post("/graphql", headers=headers,
                               json=[{"query": "query cop { __typename }"}] * 10)
    body = response.json()
    return isinstance(body, list) and len(body) >= 10


async def circular_introspection(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    query = ("query cop { __schema { types { fields { type { fields { type { fields { type {"
             " fields { type { name } } } } } } } } } } }")
    types = ((data(await post(http, headers, query)) or {}).get("__schema") or {}).get("types")
    return bool(types) and len(types) > 25


async def directive_overloading(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    body = await post(http, headers, "query cop { __typename " + "@aa" * 10 + " }")
    return len(body.get("errors") or []) == 10


async def field_duplication(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    body = await post(http, headers, "query cop { " + "__typename \n" * 500 + "} ")
    return bool((data(body) or {}).get("__typename"))


async def field_suggestions(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    body = await post(http, headers, "query cop { __schema { directive } }")
    return any("Did you mean" in e.get("message", "") for e in body.get("errors") or [])


async def get_mutation(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    response = await http.get("/graphql", params={"query": "mutation cop {__typename}"},
                              headers=headers)
    return bool((data(response.json()) or {}).get("__typename"))


async def get_query(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    response = await http.get("/graphql", params={"query": "query cop {__typename}"},
                              headers=headers)
    return bool((data(response.json()) or {}).get("__typename"))


async def ide(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    response = await http.get("/graphql", headers={**headers, "Accept": "text/html"})
    return any(word in response.text for word in ("graphiql-assets", "GraphQL Playground",
                                                  "GraphiQL", "graphql-playground"))


async def introspection(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    body = await post(http, headers, "query cop { __schema { types { name fields { name } } } }")
    return bool(((data(body) or {}).get("__schema") or {}).get("types"))


async def form_post(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    response = await http.post("/graphql", headers=headers,
                               data={"query": "query cop { __typename }"})
    try:
        return bool((data(response.json()) or {}).get("__typename"))
    except ValueError:
        return False


async def tracing(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    body = await post(http, headers, "query cop { __typename }")
    return "tracing" in str(body.get("extensions") or "") or any(
        "tracing" in (e.get("extensions") or {}) for e in body.get("errors") or [])


async def unhandled_error(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    body = await post(http, headers, "qwerty cop { abc }")
    return any("exception" in (e.get("extensions") or {}) for e in body.get("errors") or [])


CHECKS: dict[str, Check] = {
    "alias overloading": alias_overloading, "batching": batching,
    "circular introspection": circular_introspection,
    "directive overloading": directive_overloading, "field duplication": field_duplication,
    "field suggestions": field_suggestions, "GET mutation": get_mutation,
    "GET query": get_query, "IDE": ide, "introspection": introspection,
    "form-encoded POST": form_post, "tracing": tracing, "unhandled error": unhandled_error,
}


async def findings(http: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    return {name for name, check in CHECKS.items() if await check(http, headers)}


@pytest.mark.parametrize("role", ["demo-org", "demo-cadre", "demo-admin"])
async def test_a_production_server_gives_the_scanner_no_finding(settings, token, role):
    production = settings.model_copy(update={"env": "production",
                                             "jwt_secret": PRODUCTION_SECRET})
    headers = {"Authorization": f"Bearer {token(role, signed_by=production)}"}
    async with serving(settings, env="production", jwt_secret=PRODUCTION_SECRET) as http:
        assert await findings(http, headers) == set()


async def test_a_development_server_shows_only_the_ide_and_introspection(settings, token):
    headers = {"Authorization": f"Bearer {token('demo-org')}"}
    async with serving(settings, env="development") as http:
        assert await findings(http, headers) == {"IDE", "introspection"}
