"""Progress of long CLI work (api.progress): drawn on a terminal's stderr, absent otherwise.

The real `cadre` script, once with stderr on a pseudo-terminal (what an operator sees) and
once captured (what scripts and CI see); stdout is the same one line either way.
"""

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

CADRE = Path(sys.executable).parent / "cadre"
SIZE = 100


def run(*args: str, database_url: str, cwd: Path, terminal: bool) -> tuple[int, str, str]:
    """Run `cadre` with stderr on a pseudo-terminal or a pipe: (exit code, stdout, stderr)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CADRE_") and key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DATABASE_URL=database_url, TERM="xterm", COLUMNS="120", NO_COLOR="1")
    if not terminal:
        result = subprocess.run([str(CADRE), *args], env=env, cwd=cwd, capture_output=True,
                                text=True, timeout=120, check=False)
        return result.returncode, result.stdout, result.stderr
    primary, secondary = pty.openpty()
    process = subprocess.Popen([str(CADRE), *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=secondary, text=True)
    os.close(secondary)
    chunks: list[bytes] = []

    def drain() -> None:  # the terminal's buffer is small: read while it writes
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the other side closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    stdout, _ = process.communicate(timeout=120)
    reader.join(10)
    os.close(primary)
    return process.returncode, stdout, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("progress")
    url = f"sqlite+aiosqlite:///{folder / 'progress.db'}"
    assert run("db", "upgrade", database_url=url, cwd=folder, terminal=False)[0] == 0
    return url, folder


def test_seed_on_a_terminal_shows_each_phase_and_answers_one_line(
        database: tuple[str, Path]) -> None:
    # Given an empty database; when an operator seeds it at a terminal
    url, folder = database
    code, stdout, stderr = run("seed", "--demo", "--size", str(SIZE), database_url=url,
                               cwd=folder, terminal=True)
    # Then the phases are drawn on stderr and stdout is only the summary
    assert code == 0, stderr
    for phase in ("generating records", "cadres", "evaluations", "refreshing statistics"):
        assert phase in stderr
    assert stdout.startswith("seeded ") and stdout.count("\n") == 1


def test_audit_verify_on_a_terminal_counts_events_and_without_one_prints_nothing_else(
        database: tuple[str, Path]) -> None:
    url, folder = database
    on_terminal = run("audit", "verify", database_url=url, cwd=folder, terminal=True)
    captured = run("audit", "verify", database_url=url, cwd=folder, terminal=False)
    assert on_terminal[0] == captured[0] == 0
    assert "events verified" in on_terminal[2]
    assert captured[2] == ""
    assert on_terminal[1] == captured[1]
    assert captured[1].startswith("audit trail intact: ")


def test_seed_without_a_terminal_writes_no_progress(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'quiet.db'}"
    assert run("db", "upgrade", database_url=url, cwd=tmp_path, terminal=False)[0] == 0
    code, stdout, stderr = run("seed", "--demo", "--size", str(SIZE), database_url=url,
                               cwd=tmp_path, terminal=False)
    assert code == 0
    assert stderr == ""
    assert stdout.startswith("seeded ")
