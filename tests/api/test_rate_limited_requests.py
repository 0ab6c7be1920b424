"""Requests beyond a caller's rate limit answer 429 RATE_LIMITED with a retry hint."""

import httpx

from api.app import create_app

QUERY = {"query": "{ me { username } }"}


async def test_a_user_beyond_his_limit_is_told_when_to_retry_and_others_are_not(
        settings, token):
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 3,
                                                 "redis_url": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            org = {"Authorization": f"Bearer {token('demo-org')}"}
            answers = [await http.post("/graphql", json=QUERY, headers=org) for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            refused = answers[-1]
            assert int(refused.headers["Retry-After"]) >= 1
            error = refused.json()["errors"][0]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert error["extensions"]["retryAfter"] >= 1
            other = {"Authorization": f"Bearer {token('demo-discipline')}"}
            assert (await http.post("/graphql", json=QUERY, headers=other)).status_code == 200
            # Refusals of bad tokens are not counted against anyone.
            bad = {"Authorization": "Bearer nope"}
            assert (await http.post("/graphql", json=QUERY, headers=bad)).status_code == 401
