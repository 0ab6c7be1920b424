"""OpenID Connect access tokens from the organisation's identity provider (e.g. Keycloak).

A token is accepted when it is signed (RS256 or ES256, never HMAC or ``none``) by a key of
the issuer's JWK set, names the configured issuer and audience, is within its lifetime,
and carries the configured username claim. The claim names an account of this database:
accounts and their roles stay here, and a deactivated account is refused as with the
built-in tokens.

The JWK set comes from the explicit ``CADRE_OIDC_JWKS_URL`` or the issuer's discovery
document. PyJWT's ``PyJWKClient`` keeps it for ``CADRE_OIDC_JWKS_CACHE_SECONDS`` and, for a
key id it does not know (a rotation), fetches it again at most once per
``CADRE_OIDC_JWKS_REFRESH_SECONDS``, so tokens with made-up key ids cannot make the server
hammer the provider. After the provider failed to answer, it is not asked again for that
interval either: the cached keys serve, and a token they cannot verify is refused at once.
Fetches block: callers run ``OidcVerifier.verify`` in a thread.
"""

import json
import logging
import threading
import time
import urllib.request
from typing import Any, NamedTuple

import jwt

from api.settings import Settings

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
#: Longest username an account may have (domain.limits: username).
MAX_USERNAME = 64


class OidcIdentity(NamedTuple):
    """Who a verified access token names, and until when it may be used."""

    username: str
    expires_at: float


class TokenRefused(Exception):  # noqa: N818 - a verdict, not a fault
    """The token is not accepted; the caller answers as for every bad credential."""


class ProviderUnavailable(Exception):
    """The discovery document could not be read or does not fit the configured issuer."""


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims, read without verifying it (only to route it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None


class OidcVerifier:
    """Verifies the access tokens of one configured issuer."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_audience
        self.issuer: str = settings.oidc_issuer
        self.audience: str = settings.oidc_audience
        self.claim = settings.oidc_username_claim
        self.algorithms = list(settings.oidc_algorithms)
        self.leeway = settings.oidc_leeway_seconds
        self._settings = settings
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()
        self._failed_at = float("-inf")

    def verify(self, token: str) -> OidcIdentity:
        """The account a valid access token names.

        Raises:
            TokenRefused: for any token not accepted.
        """
        try:
            key = self._signing_key(token)
            claims = jwt.decode(token, key, algorithms=self.algorithms, audience=self.audience,
                                issuer=self.issuer, leeway=self.leeway,
                                options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWKClientConnectionError as fault:
            self._failed_at = time.monotonic()
            log.warning("OIDC: the JWK set could not be fetched: %s", fault)
            raise TokenRefused from None
        except (jwt.PyJWTError, ProviderUnavailable):
            raise TokenRefused from None
        username = claims.get(self.claim)
        if not isinstance(username, str) or not 0 < len(username) <= MAX_USERNAME:
            raise TokenRefused
        return OidcIdentity(username, float(claims["exp"]))

    def _signing_key(self, token: str) -> jwt.PyJWK:
        """The published key the token names by ``kid``. Within the refresh interval after
        the provider failed to answer, only the cached set is read: a provider that hangs
        must not hold a thread per request."""
        client = self._keys()
        if time.monotonic() - self._failed_at >= self._settings.oidc_jwks_refresh_seconds:
            return client.get_signing_key_from_jwt(token)
        cached = client.jwk_set_cache.get() if client.jwk_set_cache is not None else None
        kid = jwt.get_unverified_header(token).get("kid")
        key = (client.match_kid(cached.keys, kid)
               if cached is not None and isinstance(kid, str) else None)
        if key is None:
            raise ProviderUnavailable("the provider failed recently; no cached key")
        return key

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                self._client = jwt.PyJWKClient(
                    self._jwks_url(), lifespan=self._settings.oidc_jwks_cache_seconds,
                    cooldown_duration=self._settings.oidc_jwks_refresh_seconds,
                    timeout=self._settings.oidc_http_timeout_seconds)
            return self._client

    def _jwks_url(self) -> str:
        if self._settings.oidc_jwks_url:
            return self._settings.oidc_jwks_url
        # A provider that is down is asked again only after the refresh interval.
        if time.monotonic() - self._failed_at < self._settings.oidc_jwks_refresh_seconds:
            raise ProviderUnavailable("discovery failed recently")
        try:
            return self._discover()
        except ProviderUnavailable as fault:
            self._failed_at = time.monotonic()
            log.warning("OIDC: discovery at %s failed: %s", self.issuer, fault)
            raise

    def _discover(self) -> str:
        url = self.issuer.rstrip("/") + DISCOVERY_PATH
        try:
            with urllib.request.urlopen(url, timeout=self._settings.oidc_http_timeout_seconds) \
                    as response:
                document: Any = json.load(response)
        except (OSError, ValueError) as fault:
            raise ProviderUnavailable(str(fault)) from None
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise ProviderUnavailable("the discovery document names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ProviderUnavailable("the discovery document has no jwks_uri")
        return jwks_uri
