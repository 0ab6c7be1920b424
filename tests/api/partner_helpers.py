"""Shared steps of the partner-token tests: issuing tokens as the admin, calling as a partner."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

ISSUE = """mutation Issue($input: IssuePartnerTokenInput!) {
  issuePartnerToken(input: $input) {
    secret
    token { id name agency scopes includeSubunits expiresAt revokedAt active
            units { code } operations { id name } } } }"""
REGISTER = """mutation Register($input: RegisterPersistedOperationInput!) {
  registerPersistedOperation(input: $input) { operation { id name query } } }"""
ALLOW = """mutation Allow($tokenId: ID!, $hashes: [String!]!) {
  allowPartnerOperations(tokenId: $tokenId, hashes: $hashes) { token { id operations { id } } } }"""
REVOKE = """mutation Revoke($id: ID!) {
  revokePartnerToken(id: $id) { token { id revokedAt active } } }"""
TOKENS = """{ partnerTokens { id name agency scopes includeSubunits expiresAt revokedAt active
  createdAt lastUsedAt units { code } operations { id name query } } }"""
UNITS = "{ units { id code parent { id } } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def unit_ids(admin: Any) -> dict[str, str]:
    """Unit ids by code."""
    body = await admin(UNITS)
    return {unit["code"]: unit["id"] for unit in body["data"]["units"]}


async def subtree_codes(admin: Any, code: str) -> set[str]:
    body = await admin(UNITS)
    units = body["data"]["units"]
    by_id = {u["id"]: u for u in units}
    root = next(u["id"] for u in units if u["code"] == code)

    def under(unit: dict[str, Any]) -> bool:
        while unit is not None:
            if unit["id"] == root:
                return True
            unit = by_id.get((unit["parent"] or {}).get("id"))
        return False

    return {u["code"] for u in units if under(u)}


async def register(admin: Any, query: str, name: str = "op") -> str:
    """Register ``query`` (once per test session) and return its hash."""
    body = await admin(REGISTER, input={"name": name, "query": query})
    errors = body.get("errors") or []
    assert not errors or errors[0]["extensions"]["code"] == "CONFLICT", body
    return sha256(query)


async def issue(admin: Any, units: list[str], scopes: list[str] | None = None,
                operations: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """Issue a token as ``admin`` and return the response body."""
    token_input = {"name": unique("partner"), "agency": "审计局",
                   "scopes": scopes or ["cadre:basic", "evaluation:grade"],
                   "unitIds": units, "expiresAt": in_days(90),
                   "operations": operations or [], **extra}
    return await admin(ISSUE, input=token_input)


class Partner:
    """Posts requests as a partner token and returns the decoded body with its status."""

    def __init__(self, http: httpx.AsyncClient, secret: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {secret}"}

    async def post(self, payload: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json=payload, headers=self.headers)
        body = response.json()
        body["status"] = response.status_code
        return body

    async def run(self, sha: str, **variables: Any) -> dict[str, Any]:
        return await self.post({"variables": variables, "extensions": {
            "persistedQuery": {"version": 1, "sha256Hash": sha}}})
