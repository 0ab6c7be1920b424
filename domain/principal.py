"""Who is calling: a user with his role holdings, or a partner agency's scoped token."""

from dataclasses import dataclass
from typing import Literal

from domain.enums import Role

USER: Literal["user"] = "user"
PARTNER: Literal["partner"] = "partner"


@dataclass(frozen=True)
class Holding:
    """A role held over a unit and its descendants; ``unit_id`` None means the whole tree."""

    role: Role
    unit_id: int | None


@dataclass(frozen=True)
class Principal:
    """The caller of one request.

    A user (``kind`` "user") holds roles over units. A partner (``kind`` "partner") is a
    scoped token: no holdings and no user id (0); it reads the field groups named by
    ``scopes`` on the records of ``unit_ids`` (and their subunits when
    ``include_subunits``), and never writes.
    """

    user_id: int
    username: str
    holdings: tuple[Holding, ...]
    cadre_id: int | None = None
    kind: Literal["user", "partner"] = USER
    token_id: int | None = None
    scopes: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    include_subunits: bool = True
    #: A partner token's own operation limits, ``(measure, limit)`` pairs replacing the
    #: partner defaults (`domain.budgets`); none: the defaults apply.
    budget: tuple[tuple[str, int], ...] = ()

    def holds(self, role: Role) -> bool:
        return any(h.role is role for h in self.holdings)

    @property
    def is_partner(self) -> bool:
        return self.kind == PARTNER
