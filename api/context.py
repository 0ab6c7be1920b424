"""The per-request context every resolver receives."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from strawberry.dataloader import DataLoader

from api.guard import Denials
from api.settings import Settings
from authz.principal import Principal
from authz.scope import Scope
from db.queries import cadres as cadre_queries
from db.queries import units as unit_queries
from db.uow import UnitOfWork


class Loaders:
    """Per-request DataLoaders: one statement per level of the query, whatever the page size."""

    def __init__(self, uow: UnitOfWork) -> None:
        session = uow.session

        async def units(ids: list[int]) -> list[Any]:
            found = await unit_queries.by_ids(session, ids)
            return [found.get(i) for i in ids]

        async def unit_children(ids: list[int]) -> list[Any]:
            found = await unit_queries.children_of(session, ids)
            return [found[i] for i in ids]

        async def evaluations(ids: list[int]) -> list[Any]:
            return await cadre_queries.evaluations_of(session, ids)

        async def findings(ids: list[int]) -> list[Any]:
            return await cadre_queries.findings_of(session, ids)

        async def labels(ids: list[int]) -> list[Any]:
            return await cadre_queries.labels_of(session, ids)

        self.units = DataLoader(load_fn=units)
        self.unit_children = DataLoader(load_fn=unit_children)
        self.evaluations = DataLoader(load_fn=evaluations)
        self.findings = DataLoader(load_fn=findings)
        self.labels = DataLoader(load_fn=labels)


@dataclass
class Context:
    request: Request | None
    settings: Settings
    principal: Principal
    scope: Scope
    uow: UnitOfWork
    loaders: Loaders
    denials: Denials
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
