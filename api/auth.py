"""Authentication: bearer JWTs for users and partner secrets (``cp_…``) for partner agencies,
told apart by a Starlette backend; the principal is read in the request's transaction.

A user JWT is either a built-in HS256 token (``cadre token issue``, for development and the
demo) or, when an OpenID Connect issuer is configured, that provider's access token
(api.oidc), routed by the issuer it claims and verified by that issuer's keys only.
"""

import asyncio
import time
from datetime import datetime
from typing import Any, NamedTuple

import jwt
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from api.errors import error_body
from api.oidc import OidcIdentity, OidcVerifier, TokenRefused, unverified_issuer
from api.settings import Settings
from authz import tokens
from db.queries import tokens as token_queries
from db.queries import users as user_queries
from domain.principal import PARTNER, Principal

ALGORITHM = "HS256"
#: The one answer to every bad credential: malformed, forged, expired, revoked or unknown.
INVALID_TOKEN = "Invalid or expired token."


class TokenSubject(NamedTuple):
    """What a user token names: the account's immutable id and its token generation."""

    user_id: int
    generation: int


async def subject_of(session: AsyncSession, username: str) -> TokenSubject | None:
    """The subject of a token for the active account ``username``; None if there is none."""
    found = await user_queries.token_subject(session, username)
    return TokenSubject(*found) if found else None


def issue_token(settings: Settings, subject: TokenSubject, ttl_seconds: int | None = None,
                username: str | None = None) -> str:
    """A signed user token for the account ``subject``, valid for ``ttl_seconds``.

    The token names the account by id, never by name alone, so a username given to a new
    account does not inherit old tokens; ``username`` is carried only for reading.
    """
    now = int(time.time())
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims: dict[str, Any] = {"sub": str(subject.user_id), "gen": subject.generation,
                              "iss": settings.jwt_issuer, "iat": now, "exp": now + ttl}
    if username is not None:
        claims["name"] = username
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def read_token(settings: Settings, token: str) -> TokenSubject:
    """The account a valid token names.

    Raises:
        AuthenticationError: for a malformed, forged or expired token (one message for all).
    """
    return _read_claims(settings, token)[0]


def _read_claims(settings: Settings, token: str) -> tuple[TokenSubject, float]:
    """(subject, expiry) of a valid token."""
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM],
                            issuer=settings.jwt_issuer,
                            options={"require": ["exp", "sub", "gen"]})
    except jwt.PyJWTError:
        raise AuthenticationError(INVALID_TOKEN) from None
    subject, generation = claims["sub"], claims["gen"]
    if not (isinstance(subject, str) and subject.isdigit() and type(generation) is int):
        raise AuthenticationError(INVALID_TOKEN)
    return TokenSubject(int(subject), generation), float(claims["exp"])


class VerifiedTokens:
    """Tokens whose signature was verified, until they expire.

    A client sends the same token with every request; checking its signature once
    instead of each time saved about 3% of a roster request (measured). Only the
    exact token string is remembered, and never past its own expiry. Whether the
    account still exists and still accepts the token is read on every request.
    """

    def __init__(self, settings: Settings, size: int = 4096) -> None:
        self._settings = settings
        self._size = size
        self._known: dict[str, tuple[TokenSubject, float]] = {}

    def cached(self, token: str) -> TokenSubject | None:
        """The subject of a token verified before and not yet expired; else None."""
        known = self._known.get(token)
        return known[0] if known is not None and known[1] > time.time() else None

    def subject(self, token: str) -> TokenSubject:
        known = self.cached(token)
        if known is not None:
            return known
        subject, expiry = _read_claims(self._settings, token)
        if len(self._known) >= self._size:
            self._known.clear()  # simplest bound; a refill costs one verification per client
        self._known[token] = (subject, expiry)
        return subject


class TokenUser(BaseUser):
    """A caller whose token is valid; his account and roles are read in the request's
    unit of work."""

    def __init__(self, subject: TokenSubject) -> None:
        self.subject = subject

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return f"user:{self.subject.user_id}"


class OidcUser(BaseUser):
    """A caller whose identity provider's access token is valid; the account its username
    claim names, and his roles, are read in the request's unit of work."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return f"oidc:{self.username}"


class VerifiedOidcTokens:
    """Access tokens verified by the provider's keys, remembered until they expire (as
    VerifiedTokens); a token not seen before is verified in a thread, since fetching the
    provider's keys blocks."""

    def __init__(self, verifier: OidcVerifier, size: int = 4096) -> None:
        self.verifier = verifier
        self._size = size
        self._known: dict[str, OidcIdentity] = {}

    def cached(self, token: str) -> str | None:
        """The username of a token verified before and not yet expired; else None."""
        known = self._known.get(token)
        return known.username if known is not None and known.expires_at > time.time() else None

    async def username(self, token: str) -> str:
        known = self.cached(token)
        if known is not None:
            return known
        try:
            identity = await asyncio.to_thread(self.verifier.verify, token)
        except TokenRefused:
            raise AuthenticationError(INVALID_TOKEN) from None
        if len(self._known) >= self._size:
            self._known.clear()
        self._known[token] = identity
        return identity.username


class PartnerTokenUser(BaseUser):
    """A caller presenting a well-formed partner secret; only its hash is kept."""

    def __init__(self, secret_hash: str) -> None:
        self.secret_hash = secret_hash

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return "partner"


async def partner_principal(session: AsyncSession, secret_hash: str,
                            now: datetime) -> Principal | None:
    """The partner principal of a live token, looked up by hash on every request (so a
    revocation reaches every server at once); None for an unknown, revoked or expired one.

    A stale last-used time is refreshed and committed at once, before the operation's
    own transaction begins, so that what the operation does never depends on it.
    """
    row = await token_queries.by_secret_hash(session, secret_hash)
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_used_at is None or row.last_used_at < now - token_queries.LAST_USED_RESOLUTION:
        await token_queries.touch(session, row.id, now)
        await session.commit()
    return principal_of_token(row)


def principal_of_token(row: Any) -> Principal:
    """The partner principal a partner_tokens row stands for."""
    return Principal(user_id=0, username=f"partner:{row.name}", holdings=(), kind=PARTNER,
                     token_id=row.id, scopes=frozenset(row.scopes),
                     unit_ids=frozenset(int(unit_id) for unit_id in row.unit_ids),
                     include_subunits=row.include_subunits,
                     budget=tuple(sorted((row.budget or {}).items())))


class BearerTokenBackend(AuthenticationBackend):
    """Fills ``request.user`` from ``Authorization: Bearer <JWT or partner secret>``; no
    header, no user.

    Only a JWT's signature and expiry, or a partner secret's shape, are checked here;
    the account and its roles, or the token, are read in the request's own transaction,
    which saves a connection per request.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = VerifiedTokens(settings)
        self.oidc = (VerifiedOidcTokens(OidcVerifier(settings)) if settings.oidc_issuer
                     else None)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials,
                                                                  BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError(INVALID_TOKEN)
        if tokens.is_partner_secret(token):
            if not tokens.is_well_formed(token):
                raise AuthenticationError(INVALID_TOKEN)
            return AuthCredentials(["authenticated"]), PartnerTokenUser(tokens.hash_secret(token))
        if self.oidc is not None and self.tokens.cached(token) is None:
            # Routed by the issuer it claims: read once per token, then from the caches.
            known = self.oidc.cached(token)
            if known is not None or unverified_issuer(token) == self.oidc.verifier.issuer:
                username = known or await self.oidc.username(token)
                return AuthCredentials(["authenticated"]), OidcUser(username)
        return AuthCredentials(["authenticated"]), TokenUser(self.tokens.subject(token))


def unauthenticated(_conn: HTTPConnection | None = None,
                    exc: Exception | None = None) -> JSONResponse:
    message = str(exc) if exc else "Authentication required: send Authorization: Bearer <token>."
    return JSONResponse(error_body(message, "UNAUTHENTICATED"), status_code=401,
                        headers={"WWW-Authenticate": "Bearer"})
