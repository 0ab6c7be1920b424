"""The follow-up file on an adjusted cadre (逐人建档): opening, re-checks, retraining, reading.

A follow-up is visible as its cadre is: ``FollowUp.id`` read in jurisdiction or on
one's own file, filtered in SQL. A follow-up out of scope answers NOT_FOUND, as a
missing one does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.scope import Scope
from db.models import FollowUp, FollowUpCheck, Retraining
from db.repositories import followups as follow_up_repository
from db.repositories.records import flush_unique
from db.uow import UnitOfWork
from domain import followups as rules
from domain import ids
from domain.errors import NotFound


async def open_follow_up(session: AsyncSession, case_id: int, cadre_id: int, now: datetime,
                         *, recheck_months: int = rules.RECHECK_MONTHS) -> int:
    """Open the follow-up file of a case reaching APPOINTMENT; returns its id.

    Runs inside the caller's transaction: it neither commits nor records an audit
    event (the caller's event covers the transition that opened it).

    Raises:
        Conflict: when the case already has a follow-up.
    """
    follow_up = FollowUp(case_id=case_id, cadre_id=cadre_id, opened_at=now,
                         next_check_due=rules.next_check_due(now, recheck_months))
    session.add(follow_up)
    await flush_unique(session, "The case already has a follow-up.", "caseId")
    return follow_up.id


async def _visible(uow: UnitOfWork, scope: Scope, follow_up_id: int) -> tuple[FollowUp, int]:
    """The follow-up (locked) and its cadre's unit; NOT_FOUND when missing or out of scope."""
    found = (await follow_up_repository.get_locked(uow.session, scope, follow_up_id)
             if ids.in_range(follow_up_id) else None)
    if found is None:
        raise NotFound(f"No follow-up with id {follow_up_id}.", field="followUpId")
    return found[0], found[1]


async def record_recheck(uow: UnitOfWork, scope: Scope, follow_up_id: int, note: str,
                         now: datetime, *, recheck_months: int = rules.RECHECK_MONTHS) -> int:
    """Record a periodic re-check (定期复检); the next one falls due ``recheck_months`` on."""
    text = rules.check_note(note)
    follow_up, unit_id = await _visible(uow, scope, follow_up_id)
    uow.authorize(scope, scope.cadre_grants(unit_id, follow_up.cadre_id),
                  ["checks", "next_check_due"])
    rules.check_open(follow_up.closed_at)
    uow.session.add(FollowUpCheck(follow_up_id=follow_up.id, checked_by=scope.principal.user_id,
                                  checked_at=now, note=text))
    follow_up.next_check_due = rules.next_check_due(now, recheck_months)
    await uow.session.flush()
    await uow.complete([follow_up.id, follow_up.cadre_id], at=now)
    return follow_up.id


async def record_retraining(uow: UnitOfWork, scope: Scope, follow_up_id: int, course: str,
                            started_on: date, completed_on: date | None,
                            now: datetime) -> int:
    """Record retraining (回炉重造) in the follow-up file."""
    name = rules.check_retraining(course, started_on, completed_on, now.date())
    follow_up, unit_id = await _visible(uow, scope, follow_up_id)
    uow.authorize(scope, scope.cadre_grants(unit_id, follow_up.cadre_id), ["retrainings"])
    rules.check_open(follow_up.closed_at)
    uow.session.add(Retraining(follow_up_id=follow_up.id, course=name, started_on=started_on,
                               completed_on=completed_on))
    await uow.session.flush()
    await uow.complete([follow_up.id, follow_up.cadre_id], at=now)
    return follow_up.id


# --- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpFile:
    """A follow-up with its re-checks (newest first) and retraining (earliest first)."""

    row: Any
    unit_id: int
    overdue: bool
    checks: Sequence[Any]
    retrainings: Sequence[Any]


async def list_follow_ups(session: AsyncSession, scope: Scope, unit_ids: frozenset[int] | None,
                          overdue_only: bool, now: datetime,
                          follow_up_id: int | None = None) -> list[FollowUpFile]:
    """Visible follow-ups, most urgent first, with their checks and retraining.

    Three statements whatever the number of follow-ups.
    """
    rows = [row for row in await follow_up_repository.list_files(session, scope, unit_ids,
                                                                  follow_up_id)
            if not overdue_only or rules.is_overdue(row.next_check_due, now, row.closed_at)]
    ids = [row.id for row in rows]
    if not ids:
        return []
    checks = await follow_up_repository.list_checks(session, ids)
    trainings = await follow_up_repository.list_retrainings(session, ids)
    return [FollowUpFile(row=row, unit_id=row.cadre_unit_id,
                         overdue=rules.is_overdue(row.next_check_due, now, row.closed_at),
                         checks=checks.get(row.id, []), retrainings=trainings.get(row.id, []))
            for row in rows]
