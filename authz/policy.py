"""The Casbin model and the default policy, as files; the stored policy is `db.policy_store`."""

from pathlib import Path

import casbin

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
