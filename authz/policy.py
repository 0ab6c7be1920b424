"""The Casbin model and policy: loading it from the database, installing the default."""

from pathlib import Path

import casbin
from casbin_async_sqlalchemy_adapter import Adapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import CasbinRule, InstalledPolicyFile, PolicyState

MODEL_PATH = Path(__file__).with_name("model.conf")
#: The default policy: one CSV file per area of the product, read in name order.
DEFAULT_POLICY_DIR = Path(__file__).with_name("policies")

#: Relations a caller can stand in to a record (the `rel` of a request).
RELATIONS = ("jurisdiction", "self", "self_finalised", "system", "scope")
#: ``mask``: the value through its masking rule (`authz.masking`) instead of itself.
ACTIONS = ("read", "write", "mask")


def _read_lines(path: Path) -> list[list[str]]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.strip()
        if text and not text.startswith("#"):
            lines.append([part.strip() for part in text.split(",")])
    return lines


def default_policy_files() -> dict[str, list[list[str]]]:
    """The default policy by file name, as Casbin rule lines ``[ptype, v0, v1, ...]``."""
    return {path.name: _read_lines(path) for path in sorted(DEFAULT_POLICY_DIR.glob("*.csv"))}


def default_policy_lines() -> list[list[str]]:
    """The whole default policy as Casbin rule lines."""
    return [line for lines in default_policy_files().values() for line in lines]


def guarded_type_names() -> tuple[str, ...]:
    """GraphQL types whose fields the default policy governs (those named in field groups)."""
    names = {line[1].split(".")[0] for line in default_policy_lines()
             if line[0] == "g2" and "." in line[1]}
    return tuple(sorted(names))


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
