"""Creating and updating cadre records (organization department)."""

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from authz.scope import Scope
from db import audit
from db.models import Cadre
from db.repositories import cadres as cadre_repository
from db.repositories import units
from db.repositories.records import flush_unique, update_versioned, visible_cadre
from db.uow import UnitOfWork
from domain import cadres as rules
from domain.enums import CadreStatus, Gender, LeadershipRole, Rank
from domain.errors import Conflict, InvalidInput, NotFound
from workflows.records import Written


@dataclass(frozen=True)
class NewCadre:
    name: str
    gender: Gender
    birth_date: date
    id_number: str
    unit_id: int
    position: str
    rank: Rank
    leadership_role: LeadershipRole
    phone: str | None = None
    status: CadreStatus = CadreStatus.SERVING


@dataclass(frozen=True)
class CadreChanges:
    cadre_id: int
    version: int
    name: str | None = None
    phone: str | None = None
    unit_id: int | None = None
    position: str | None = None
    rank: Rank | None = None
    leadership_role: LeadershipRole | None = None
    status: CadreStatus | None = None


async def _require_unit(uow: UnitOfWork, unit_id: int) -> None:
    if not await units.exists(uow.session, unit_id):
        raise NotFound(f"No unit with id {unit_id}.", field="unitId")


async def create_cadre(uow: UnitOfWork, scope: Scope, new: NewCadre,
                       now: datetime) -> Written[Cadre]:
    """Add a cadre to a unit in the caller's jurisdiction; returns the cadre written."""
    values = {
        "name": rules.check_name(new.name),
        "id_number": rules.check_id_number(new.id_number, new.birth_date),
        "position": rules.check_position(new.position),
        "phone": rules.check_phone(new.phone) if new.phone else None,
    }
    rules.check_birth_date(new.birth_date, now.date())
    await _require_unit(uow, new.unit_id)
    grants = scope.unit_grants.get(new.unit_id, frozenset())
    uow.authorize(scope, grants, [f.name for f in fields(NewCadre)])
    cadre = Cadre(**{**{f.name: getattr(new, f.name) for f in fields(NewCadre)}, **values},
                  version=1, created_at=now, updated_at=now)
    uow.session.add(cadre)
    try:
        await flush_unique(uow.session, "A cadre with this identity number exists.",
                           "idNumber")
    except Conflict:
        await _record_clash(uow, scope, str(values["id_number"]), now)
        raise
    await uow.complete([cadre.id], at=now)
    return Written(cadre, scope.cadre_grants(cadre.unit_id, cadre.id))


async def _record_clash(uow: UnitOfWork, scope: Scope, id_number: str, now: datetime) -> None:
    """Put a refused creation on the audit trail, though the creation is rolled back.

    The CONFLICT tells the caller that the identity number is held, perhaps by a cadre
    outside his jurisdiction (inherent to uniqueness): auditors must see who probed.
    """

    async def record() -> None:
        holder = await cadre_repository.holder_of(uow.session, id_number)
        await audit.record(uow.session, actor=scope.principal, operation="createCadreRefused",
                           record_type="Cadre", record_ids=[holder] if holder else [],
                           fields=["idNumber"], at=now)

    uow.despite_rollback(record)
    if not uow.deferred:
        await uow.rollback()


async def update_cadre(uow: UnitOfWork, scope: Scope, changes: CadreChanges,
                       now: datetime) -> Written[Any]:
    """Change fields of a cadre record, guarded by its version; returns the row written."""
    row = await visible_cadre(uow.session, scope, changes.cadre_id, field="id")
    values = {f.name: getattr(changes, f.name) for f in fields(CadreChanges)
              if f.name not in ("cadre_id", "version") and getattr(changes, f.name) is not None}
    if not values:
        raise InvalidInput("Nothing to change: give at least one field.", field="input")
    if "name" in values:
        values["name"] = rules.check_name(values["name"])
    if "position" in values:
        values["position"] = rules.check_position(values["position"])
    if "phone" in values:
        values["phone"] = rules.check_phone(values["phone"])
    uow.authorize(scope, scope.cadre_grants(row.unit_id, row.id), values)
    if "unit_id" in values:
        await _require_unit(uow, values["unit_id"])
        uow.authorize(scope, scope.unit_grants.get(values["unit_id"], frozenset()), ["unit_id"])
    written = await update_versioned(uow.session, Cadre, row.id, changes.version,
                                     {**values, "updated_at": now})
    await uow.complete([row.id], at=now)
    return Written(written, scope.cadre_grants(written.unit_id, written.id))
