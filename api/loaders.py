"""Per-request DataLoaders: every relation of the resolver path, batched and cached.

One `Loaders` is made for each request (`Context.loaders`), so nothing cached in it
outlives the request or reaches another caller. Loaders whose answer depends on who
asks (the cadres a caller may see) read the request's scope; the children of a visible
cadre (evaluations, findings, labels) and of a visible case (steps, findings, appeal) are
the same for every caller who may see it, and their fields are guarded when the GraphQL
objects are built, with the grants of the record they belong to.

Resolvers that know what the query selects (`api.selection`) load the whole page's
children at once through these loaders, so nested values are already in memory. What
they did not foresee is left as a `Later`: an awaitable that loads through the same
loaders when the executor reaches it, so that all the rows of a list load in one
statement, at any depth.

The loaders share the request's one database session, whose statements must not
overlap: a batch runs under the request's statement lock.
"""

import asyncio
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries import cadres as cadre_queries
from db.queries import cases as case_queries
from db.repositories.records import visible_cadres

if TYPE_CHECKING:
    from api.context import Context

class Later:
    """A value loaded when first awaited (then kept: it may be awaited again)."""

    __slots__ = ("_load", "_future")

    def __init__(self, load: Callable[[], Awaitable[Any]]) -> None:
        self._load = load
        self._future: asyncio.Future[Any] | None = None

    def __await__(self) -> Generator[Any, None, Any]:
        if self._future is None:
            self._future = asyncio.ensure_future(self._load())
        return self._future.__await__()


def later(load: Callable[[], Awaitable[Any]]) -> Any:
    """A `Later` where a field's value goes (typed Any: it stands for the value)."""
    return Later(load)


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, context: "Context") -> None:
        self._context = context
        self._lock = asyncio.Lock()
        self.evaluations = self._children(cadre_queries.evaluations_of)
        self.findings = self._children(cadre_queries.findings_of)
        self.labels = self._children(cadre_queries.labels_of)
        self.cadres: DataLoader[int, Row | None] = DataLoader(self._cadres)
        self.case_steps = self._by_case(case_queries.steps_of, list)
        self.case_findings = self._by_case(case_queries.findings_of, list)
        self.case_appeals = self._by_case(case_queries.appeals_of, lambda: None)

    def _children(self, fetch: Callable[[Any, Sequence[int]], Awaitable[list[list[Row]]]]
                  ) -> DataLoader[int, list[Row]]:
        async def load(cadre_ids: list[int]) -> list[list[Row]]:
            async with self._lock:
                return await fetch(self._context.uow.session, cadre_ids)

        return DataLoader(load)

    def _by_case(self, fetch: Callable[[Any, Sequence[int]], Awaitable[dict[int, Any]]],
                 missing: Callable[[], Any]) -> DataLoader[int, Any]:
        async def load(case_ids: list[int]) -> list[Any]:
            async with self._lock:
                found = await fetch(self._context.uow.session, case_ids)
            return [found.get(case_id, missing()) for case_id in case_ids]

        return DataLoader(load)

    async def _cadres(self, ids: list[int]) -> list[Row | None]:
        """Cadre rows by id; None for one the caller may not see (or missing)."""
        async with self._lock:
            rows = await cadre_queries.by_ids(self._context.uow.session,
                                              visible_cadres(self._context.scope), ids)
        by_id = {row.id: row for row in rows}
        return [by_id.get(cadre_id) for cadre_id in ids]
