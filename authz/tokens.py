"""Partner tokens: the scope catalogue, secrets and their hashes, persisted-operation ids.

A scope is the name of a policy field group (``g2``). A partner token reads the
fields of its scopes' groups that the policy grants the role ``partner`` under the
relation ``scope`` (authz/policies/50-partners.csv), on the records of its units.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from domain.errors import InvalidInput
from domain.manifests import is_operation_id

#: Scopes an admin may put on a partner token: field group → what it reveals.
PARTNER_SCOPES: dict[str, str] = {
    "cadre:basic": "Cadre basics: name, gender, unit, post, rank, leadership role, status.",
    "evaluation:grade": "Annual and periodic evaluations: year, period and grade.",
    "statistics:grades": "Counts of cadres and of their evaluations by unit, leadership role, "
                         "rank, status, year, period and grade (cadreStatistics), small "
                         "cells suppressed; no rows.",
}

#: Every partner secret starts with this, so a leaked one is recognisable (secret scanners)
#: and the authentication backend tells it from a user JWT without trying to decode it.
SECRET_PREFIX = "cp_"
_SECRET_BYTES = 32
_SECRET_PATTERN = re.compile(r"cp_[A-Za-z0-9_-]{43}")

#: The longest lifetime of a token; an agency gets a new one to go on.
MAX_LIFETIME = timedelta(days=366)


def new_secret() -> str:
    """A fresh partner secret: the prefix and 256 random bits, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def is_partner_secret(token: str) -> bool:
    """Whether a bearer token claims to be a partner secret (it carries the prefix)."""
    return token.startswith(SECRET_PREFIX)


def is_well_formed(secret: str) -> bool:
    """Whether ``secret`` has the exact shape `new_secret` produces."""
    return _SECRET_PATTERN.fullmatch(secret) is not None


def hash_secret(secret: str) -> str:
    """The SHA-256 of a secret, hex: the only form in which the database keeps it.

    A plain unsalted hash is enough here, unlike for passwords: the secret carries
    256 random bits, so no dictionary or brute-force search can invert the hash, and
    an unsalted hash lets each request find its token by an indexed equality lookup.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def operation_hash(query: str) -> str:
    """The id of a persisted operation: SHA-256 (hex) of its exact text, as Apollo clients
    compute ``extensions.persistedQuery.sha256Hash``."""
    return hashlib.sha256(query.encode()).hexdigest()


def is_operation_hash(value: str) -> bool:
    """Whether ``value`` can name a persisted operation: SHA-256 (64 hex digits), or SHA-1
    (40), which graphql-codegen's persisted documents use by default."""
    return is_operation_id(value)


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes, each from the catalogue; BAD_USER_INPUT otherwise.

    Raises:
        InvalidInput: no scope, or one the catalogue does not know (field ``scopes``).
    """
    found = frozenset(s.strip() for s in scopes)
    if not found:
        raise InvalidInput("Give at least one scope.", field="scopes")
    unknown = sorted(found - PARTNER_SCOPES.keys())
    if unknown:
        raise InvalidInput(f"Unknown scope '{unknown[0]}'; the scopes are "
                           f"{', '.join(sorted(PARTNER_SCOPES))}.", field="scopes")
    return found


def check_expiry(expires_at: datetime, now: datetime) -> datetime:
    """An expiry in the future and at most `MAX_LIFETIME` away; BAD_USER_INPUT otherwise.

    Raises:
        InvalidInput: the expiry is past or too far (field ``expiresAt``).
    """
    if expires_at <= now:
        raise InvalidInput("The expiry must lie in the future.", field="expiresAt")
    if expires_at > now + MAX_LIFETIME:
        raise InvalidInput(f"A token lives at most {MAX_LIFETIME.days} days.",
                           field="expiresAt")
    return expires_at
