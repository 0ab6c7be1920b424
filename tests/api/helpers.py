"""Small helpers shared by the API tests."""

from typing import Any


def errors_by_code(body: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [e for e in body.get("errors") or [] if e["extensions"]["code"] == code]


def nodes(body: dict[str, Any], root: str = "cadres") -> list[dict[str, Any]]:
    return [edge["node"] for edge in body["data"][root]["edges"]]
