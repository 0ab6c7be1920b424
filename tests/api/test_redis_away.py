"""With Redis configured but unreachable, requests are served: rate limits fall back to
the server's own budget and the policy version is read from the database."""

from typing import Any

import httpx

from api.app import create_app
from tests.api.test_mutations import CREATE, cadre_input

#: A port where nothing listens (the fault tests' Redis range).
UNREACHABLE_REDIS = "redis://127.0.0.1:56389/0"
QUERY = "{ cadres(first: 1) { totalCount } }"


async def test_queries_and_mutations_are_served_while_redis_is_unreachable(settings, token):
    app = create_app(settings.model_copy(update={"redis_url": UNREACHABLE_REDIS,
                                                  "rate_limit_per_minute": 600}))
    headers = {"Authorization": f"Bearer {token('demo-org')}"}

    async def post(query: str, **variables: Any) -> httpx.Response:
        return await http.post("/graphql", headers=headers,
                               json={"query": query, "variables": variables})

    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://test") as http):
        read = await post(QUERY)
        written = await post(CREATE, input=cadre_input())
        health = (await http.get("/healthz")).json()
    assert read.status_code == 200 and read.json()["data"]["cadres"]["totalCount"] > 0
    assert written.status_code == 200 and written.json()["data"]["createCadre"]["cadre"]["id"]
    assert health["policyChannel"] == "polling"
