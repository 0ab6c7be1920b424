"""The roster issues a constant number of SQL statements, whatever the page size."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROSTER_PAGE = """query Page($first: Int!) { cadres(first: $first) { totalCount edges { node {
  id name unit { name } labels { code }
  evaluations { year grade score } findings { status item { code title } } } } } }"""


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_roster_statement_count_does_not_grow_with_page_size(as_user):
    org = as_user("demo-org")
    # A version an earlier test raised (a unit written outside the API) is loaded once, here.
    await org(ROSTER_PAGE, first=10)
    counts = []
    for first in (10, 100):
        with counting_statements() as statements:
            body = await org(ROSTER_PAGE, first=first)
        assert len(body["data"]["cadres"]["edges"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # 8 before the unit tree was cached with the policy (tests/api/test_unit_tree_cache.py).
    assert counts[0] <= 7, counts
