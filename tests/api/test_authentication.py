"""Authentication: no, bad or expired bearer tokens answer 401 UNAUTHENTICATED."""

import pytest

from api.settings import DEVELOPMENT_SECRET, Settings

QUERY = {"query": "{ me { username } }"}


async def test_request_without_token_is_unauthenticated(client):
    response = await client.post("/graphql", json=QUERY)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic abc", "Bearer ", "Token x.y.z"])
async def test_malformed_token_is_unauthenticated(client, header):
    response = await client.post("/graphql", json=QUERY, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_token_is_unauthenticated(client, token):
    headers = {"Authorization": f"Bearer {token('demo-org', -10)}"}
    response = await client.post("/graphql", json=QUERY, headers=headers)
    assert response.status_code == 401


async def test_token_signed_with_another_secret_is_unauthenticated(client, settings):
    from api.auth import TokenSubject, issue_token

    forged = issue_token(settings.model_copy(update={"jwt_secret": "x" * 40}), TokenSubject(1, 1))
    response = await client.post("/graphql", json=QUERY,
                                 headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_token_of_unknown_user_is_unauthenticated(client, token):
    response = await client.post("/graphql", json=QUERY,
                                 headers={"Authorization": f"Bearer {token('nobody')}"})
    assert response.status_code == 401


async def test_valid_token_is_accepted(as_user):
    body = await as_user("demo-org")("{ me { username } }")
    assert body["status"] == 200
    assert body["data"]["me"]["username"] == "demo-org"


async def test_ide_page_needs_no_token(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_production_refuses_the_development_secret():
    with pytest.raises(ValueError, match="CADRE_JWT_SECRET"):
        Settings(env="production", jwt_secret=DEVELOPMENT_SECRET)


def test_production_accepts_a_real_secret():
    assert Settings(env="production", jwt_secret="s" * 48).env == "production"


def test_a_remembered_token_is_refused_once_it_expires(settings):
    import time

    from starlette.authentication import AuthenticationError

    from api.auth import TokenSubject, VerifiedTokens, issue_token

    tokens = VerifiedTokens(settings)
    token = issue_token(settings, TokenSubject(1, 1), ttl_seconds=1)
    assert tokens.subject(token) == TokenSubject(1, 1)
    assert tokens.subject(token) == TokenSubject(1, 1)  # from memory
    time.sleep(1.1)
    with pytest.raises(AuthenticationError):
        tokens.subject(token)
