"""Statistics and policy what-if benchmark: counting in SQL against paging through the roster.

Run by hand (not a test), on a seeded database (``cadre db upgrade && cadre seed --demo``):

    DATABASE_URL=sqlite+aiosqlite:///var/cadre.db .venv/bin/python bench/counts.py [--rounds 20]

It serves the application in-process (no network), as ``demo-org`` (the whole city), and
prints the median and the slowest time of: the grade distribution by unit from
``cadreStatistics``; the same counts computed by paging through ``cadres`` with their
evaluations (what a front end had to do before); and a ``policyImpact`` report.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STATS = """{ cadreStatistics(groupBy: [UNIT, GRADE]) {
  total cells { unit { id } grade count } } }"""
ROSTER = """query R($after: String) { cadres(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { unit { id } evaluations { grade } } } } }"""
IMPACT = """{ policyImpact(changes: [{change: REMOVE, ptype: "p",
  values: ["org", "jurisdiction", "cadre:personal", "read"]}]) { impactVersion
  fields { role relation field before after records } } }"""


async def main(rounds: int) -> None:
    import httpx
    from sqlalchemy import text

    from api.app import create_app
    from api.auth import TokenSubject, issue_token
    from api.settings import Settings
    from db.engine import create_engine

    url = os.environ["DATABASE_URL"]
    settings = Settings(env="test", database_url=url, rate_limit_per_minute=0)
    engine = create_engine(url)
    async with engine.connect() as connection:
        subjects = {name: TokenSubject(*(await connection.execute(text(
            "SELECT id, token_generation FROM users WHERE username = :n"), {"n": name})).one())
            for name in ("demo-org", "demo-admin")}
    await engine.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:

        def caller(name: str) -> Callable[..., Awaitable[dict[str, Any]]]:
            headers = {"Authorization": f"Bearer {issue_token(settings, subjects[name])}"}

            async def post(query: str, **variables: Any) -> dict[str, Any]:
                response = await http.post("/graphql", headers=headers,
                                           json={"query": query, "variables": variables})
                return response.json()

            return post

        org, admin = caller("demo-org"), caller("demo-admin")

        async def by_statistics() -> Counter[tuple[str, str]]:
            cells = (await org(STATS))["data"]["cadreStatistics"]["cells"]
            return Counter({(c["unit"]["id"], c["grade"]): c["count"] for c in cells})

        async def by_paging() -> Counter[tuple[str, str]]:
            found: Counter[tuple[str, str]] = Counter()
            after = None
            while True:
                page = (await org(ROSTER, after=after))["data"]["cadres"]
                for edge in page["edges"]:
                    for evaluation in edge["node"]["evaluations"]:
                        found[(edge["node"]["unit"]["id"], evaluation["grade"])] += 1
                if not page["pageInfo"]["hasNextPage"]:
                    return found
                after = page["pageInfo"]["endCursor"]

        async def impact() -> None:
            assert "errors" not in await admin(IMPACT)

        assert await by_statistics() == await by_paging(), "the two counts differ"
        for name, work in (("cadreStatistics [UNIT, GRADE]", by_statistics),
                           ("paging the roster, counting", by_paging),
                           ("policyImpact (remove org read)", impact)):
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                await work()
                times.append((time.perf_counter() - start) * 1000)
            print(f"{name:34} median {statistics.median(times):8.1f} ms   "
                  f"max {max(times):8.1f} ms   ({rounds} rounds)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
