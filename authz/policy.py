"""The Casbin model and policy: loading it from the database, installing the default."""

from pathlib import Path

import casbin
from casbin_async_sqlalchemy_adapter import Adapter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import CasbinRule, PolicyState

MODEL_PATH = Path(__file__).with_name("model.conf")
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.csv")

#: Relations a caller can stand in to a record (the `rel` of a request).
RELATIONS = ("jurisdiction", "self", "self_finalised", "system")
ACTIONS = ("read", "write")


def default_policy_lines() -> list[list[str]]:
    """The default policy as Casbin rule lines: ``[ptype, v0, v1, ...]``."""
    lines = []
    for raw in DEFAULT_POLICY_PATH.read_text(encoding="utf-8").splitlines():
        text = raw.strip()
        if text and not text.startswith("#"):
            lines.append([part.strip() for part in text.split(",")])
    return lines


def memory_enforcer(lines: list[list[str]] | None = None) -> casbin.Enforcer:
    """An enforcer over the model and the given lines (default policy when omitted)."""
    enforcer = casbin.Enforcer(str(MODEL_PATH))
    for ptype, *values in default_policy_lines() if lines is None else lines:
        if ptype == "p":
            enforcer.add_named_policy("p", values)
        else:
            enforcer.add_named_grouping_policy(ptype, values)
    return enforcer


async def install_default_policy(session: AsyncSession) -> bool:
    """Write the default policy when the policy table is empty; True when it did."""
    count = await session.scalar(select(func.count()).select_from(CasbinRule))
    if count:
        return False
    for ptype, *values in default_policy_lines():
        padded = values + [None] * (6 - len(values))
        session.add(CasbinRule(ptype=ptype, **{f"v{i}": v for i, v in enumerate(padded)}))
    if await session.get(PolicyState, 1) is None:
        session.add(PolicyState(id=1, version=1))
    return True


async def policy_version(session: AsyncSession) -> int:
    return (await session.scalar(select(PolicyState.version).where(PolicyState.id == 1))) or 0


async def load_enforcer(engine: AsyncEngine) -> casbin.AsyncEnforcer:
    """An enforcer whose policy is read from the database through the SQLAlchemy adapter."""
    adapter = Adapter(engine, db_class=CasbinRule)
    enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), adapter)
    await enforcer.load_policy()
    return enforcer
