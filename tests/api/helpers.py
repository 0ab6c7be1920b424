"""Small helpers shared by the API tests."""

import asyncio
import os
import time
from typing import Any

from api.policy_sync import announce
from db.engine import create_engine, create_sessionmaker
from db.policy_store import policy_version

UNIT_CODES = "{ units { code } }"


def errors_by_code(body: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [e for e in body.get("errors") or [] if e["extensions"]["code"] == code]


def nodes(body: dict[str, Any], root: str = "cadres") -> list[dict[str, Any]]:
    return [edge["node"] for edge in body["data"][root]["edges"]]


async def units_changed(database_url: str, org: Any, code: str, present: bool = True) -> None:
    """After a write to the units outside the API: announce the new policy version as such a
    writer should (servers listening on Redis would otherwise wait for their poll), and wait
    until the in-process server shows unit ``code`` (or no longer does)."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            version = await policy_version(session)
    finally:
        await engine.dispose()
    if os.environ.get("REDIS_URL"):
        await announce(os.environ["REDIS_URL"], version)
    end = time.monotonic() + 5
    while time.monotonic() < end:
        codes = {unit["code"] for unit in (await org(UNIT_CODES))["data"]["units"]}
        if (code in codes) == present:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"unit {code} {'never appeared' if present else 'stayed'}")
