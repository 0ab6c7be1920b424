"""Units (单位): the organisation tree that scopes most access."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry

from api.types.enums import UnitKind


@strawberry.type(
    description="单位 — an organisation; units form a tree (city → county → township)."
)
class Unit:
    id: strawberry.ID
    code: str
    name: str
    kind: UnitKind
    parent_id: strawberry.Private[int | None]

    @strawberry.field
    def parent(self, info: strawberry.Info) -> "Unit | None":
        return info.context.units.get(self.parent_id)

    @strawberry.field
    def children(self, info: strawberry.Info) -> list["Unit"]:
        return info.context.units.children(int(self.id))


class UnitIndex:
    """All units of one request, as GraphQL objects, by id and by parent."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.by_id = {row.id: unit_from_row(row) for row in rows}
        self._children: dict[int | None, list[Unit]] = defaultdict(list)
        for unit in self.by_id.values():
            self._children[unit.parent_id].append(unit)

    def get(self, unit_id: int | None) -> Unit | None:
        return None if unit_id is None else self.by_id.get(unit_id)

    def children(self, unit_id: int) -> list[Unit]:
        return self._children.get(unit_id, [])

    def edges(self) -> list[tuple[int, int | None]]:
        return [(unit_id, unit.parent_id) for unit_id, unit in self.by_id.items()]


def unit_from_row(row: Any) -> Unit:
    return Unit(id=strawberry.ID(str(row.id)), code=row.code, name=row.name, kind=row.kind,
                parent_id=row.parent_id)
