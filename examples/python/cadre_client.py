"""The cadre records API from Python with the `gql` library, as a user and as a partner.

    python cadre_client.py manifest > manifest.json     # the partner operations' manifest
    cadre partner register-operations manifest.json --token NAME    # (the system admin)
    CADRE_URL=http://127.0.0.1:8000/graphql CADRE_USER_TOKEN=… CADRE_PARTNER_TOKEN=… \\
        CADRE_PARTNER_UNIT=C-K1 python cadre_client.py

A user sends query text; the documents are validated against the repository's
`schema.graphql` before they are sent. A partner sends only the id of a registered
operation (`extensions.persistedQuery.sha256Hash`), never its text: the manifest maps
each id, the SHA-256 of the exact text, to that text. Every answer is checked.
"""

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"
GRADES = {"EXCELLENT", "GOOD", "FAIR", "POOR"}

ROSTER = """query PyRoster($first: Int, $after: String, $last: Int, $before: String) {
  cadres(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id name position } }
  }
}"""

#: The operations a partner runs, by the id its manifest gives each.
PARTNER_OPERATIONS = {
    "PyPartnerGrades": """query PyPartnerGrades($first: Int) {
  cadres(first: $first) {
    edges { node { name position unit { code } evaluations { year grade } } }
  }
}""",
}


def operation_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest() -> dict[str, str]:
    """The partner operations as graphql-codegen writes persisted documents: id → text."""
    return {operation_id(text): text for text in PARTNER_OPERATIONS.values()}


class PersistedRequest(GraphQLRequest):
    """A request naming a registered operation by its id: the payload carries no text."""

    def __init__(self, text: str, variables: dict[str, Any] | None = None) -> None:
        super().__init__(gql(text), variable_values=variables, extensions={
            "persistedQuery": {"version": 1, "sha256Hash": operation_id(text)}})

    @property
    def payload(self) -> dict[str, Any]:
        sent = dict(super().payload)
        del sent["query"]
        return sent


def client(token: str) -> Client:
    transport = HTTPXTransport(url=os.environ["CADRE_URL"],
                               headers={"Authorization": f"Bearer {token}"})
    return Client(transport=transport, schema=SCHEMA.read_text(encoding="utf-8"))


def user_pages_forward_and_back() -> None:
    with client(os.environ["CADRE_USER_TOKEN"]) as session:
        roster = gql(ROSTER)
        first = session.execute(GraphQLRequest(roster, variable_values={"first": 3}))
        after = first["cadres"]["pageInfo"]["endCursor"]
        second = session.execute(GraphQLRequest(roster, variable_values={"first": 3,
                                                                          "after": after}))
        before = second["cadres"]["pageInfo"]["startCursor"]
        back = session.execute(GraphQLRequest(roster, variable_values={"last": 3,
                                                                        "before": before}))

    def ids(page: dict[str, Any]) -> list[int]:
        return [int(edge["node"]["id"]) for edge in page["cadres"]["edges"]]

    assert first["cadres"]["totalCount"] > 6, first
    assert len(ids(first)) == 3 and ids(first) == sorted(ids(first))
    assert min(ids(second)) > max(ids(first)), "the next page follows the first"
    assert ids(back) == ids(first), "paging back returns the first page"
    assert not first["cadres"]["pageInfo"]["hasPreviousPage"]
    assert second["cadres"]["pageInfo"]["hasPreviousPage"]
    assert all(edge["node"]["name"] for edge in first["cadres"]["edges"])
    print(f"user: {first['cadres']['totalCount']} cadres; pages {ids(first)} {ids(second)}")


def partner_reads_by_id() -> None:
    unit = os.environ["CADRE_PARTNER_UNIT"]
    with client(os.environ["CADRE_PARTNER_TOKEN"]) as session:
        data = session.execute(PersistedRequest(PARTNER_OPERATIONS["PyPartnerGrades"],
                                                {"first": 20}))
        refused = _refusal(session, PARTNER_OPERATIONS["PyPartnerGrades"])
    cadres = [edge["node"] for edge in data["cadres"]["edges"]]
    grades = [e["grade"] for cadre in cadres for e in cadre["evaluations"]]
    assert cadres and all(c["name"] and c["unit"]["code"].startswith(unit) for c in cadres)
    assert grades and set(grades) <= GRADES, grades
    assert refused == "PERSISTED_QUERY_REQUIRED", refused
    print(f"partner: {len(cadres)} cadres, {len(grades)} grades; query text refused")


def _refusal(session: Any, text: str) -> str | None:
    """The code a partner meets sending query text (it may not)."""
    try:
        session.execute(GraphQLRequest(gql(text), variable_values={"first": 1}))
    except TransportQueryError as error:
        return (error.errors or [{}])[0].get("extensions", {}).get("code")
    return None


if __name__ == "__main__":
    if sys.argv[1:] == ["manifest"]:
        print(json.dumps(manifest(), indent=2, ensure_ascii=False))
    else:
        user_pages_forward_and_back()
        partner_reads_by_id()
        print("python example: all checks passed")
