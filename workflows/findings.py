"""Reporting and verifying negative-list findings (discipline inspection)."""

from dataclasses import dataclass
from datetime import datetime

from authz.scope import Scope, require_write
from db import audit
from db.models import Finding, NegativeListItem
from db.uow import UnitOfWork
from domain import findings as rules
from domain.enums import FindingSource, FindingStatus
from domain.errors import NotFound
from workflows.records import field_names, update_versioned, visible_cadre, visible_record


@dataclass(frozen=True)
class NewFinding:
    cadre_id: int
    item_code: str
    source: FindingSource
    description: str
    evidence: str | None = None
    informant: str | None = None
    reported_at: datetime | None = None


async def report_finding(uow: UnitOfWork, scope: Scope, new: NewFinding, now: datetime) -> int:
    """Record a reported instance of a negative-list item against a cadre."""
    description = rules.check_description(new.description)
    reported_at = new.reported_at or now
    rules.check_reported_at(reported_at, now)
    cadre = await visible_cadre(uow.session, scope, new.cadre_id)
    written = ["Finding.item", "Finding.source", "Finding.description", "Finding.status"]
    written += ["Finding.evidence"] if new.evidence is not None else []
    written += ["Finding.informant"] if new.informant is not None else []
    require_write(scope, scope.cadre_grants(cadre.unit_id, cadre.id), written)
    item = await uow.session.get(NegativeListItem, new.item_code)
    if item is None or not item.active:
        raise NotFound(f"No active negative-list item {new.item_code}.", field="itemCode")
    finding = Finding(cadre_id=cadre.id, item_code=item.code, source=new.source,
                      description=description, evidence=new.evidence,
                      informant=new.informant, status=FindingStatus.REPORTED,
                      reported_at=reported_at, version=1)
    uow.session.add(finding)
    await uow.session.flush()
    await audit.record(uow.session, actor=scope.principal, operation="reportFinding",
                       record_type="Finding", record_ids=[finding.id],
                       fields=field_names(written), at=now)
    await uow.complete()
    return finding.id


#: The mutation that moves a finding to each status, named in the audit trail.
_OPERATIONS = {FindingStatus.UNDER_VERIFICATION: "startFindingVerification",
               FindingStatus.CONFIRMED: "confirmFinding",
               FindingStatus.DISMISSED: "dismissFinding"}


async def move_finding(uow: UnitOfWork, scope: Scope, finding_id: int, version: int,
                       target: FindingStatus, now: datetime) -> int:
    """Advance a finding: start verification, then confirm or dismiss it."""
    finding, cadre = await visible_record(uow.session, scope, Finding, finding_id, "finding")
    require_write(scope, scope.cadre_grants(cadre.unit_id, cadre.id), ["Finding.status"])
    rules.check_transition(finding.status, target)
    values: dict[str, object] = {"status": target}
    if target is FindingStatus.UNDER_VERIFICATION:
        values["verification_started_at"] = now
    else:
        values["concluded_at"] = now
    await update_versioned(uow.session, Finding, finding.id, version, values)
    written = ["status", "verificationStartedAt"
               if target is FindingStatus.UNDER_VERIFICATION else "concludedAt"]
    await audit.record(uow.session, actor=scope.principal, operation=_OPERATIONS[target],
                       record_type="Finding", record_ids=[finding.id], fields=written, at=now)
    await uow.complete()
    return finding.id
