"""OpenID Connect sign-in: access tokens of a configured issuer, verified by the keys its
discovery document points to, served here by a real HTTP server on a local port."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from sqlalchemy import text

from api.app import create_app
from api.auth import INVALID_TOKEN
from api.settings import Settings

ME = {"query": "{ me { username roles { role } } }"}
AUDIENCE = "cadre-api"


class Provider:
    """An identity provider's public face: discovery document and JWK set, over HTTP."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}  # kid -> private key, published in the JWK set
        self.jwks_requests = 0
        self.down = False  # answers 503 to every request
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if provider.down:
                    provider.jwks_requests += self.path.endswith("/certs")
                    self.send_error(503)
                    return
                if self.path == "/realms/cadres/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.jwks_url}
                elif self.path == "/realms/cadres/certs":
                    provider.jwks_requests += 1
                    body = provider.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server.server_address[1]}/realms/cadres"
        self.issuer, self.jwks_url = base, base + "/certs"

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, private in self.keys.items():
            algorithm = RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
            jwk = algorithm.to_jwk(private.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig"})
        return {"keys": keys}

    def publish(self, kid: str, private: Any) -> None:
        self.keys[kid] = private

    def token(self, private: Any, kid: str, username: str = "demo-org", **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": AUDIENCE, "sub": "f3a1", "iat": now,
                   "exp": now + 300, "preferred_username": username, **claims}
        algorithm = "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
        return jwt.encode(payload, private, algorithm=algorithm, headers={"kid": kid})


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


RSA_KEY = rsa_key()
EC_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    provider = Provider()
    provider.publish("rsa-1", RSA_KEY)
    provider.publish("ec-1", EC_KEY)
    thread = threading.Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.fixture(scope="module")
async def oidc_client(settings: Settings, provider: Provider) -> Any:
    """The application configured for the provider by discovery; unknown key ids may
    fetch the JWK set again at most every 0.5 s."""
    configured = settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_audience": AUDIENCE,
        "oidc_jwks_refresh_seconds": 0.5, "oidc_leeway_seconds": 0})
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def _me(client: httpx.AsyncClient, bearer: str) -> httpx.Response:
    return await client.post("/graphql", json=ME, headers={"Authorization": f"Bearer {bearer}"})


def _refused(response: httpx.Response) -> bool:
    error = response.json()["errors"][0]
    return (response.status_code == 401 and error["extensions"]["code"] == "UNAUTHENTICATED"
            and error["message"] == INVALID_TOKEN)


async def test_a_valid_rs256_access_token_signs_in_the_account_its_claim_names(
        oidc_client, provider):
    response = await _me(oidc_client, provider.token(RSA_KEY, "rsa-1"))
    assert response.status_code == 200
    me = response.json()["data"]["me"]
    assert me["username"] == "demo-org"
    assert {"role": "ORG"} in me["roles"]


async def test_a_valid_es256_access_token_is_accepted(oidc_client, provider):
    response = await _me(oidc_client, provider.token(EC_KEY, "ec-1", username="demo-cadre"))
    assert response.status_code == 200
    assert response.json()["data"]["me"]["username"] == "demo-cadre"


async def test_the_built_in_tokens_still_work_beside_the_provider(oidc_client, token):
    response = await _me(oidc_client, token("demo-discipline"))
    assert response.status_code == 200
    assert response.json()["data"]["me"]["username"] == "demo-discipline"


async def test_an_expired_access_token_is_refused(oidc_client, provider):
    past = int(time.time()) - 600
    assert _refused(await _me(oidc_client, provider.token(RSA_KEY, "rsa-1", iat=past - 300,
                                                          exp=past)))


@pytest.mark.parametrize("claims", [{"aud": "another-client"}, {"aud": None}])
async def test_an_access_token_for_another_audience_is_refused(oidc_client, provider, claims):
    bearer = provider.token(RSA_KEY, "rsa-1", **claims)
    if claims["aud"] is None:  # no audience at all
        payload = jwt.decode(bearer, options={"verify_signature": False})
        del payload["aud"]
        bearer = jwt.encode(payload, RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert _refused(await _me(oidc_client, bearer))


async def test_an_access_token_of_another_issuer_is_refused(oidc_client, provider):
    bearer = provider.token(RSA_KEY, "rsa-1", iss="http://127.0.0.1:1/realms/other")
    assert _refused(await _me(oidc_client, bearer))


async def test_a_token_signed_by_a_key_the_provider_does_not_publish_is_refused(
        oidc_client, provider):
    # given a burst of tokens signed by unknown keys under made-up key ids
    stranger = rsa_key()
    await _me(oidc_client, provider.token(RSA_KEY, "rsa-1"))  # the set is in the cache
    before = provider.jwks_requests
    answers = [await _me(oidc_client, provider.token(stranger, f"made-up-{n}"))
               for n in range(5)]
    # then each is refused, and the provider was asked again at most once
    assert all(_refused(answer) for answer in answers)
    assert provider.jwks_requests - before <= 1
    # and a forged token reusing a published key id fails its signature
    assert _refused(await _me(oidc_client, provider.token(stranger, "rsa-1")))


async def test_a_rotated_key_is_fetched_once_its_key_id_appears(oidc_client, provider):
    # given the provider rotates to a new key after the set was cached
    await _me(oidc_client, provider.token(RSA_KEY, "rsa-1"))
    rotated = rsa_key()
    provider.publish("rsa-2", rotated)
    time.sleep(0.55)  # the refresh interval of this server
    # when a token signed with the new key arrives, then the set is fetched again and it works
    response = await _me(oidc_client, provider.token(rotated, "rsa-2", username="demo-admin"))
    assert response.status_code == 200
    assert response.json()["data"]["me"]["username"] == "demo-admin"
    # and once that key is withdrawn, a new token signed with it is refused
    del provider.keys["rsa-2"]
    time.sleep(0.55)
    await _me(oidc_client, provider.token(rotated, "rsa-3"))  # an unknown kid: refetch
    assert _refused(await _me(oidc_client, provider.token(rotated, "rsa-2",
                                                          username="demo-org-county")))


async def test_while_the_provider_is_down_cached_keys_work_and_it_is_asked_once(
        oidc_client, provider):
    # given the provider's keys cached, then the provider failing
    await _me(oidc_client, provider.token(RSA_KEY, "rsa-1"))
    stranger = rsa_key()
    bearers = [provider.token(stranger, f"new-{n}") for n in range(3)]
    provider.down = True
    time.sleep(0.55)
    before = provider.jwks_requests
    try:
        # when tokens under unknown key ids keep coming, then each is refused and the
        # provider was asked once (every later one is refused from the cache at once)
        answers = [await _me(oidc_client, bearer) for bearer in bearers]
        assert all(_refused(answer) for answer in answers)
        assert provider.jwks_requests - before == 1
        # and a token under a cached key still works
        response = await _me(oidc_client, provider.token(EC_KEY, "ec-1", username="demo-cadre"))
        assert response.status_code == 200
    finally:
        provider.down = False
    # once it answers again, a rotated key is fetched after the refresh interval
    time.sleep(0.55)
    rotated = rsa_key()
    provider.publish("rsa-4", rotated)
    assert (await _me(oidc_client, provider.token(rotated, "rsa-4"))).status_code == 200


async def test_an_unsigned_token_is_refused(oidc_client, provider):
    payload = jwt.decode(provider.token(RSA_KEY, "rsa-1"), options={"verify_signature": False})
    unsigned = jwt.encode(payload, None, algorithm="none", headers={"kid": "rsa-1"})
    assert unsigned.endswith(".")
    assert _refused(await _me(oidc_client, unsigned))


async def test_a_token_hmac_signed_with_the_public_key_is_refused(oidc_client, provider):
    # the confusion attack: the public key (which anyone may fetch) used as an HS256 secret
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    payload = jwt.decode(provider.token(RSA_KEY, "rsa-1"), options={"verify_signature": False})
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    # signed by hand: PyJWT's encode itself refuses a PEM key as an HMAC secret
    signing = jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256)
    segments = [jwt.utils.base64url_encode(json.dumps(part).encode())
                for part in (header, payload)]
    signature = signing.sign(b".".join(segments), public_pem)
    bearer = b".".join([*segments, jwt.utils.base64url_encode(signature)]).decode()
    assert jwt.get_unverified_header(bearer)["alg"] == "HS256"
    assert _refused(await _me(oidc_client, bearer))


async def test_a_token_without_the_username_claim_is_refused(oidc_client, provider):
    payload = jwt.decode(provider.token(RSA_KEY, "rsa-1"), options={"verify_signature": False})
    del payload["preferred_username"]
    bearer = jwt.encode(payload, RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert _refused(await _me(oidc_client, bearer))


async def test_a_token_naming_no_account_here_is_refused(oidc_client, provider):
    assert _refused(await _me(oidc_client, provider.token(RSA_KEY, "rsa-1",
                                                          username="stranger")))


async def test_a_deactivated_accounts_access_token_is_refused(oidc_client, provider, account,
                                                              database):
    username = await account("oidc-leaver", [("org", 2)])
    bearer = provider.token(RSA_KEY, "rsa-1", username=username)
    assert (await _me(oidc_client, bearer)).status_code == 200
    async with database.begin() as connection:
        await connection.execute(text("UPDATE users SET active = :no WHERE username = :name"),
                                 {"no": False, "name": username})
    assert _refused(await _me(oidc_client, bearer))


async def test_an_explicit_jwks_url_needs_no_discovery(settings, provider):
    configured = settings.model_copy(update={
        "oidc_issuer": "https://idp.invalid/realms/cadres", "oidc_audience": AUDIENCE,
        "oidc_jwks_url": provider.jwks_url})
    app = create_app(configured)
    now = int(time.time())
    bearer = jwt.encode({"iss": "https://idp.invalid/realms/cadres", "aud": AUDIENCE,
                         "exp": now + 60, "preferred_username": "demo-org"},
                        EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await _me(http, bearer)).status_code == 200


async def test_an_unreachable_provider_refuses_its_tokens_without_a_fault(settings):
    configured = settings.model_copy(update={
        "oidc_issuer": "http://127.0.0.1:1/realms/cadres", "oidc_audience": AUDIENCE})
    app = create_app(configured)
    now = int(time.time())
    bearer = jwt.encode({"iss": "http://127.0.0.1:1/realms/cadres", "aud": AUDIENCE,
                         "exp": now + 60, "preferred_username": "demo-org"},
                        RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert _refused(await _me(http, bearer))


@pytest.mark.parametrize("update, message", [
    ({"oidc_issuer": "https://idp.example/realms/c"}, "CADRE_OIDC_AUDIENCE"),
    ({"oidc_issuer": "cadre-records", "oidc_audience": "a"}, "must differ"),
    ({"oidc_issuer": "http://idp.example/realms/c", "oidc_audience": "a",
      "env": "production", "jwt_secret": "s" * 40}, "https://"),
])
def test_settings_refuse_an_incomplete_or_insecure_provider(update, message):
    with pytest.raises(ValueError, match=message):
        Settings(**update)
