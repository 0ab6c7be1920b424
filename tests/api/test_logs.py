"""One JSON line per GraphQL request: who, what, how it ended; never a value, a token or a
variable; the request id the client sent, or one of ours, echoed in ``X-Request-ID``."""

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog

from api.logs import configure_logging

ID_NUMBERS = """query Search($first: Int!, $search: String) {
  cadres(first: $first, filter: {search: $search}) { edges { node { idNumber } } } }"""
SEARCHED = "变量里的秘密"


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Logging configured as ``cadre serve`` does; returns the JSON lines written so far."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("json")
    captured: list[str] = []

    def lines() -> list[dict[str, Any]]:
        captured.append(capsys.readouterr().out)
        return [json.loads(line) for line in "".join(captured).splitlines()]

    yield lines
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


async def post(client: httpx.AsyncClient, bearer: str, search: str | None = SEARCHED,
               **headers: str | bytes) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": ID_NUMBERS, "variables": {"first": 2, "search": search}},
        headers={"Authorization": f"Bearer {bearer}", **headers})


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("event") == "request"]


async def test_a_request_leaves_one_line_with_its_caller_operation_outcome_and_cost(
        client, token, log_lines):
    response = await post(client, token("demo-org"), **{"X-Request-ID": "trace-4711"})

    assert response.headers["x-request-id"] == "trace-4711"
    [line] = request_lines(log_lines())
    assert line["request_id"] == "trace-4711"
    assert line["account_id"] > 0
    assert line["roles"] == ["org"]
    assert line["operation"] == "anonymous"
    assert (line["outcome"], line["status"]) == ("ok", 200)
    assert line["duration_ms"] > 0
    assert line["sql_statements"] > 0
    assert line["level"] == "info"


async def test_the_line_carries_no_token_no_variable_and_no_field_value(
        client, token, log_lines):
    bearer = token("demo-org")
    await post(client, bearer)
    response = await post(client, bearer, search=None)
    values = [edge["node"]["idNumber"] for edge in response.json()["data"]["cadres"]["edges"]]

    written = json.dumps(log_lines(), ensure_ascii=False)
    assert values and all(value not in written for value in values)
    assert bearer not in written
    assert bearer.split(".")[1] not in written  # not even the claims
    assert SEARCHED not in written


@pytest.mark.parametrize("sent", ["x" * 65, "has space", "中文"])
async def test_a_malformed_request_id_is_replaced_by_one_of_ours(client, token, log_lines,
                                                                 sent):
    response = await post(client, token("demo-org"),
                          **{"X-Request-ID": sent.encode()})

    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = request_lines(log_lines())
    assert line["request_id"] == request_id


async def test_a_refusal_is_logged_once_with_its_code(client, token, log_lines):
    response = await client.post("/graphql", json={"query": "{ me { username "},
                                 headers={"Authorization": f"Bearer {token('demo-org')}"})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"

    servers = [line for line in log_lines() if line["logger"].startswith("cadre")]
    assert [(line["event"], line["outcome"]) for line in servers] == [
        ("request", "GRAPHQL_PARSE_FAILED")]


async def test_an_unauthenticated_request_names_no_account(client, log_lines):
    response = await client.post("/graphql", json={"query": "{ me { username } }"})
    assert response.status_code == 401

    [line] = request_lines(log_lines())
    assert (line["outcome"], line["status"]) == ("UNAUTHENTICATED", 401)
    assert "account_id" not in line
