"""A throw-away PostgreSQL cluster of our own, for fault tests that stop and restart it.

Never the machine's server: the cluster lives in a temporary folder, listens on its
own port, and is removed afterwards. PostgreSQL refuses to run as root, so when we
are root its commands run as the ``postgres`` OS user.
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DATABASE = "cadre"


def binaries() -> Path | None:
    """The folder of the newest installed PostgreSQL server binaries, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda path: int(Path(path).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class Cluster:
    """One PostgreSQL cluster on ``port``, created in a temporary folder.

    Args:
        port: the port it listens on (127.0.0.1 only).
    """

    def __init__(self, port: int) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        self.bin = bin_dir
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="cadre-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the cluster's database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def create(self) -> "Cluster":
        """initdb, start, and create the database."""
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", DATABASE)
        return self

    def start(self, wait: bool = True) -> None:
        """Start the server; with ``wait``, return once it accepts connections."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w" if wait else "-W", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
                              f"-c unix_socket_directories={self.folder} -c fsync=off",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server at once: ``fast`` terminates open sessions and shuts down
        cleanly, ``immediate`` kills it as a crash would (recovery at the next start)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def accepting(self) -> bool:
        """Whether the server accepts connections now."""
        return subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p",
                               str(self.port), "-t", "1"],
                              stdout=subprocess.DEVNULL).returncode == 0

    def wait_accepting(self, seconds: float = 30) -> float:
        """Poll until the server accepts connections; returns when (monotonic)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.accepting():
                return time.monotonic()
            time.sleep(0.02)
        raise TimeoutError(f"PostgreSQL on port {self.port} did not come up")

    def destroy(self) -> None:
        """Stop the server if running and remove its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
