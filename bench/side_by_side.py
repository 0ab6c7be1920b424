"""Two checkouts of the API side by side: the discipline pages, plain and with the denied
comment, on each, alternated round after round.

Run by hand (not a test), from the checkout whose ``bench`` you want:
    .venv/bin/python bench/side_by_side.py BEFORE AFTER [--rounds 5] [--seconds 8]

BEFORE and AFTER are folders holding a checkout of the project, each with its own
``.venv`` (a worktree with a link to this checkout's ``.venv`` will do when their
dependencies agree). Both serve the database `bench/roster.py` prepares, one uvicorn
worker each, and wrk drives the four pages in turn (`bench.roster.Rounds`), so that a
load passing over the shared machine falls on both codes alike: on these two cores
the rounds of one page vary by up to a fifth, more than most changes being measured.
It prints each page's throughput, the CPU PostgreSQL and each server spent per request,
and each code's denied / plain ratio.
"""

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.roster import (  # noqa: E402
    ROSTER,
    ROSTER_WITH_DENIED,
    UNIT_ID,
    Rounds,
    _subject,
    dsn,
    post,
    prepare,
    wait_until_up,
)


def serve(checkout: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    """One uvicorn worker of the API in ``checkout``, with that checkout's interpreter."""
    process = subprocess.Popen(
        [str(checkout / ".venv" / "bin" / "python"), "-m", "uvicorn", "api.main:app",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd=checkout, env={**os.environ, **env}, start_new_session=True,
        stdout=subprocess.DEVNULL)
    wait_until_up(process, port)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--database", default="cadre_bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--base-port", type=int, default=8140)
    args = parser.parse_args()

    from api.auth import issue_token
    from api.settings import Settings

    asyncio.run(prepare(args.database, args.size))
    url = dsn(args.database).replace("postgresql://", "postgresql+asyncpg://")
    discipline = issue_token(Settings(database_url=url),
                             asyncio.run(_subject(url, "demo-discipline")))
    env = {"DATABASE_URL": url, "CADRE_ENV": "development", "CADRE_RATE_LIMIT_PER_MINUTE": "0"}
    variables = {"first": 50, "unitId": str(UNIT_ID)}
    plain = {"query": ROSTER, "variables": variables}
    denied = {"query": ROSTER_WITH_DENIED, "variables": variables}
    servers: dict[str, subprocess.Popen] = {}
    try:
        runs = {}
        for offset, (name, checkout) in enumerate((("before", args.before),
                                                   ("after", args.after)), 1):
            port = args.base_port + offset
            servers[name] = serve(checkout.resolve(), port, env)
            answer = post(port, "/graphql", denied, discipline)
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer
            runs[f"{name}, plain"] = (port, "/graphql", plain, discipline)
            runs[f"{name}, denied comment"] = (port, "/graphql", denied, discipline)
        group = {run[0]: servers[name.split(",")[0]].pid for name, run in runs.items()}
        rounds = Rounds(runs, group, args.seconds, args.connections)
        rounds.run(args.rounds)
        rounds.report("before, plain")
        for name in servers:
            ratio = rounds.ratio(f"{name}, denied comment", f"{name}, plain")
            print(f"{name}: denied / plain {ratio}")
    finally:
        for process in servers.values():
            os.killpg(process.pid, 15)


if __name__ == "__main__":
    main()
