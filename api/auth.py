"""Authentication: bearer JWTs for users, decoded by a Starlette backend."""

import time

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
from api.settings import Settings
from authz.principal import Principal
from db.queries import users as user_queries

ALGORITHM = "HS256"


def issue_token(settings: Settings, username: str, ttl_seconds: int | None = None) -> str:
    """A signed user token for ``username``, valid for ``ttl_seconds``."""
    now = int(time.time())
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims = {"sub": username, "iss": settings.jwt_issuer, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def read_token(settings: Settings, token: str) -> str:
    """The username a valid token names.

    Raises:
        AuthenticationError: for a malformed, forged or expired token (one message for all).
    """
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM],
                            issuer=settings.jwt_issuer, options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        raise AuthenticationError("Invalid or expired token.") from None
    subject = claims["sub"]
    if not isinstance(subject, str):
        raise AuthenticationError("Invalid or expired token.")
    return subject


class TokenUser(BaseUser):
    """A caller whose token is valid; his roles are read in the request's unit of work."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username


async def load_principal(session: AsyncSession, user: BaseUser) -> Principal | None:
    """The principal behind an authenticated request; None when the account is gone."""
    if not isinstance(user, TokenUser):
        return None
    return await user_queries.principal(session, user.username)


class BearerTokenBackend(AuthenticationBackend):
    """Fills ``request.user`` from ``Authorization: Bearer <JWT>``; no header, no user.

    Only the signature and expiry are checked here; the account and its roles are
    read in the request's own transaction, which saves a connection per request.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials,
                                                                  BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("Invalid or expired token.")
        username = read_token(self.settings, token.strip())
        return AuthCredentials(["authenticated"]), TokenUser(username)


def unauthenticated(_conn: HTTPConnection | None = None,
                    exc: Exception | None = None) -> JSONResponse:
    message = str(exc) if exc else "Authentication required: send Authorization: Bearer <token>."
    return JSONResponse(error_body(message, "UNAUTHENTICATED"), status_code=401,
                        headers={"WWW-Authenticate": "Bearer"})
