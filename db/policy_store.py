"""The policy as stored: installing the default policy files, its version, loading it."""

from collections.abc import Sequence
from typing import Any

import casbin
from casbin_async_sqlalchemy_adapter import Adapter
from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from authz.policy import MODEL_PATH, default_policy_files
from db.models import CasbinRule, InstalledPolicyFile, PolicyState


async def install_default_policy(session: AsyncSession) -> bool:
    """Write each default policy file not installed before; True when any was.

    A file is installed once: rules an administrator removes later stay removed,
    and a file added by a new release reaches existing databases.
    """
    installed = set(await session.scalars(select(InstalledPolicyFile.name)))
    missing = {name: lines for name, lines in default_policy_files().items()
               if name not in installed}
    # A line an administrator already added stays as it is: each line is stored once.
    present = {tuple(v for v in (r.ptype, r.v0, r.v1, r.v2, r.v3, r.v4, r.v5) if v is not None)
               for r in await session.scalars(select(CasbinRule))} if missing else set()
    for name, lines in missing.items():
        for ptype, *values in lines:
            if (ptype, *values) in present:
                continue
            padded = values + [None] * (6 - len(values))
            session.add(CasbinRule(ptype=ptype, **{f"v{i}": v for i, v in enumerate(padded)}))
        session.add(InstalledPolicyFile(name=name))
    state = await session.get(PolicyState, 1)
    if state is None:
        session.add(PolicyState(id=1, version=1))
    elif missing:
        state.version += 1
    return bool(missing)


async def policy_version(session: AsyncSession) -> int:
    return (await session.scalar(select(PolicyState.version).where(PolicyState.id == 1))) or 0


async def load_enforcer(engine: AsyncEngine) -> casbin.AsyncEnforcer:
    """An enforcer whose policy is read from the database through the SQLAlchemy adapter."""
    adapter = Adapter(engine, db_class=CasbinRule)
    enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), adapter)
    await enforcer.load_policy()
    return enforcer


def _matches(ptype: str, values: Sequence[str]) -> Any:
    columns = [CasbinRule.v0, CasbinRule.v1, CasbinRule.v2, CasbinRule.v3]
    return and_(CasbinRule.ptype == ptype,
                *(column == value for column, value in zip(columns, values, strict=False)))


async def rule_ids(session: AsyncSession, ptype: str, values: Sequence[str]) -> list[int]:
    """The ids of the stored lines equal to the rule ``ptype, *values``."""
    return list(await session.scalars(select(CasbinRule.id).where(_matches(ptype, values))))


async def remove_rules(session: AsyncSession, ids: Sequence[int]) -> None:
    await session.execute(delete(CasbinRule).where(CasbinRule.id.in_(ids)))


async def raise_version(session: AsyncSession) -> int:
    """Count one change of the policy; the new version."""
    result = await session.execute(
        update(PolicyState).where(PolicyState.id == 1)
        .values(version=PolicyState.version + 1).returning(PolicyState.version))
    return int(result.scalar_one())
