"""The caller himself (`me`) and user accounts as the system admin sees them."""

from typing import Any

import strawberry

from api.types.cadres import Allowed, Cadre
from api.types.enums import Role
from api.types.units import Unit


@strawberry.type(description="A role held over a unit and its subunits (no unit: held globally).")
class RoleHolding:
    role: Role
    unit_id: strawberry.Private[int | None]

    @strawberry.field
    def unit(self, info: strawberry.Info) -> Unit | None:
        return info.context.units.get(self.unit_id)


@strawberry.type(description="The authenticated caller.")
class Me:
    username: str
    roles: list[RoleHolding]
    cadre: Cadre | None = strawberry.field(description="His own cadre record, if he is a cadre.")


@strawberry.type(description="A user account (system admin only; no personal data).")
class UserAccount:
    id: strawberry.ID
    username: str | None
    display_name: str | None
    active: bool | None
    roles: list[RoleHolding] | None
    allowed: Allowed


def holdings_from_rows(rows: list[Any]) -> list[RoleHolding]:
    return [RoleHolding(role=row.role, unit_id=row.unit_id) for row in rows]
