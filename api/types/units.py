"""Units (单位): the organisation tree that scopes most access."""

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
    async def parent(self, info: strawberry.Info) -> "Unit | None":
        if self.parent_id is None:
            return None
        return unit_from_row(await info.context.loaders.units.load(self.parent_id))

    @strawberry.field
    async def children(self, info: strawberry.Info) -> list["Unit"]:
        rows = await info.context.loaders.unit_children.load(int(self.id))
        return [unit_from_row(row) for row in rows]


def unit_from_row(row: Any) -> Unit:
    return Unit(id=strawberry.ID(str(row.id)), code=row.code, name=row.name, kind=row.kind,
                parent_id=row.parent_id)
