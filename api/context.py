"""The per-request context every resolver receives."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from starlette.requests import Request
from starlette.websockets import WebSocket

from api.guard import Denials, MaskLog
from api.loaders import Loaders
from api.policy_sync import LoadedPolicy, PolicyService
from api.principals import Proof
from api.reads import ReadLog
from api.settings import Settings
from api.types.units import UnitIndex
from authz.scope import Scope
from db.uow import UnitOfWork
from domain.principal import Principal


@dataclass
class Context:
    request: Request | WebSocket | None
    settings: Settings
    principal: Principal
    scope: Scope
    uow: UnitOfWork
    units: UnitIndex
    denials: Denials
    #: The policy service (to announce changes) and the policy this request enforces.
    policies: PolicyService
    policy: LoadedPolicy
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Audited values the answer returned, recorded at the end of the operation.
    reads: ReadLog = field(default_factory=ReadLog)
    #: Fields answered masked (`authz.masking`), reported in ``extensions.masked``.
    masks: MaskLog = field(default_factory=MaskLog)
    #: The request deadline; the commit point holds it off (`api.commits`).
    deadline: asyncio.Timeout | None = None
    #: The caller's account check, when this query operation still has to prove it.
    proof: Proof | None = None

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (`api.loaders`), made on first use."""
        return Loaders(self)
