"""Who is calling: the authenticated user with his role holdings."""

from dataclasses import dataclass

from domain.enums import Role


@dataclass(frozen=True)
class Holding:
    """A role held over a unit and its descendants; ``unit_id`` None means the whole tree."""

    role: Role
    unit_id: int | None


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    holdings: tuple[Holding, ...]
    cadre_id: int | None = None

    def holds(self, role: Role) -> bool:
        return any(h.role is role for h in self.holdings)
