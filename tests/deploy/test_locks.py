"""The lock files (`make lock`): every package pinned with hashes, the image's pins those of
development and CI, and every pin of pyproject.toml honoured."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)")


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[match[1].lower()] = match[2]
    return found


def test_every_locked_package_carries_a_hash() -> None:
    for name in ("requirements.lock", "requirements-runtime.lock"):
        text = (ROOT / name).read_text(encoding="utf-8")
        blocks = re.split(r"\n(?=[A-Za-z])", text.split("\n\n", 1)[-1])
        for block in blocks:
            if PIN.match(block):
                assert "--hash=sha256:" in block, f"{name}: {block.splitlines()[0]}"


def test_runtime_lock_pins_the_same_versions_as_the_development_lock() -> None:
    runtime, full = pins(ROOT / "requirements-runtime.lock"), pins(ROOT / "requirements.lock")
    assert runtime
    assert {name: full.get(name) for name in runtime} == runtime


def test_every_pin_of_pyproject_is_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    full = pins(ROOT / "requirements.lock")
    for requirement in wanted:
        name, version = re.sub(r"\[.*\]", "", requirement).split("==")
        assert full.get(name.lower()) == version, requirement
