"""What metrics and the request log cost on the roster page, measured in process.

Run by hand (not a test):  .venv/bin/python bench/telemetry.py [--size 2000] [--rounds 30]

Two applications on one seeded SQLite database answer the roster page of
`bench.roster` (50 cadres with units, evaluations and findings, as ``demo-org``):
one as shipped, one without the telemetry middleware and the engine's statement
listener (``--calibrate``: both as shipped, which shows the method's noise).
Requests alternate between the two in rounds, each going first in every other round,
so drift in the machine's load and warm caches favour neither. They go through
httpx's in-process ASGI transport, with the JSON log line rendered and written to
``/dev/null``. It prints the median and mean time per request of each, and the
difference. In process, without sockets or wrk, the request's own work is all that
is timed, so the share of telemetry is, if anything, overstated against a served
request.
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.roster import ROSTER, UNIT_ID  # noqa: E402

#: --calibrate: both applications as shipped, so the difference printed is the noise.
CALIBRATE = "--calibrate" in sys.argv


async def prepare(url: str, size: int) -> None:
    from db.engine import create_engine, create_sessionmaker
    from db.migrate import upgrade
    from db.seed import seed_demo

    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_demo(session, size=size)
    await engine.dispose()


def build(settings: object, telemetry: bool) -> object:
    from api.app import create_app

    if telemetry or CALIBRATE:
        return create_app(settings)  # type: ignore[arg-type]
    with mock.patch("api.app.instrument_engine"):
        app = create_app(settings)  # type: ignore[arg-type]
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ != "Telemetry"]
    return app


async def measure(url: str, rounds: int, per_round: int) -> dict[str, list[float]]:
    import httpx

    from api.auth import issue_token, subject_of
    from api.logs import configure_logging
    from api.settings import Settings
    from db.engine import create_engine, create_sessionmaker

    settings = Settings(database_url=url, rate_limit_per_minute=0, env="test")
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        subject = await subject_of(session, "demo-org")
    await engine.dispose()
    assert subject is not None
    headers = {"Authorization": f"Bearer {issue_token(settings, subject)}"}
    body = {"query": ROSTER, "variables": {"first": 50, "unitId": str(UNIT_ID)}}
    configure_logging("json")
    apps = {"with telemetry": build(settings, True), "without": build(settings, False)}
    times: dict[str, list[float]] = {name: [] for name in apps}
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))  # type: ignore[attr-defined]
            clients[name] = await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"))  # type: ignore[arg-type]
        for client in clients.values():  # warm caches: documents, policy, pool
            for _ in range(20):
                response = await client.post("/graphql", json=body, headers=headers)
                assert response.status_code == 200
        order = list(clients.items())
        for _ in range(rounds):
            order.reverse()  # ABBA: neither goes first more often
            for name, client in order:
                for _ in range(per_round):
                    started = time.perf_counter()
                    response = await client.post("/graphql", json=body, headers=headers)
                    times[name].append(time.perf_counter() - started)
                    assert response.status_code == 200
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=20)
    parser.add_argument("--calibrate", action="store_true",
                        help="Compare two shipped applications: the noise of the method.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        asyncio.run(prepare(url, args.size))
        stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115
        try:
            times = asyncio.run(measure(url, args.rounds, args.per_round))
        finally:
            sys.stdout.close()
            sys.stdout = stdout
    summary = {name: (statistics.median(ts) * 1000, statistics.fmean(ts) * 1000)
               for name, ts in times.items()}
    for name, (median, mean) in summary.items():
        print(f"{name:16} median {median:7.3f} ms   mean {mean:7.3f} ms   "
              f"({len(times[name])} requests)")
    (on_median, on_mean), (off_median, off_mean) = summary.values()
    print(f"overhead         median {100 * (on_median / off_median - 1):+.1f} %   "
          f"mean {100 * (on_mean / off_mean - 1):+.1f} %")


if __name__ == "__main__":
    main()
