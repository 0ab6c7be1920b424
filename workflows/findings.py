"""Reporting and verifying negative-list findings (discipline inspection)."""

from dataclasses import dataclass
from datetime import datetime

from authz.scope import Scope
from db.models import Finding, NegativeListItem
from db.repositories.records import update_versioned, visible_cadre, visible_record
from db.uow import UnitOfWork
from domain import findings as rules
from domain.enums import FindingSource, FindingStatus
from domain.errors import NotFound
from workflows.records import Written


@dataclass(frozen=True)
class NewFinding:
    cadre_id: int
    item_code: str
    source: FindingSource
    description: str
    evidence: str | None = None
    informant: str | None = None
    reported_at: datetime | None = None


async def report_finding(uow: UnitOfWork, scope: Scope, new: NewFinding,
                         now: datetime) -> Written[Finding]:
    """Record a reported instance of a negative-list item against a cadre; returns it."""
    description = rules.check_description(new.description)
    reported_at = new.reported_at or now
    rules.check_reported_at(reported_at, now)
    cadre = await visible_cadre(uow.session, scope, new.cadre_id)
    written = ["item_code", "source", "description", "status"]
    written += ["evidence"] if new.evidence is not None else []
    written += ["informant"] if new.informant is not None else []
    grants = scope.cadre_grants(cadre.unit_id, cadre.id)
    uow.authorize(scope, grants, written)
    item = await uow.session.get(NegativeListItem, new.item_code)
    if item is None or not item.active:
        raise NotFound(f"No active negative-list item {new.item_code}.", field="itemCode")
    finding = Finding(cadre_id=cadre.id, item_code=item.code, source=new.source,
                      description=description, evidence=new.evidence,
                      informant=new.informant, status=FindingStatus.REPORTED,
                      reported_at=reported_at, version=1)
    uow.session.add(finding)
    await uow.session.flush()
    await uow.complete([finding.id], at=now)
    return Written(finding, grants)


async def move_finding(uow: UnitOfWork, scope: Scope, finding_id: int, version: int,
                       target: FindingStatus, now: datetime) -> Written[Finding]:
    """Advance a finding: start verification, then confirm or dismiss it; returns it."""
    finding, cadre = await visible_record(uow.session, scope, Finding, finding_id, "finding")
    grants = scope.cadre_grants(cadre.unit_id, cadre.id)
    uow.authorize(scope, grants, ["status"])
    rules.check_transition(finding.status, target)
    values: dict[str, object] = {"status": target}
    if target is FindingStatus.UNDER_VERIFICATION:
        values["verification_started_at"] = now
    else:
        values["concluded_at"] = now
    uow.authorize(scope, grants, values)
    await update_versioned(uow.session, Finding, finding.id, version, values)
    await uow.complete([finding.id], at=now)
    # The update refreshed the session's copy of the row: it is the finding as written.
    return Written(finding, grants)
