"""Paging benchmark: what a backward page, and the exact ``hasPreviousPage`` /
``hasNextPage`` of the side behind the cursor, cost next to a plain forward page.

Run by hand (not a test), against a server you started:

    .venv/bin/python bench/paging.py --url http://127.0.0.1:8000/graphql \\
        --token "$(.venv/bin/cadre token issue demo-org)" [--requests 300] [--size 50]

Each scenario sends ``--requests`` roster pages one after the other (one connection, after a
warm-up of 20) and prints the median and 99th percentile latency.
"""

import argparse
import statistics
import time
from typing import Any

import httpx

PAGE = """query Page($first: Int, $after: String, $last: Int, $before: String) {
  cadres(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { %s } edges { node { id name unit { name } evaluations { year grade } } } } }"""
PLAIN = PAGE % "hasNextPage endCursor"
BOTH_SIDES = PAGE % "hasNextPage hasPreviousPage startCursor endCursor"


def _timed(http: httpx.Client, url: str, query: str, variables: dict[str, Any],
           count: int) -> list[float]:
    took = []
    for i in range(count + 20):
        start = time.perf_counter()
        response = http.post(url, json={"query": query, "variables": variables})
        if i >= 20:
            took.append((time.perf_counter() - start) * 1000)
        body = response.json()
        assert "errors" not in body and body["data"]["cadres"]["edges"], body
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--size", type=int, default=50)
    args = parser.parse_args()
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {args.token}"}) as http:
        middle = http.post(args.url, json={"query": PLAIN,
                                           "variables": {"first": args.size}}).json()
        cursor = middle["data"]["cadres"]["pageInfo"]["endCursor"]
        scenarios = {
            "forward, first page": (PLAIN, {"first": args.size}),
            "forward after a cursor": (PLAIN, {"first": args.size, "after": cursor}),
            "  + hasPreviousPage": (BOTH_SIDES, {"first": args.size, "after": cursor}),
            "backward, last page": (PLAIN, {"last": args.size}),
            "backward before a cursor": (PLAIN, {"last": args.size, "before": cursor}),
            "  + hasNextPage": (BOTH_SIDES, {"last": args.size, "before": cursor}),
        }
        print(f"{'scenario':28} {'p50 ms':>8} {'p99 ms':>8}")
        for name, (query, variables) in scenarios.items():
            took = sorted(_timed(http, args.url, query, variables, args.requests))
            p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
            print(f"{name:28} {statistics.median(took):8.2f} {p99:8.2f}")


if __name__ == "__main__":
    main()
