"""Appeals (申诉): deadlines, separation of duties, outcomes.

Filed by the cadre himself within 30 days of being notified of the decision; the
department decides within 60 days of accepting it, extendable once by at most 30
days. The reviewer must not be the person who recorded the decision, nor the
cadre himself.
"""

from datetime import datetime, timedelta

from domain import duties, limits
from domain.cases import appeal_deadline
from domain.enums import AppealOutcome, AppealStatus, CaseStage, Disposition
from domain.errors import Conflict, InvalidInput

DECISION_DAYS = 60
EXTENSION_MAX_DAYS = 30
GROUNDS_MAX = limits.GROUNDS


def check_filing(stage: CaseStage, notified_at: datetime | None, now: datetime,
                 grounds: str) -> str:
    """Return the trimmed grounds of an appeal that may be filed now.

    Raises:
        Conflict: the case is not at APPOINTMENT (the decision is not carried out yet,
            or the case moved on).
        InvalidInput: past the 30-day deadline, or no grounds given.
    """
    if stage is not CaseStage.APPOINTMENT or notified_at is None:
        raise Conflict("An appeal can be filed once the decision has been carried out "
                       "(stage APPOINTMENT).", field="caseId")
    deadline = appeal_deadline(notified_at)
    if now > deadline:
        raise InvalidInput(f"The 30-day deadline for an appeal ended on {deadline:%Y-%m-%d}.",
                           field="deadline")
    text = grounds.strip()
    if not text or len(text) > GROUNDS_MAX:
        raise InvalidInput(f"The grounds must be 1 to {GROUNDS_MAX} characters.",
                           field="grounds")
    return text


def check_status(current: AppealStatus, expected: AppealStatus) -> None:
    if current is not expected:
        raise Conflict(f"The appeal is {current.value}, not {expected.value}.", field="status")


def decision_due(accepted_at: datetime) -> datetime:
    return accepted_at + timedelta(days=DECISION_DAYS)


def extended_due(due_at: datetime, already_extended: bool, days: int, now: datetime) -> datetime:
    """The new due date after the one allowed extension of at most 30 days."""
    if already_extended:
        raise Conflict("The decision on this appeal has already been extended once.",
                       field="days")
    if not 1 <= days <= EXTENSION_MAX_DAYS:
        raise InvalidInput(f"An extension is 1 to {EXTENSION_MAX_DAYS} days.", field="days")
    if now > due_at:
        raise Conflict("The appeal is already overdue; it can no longer be extended.",
                       field="days")
    return due_at + timedelta(days=days)


def check_reviewer(reviewer_id: int, decided_by: int | None,
                   reviewer_cadre_id: int | None, case_cadre_id: int) -> None:
    """Separation of duties for accepting, extending and deciding an appeal.

    The officer who recorded the decision may not review the appeal, and nobody
    reviews an appeal about himself, whatever roles he holds.

    Raises:
        Forbidden: with reason RECORDED_THE_DECISION or OWN_CASE.
    """
    duties.check_not_about_self(reviewer_cadre_id, case_cadre_id)
    duties.check_not_decision_maker(reviewer_id, decided_by)


def restored_units(outcome: AppealOutcome, previous_unit_id: int | None,
                   current_unit_id: int) -> set[int]:
    """The units a decision on the appeal writes to besides the cadre's present one.

    REVOKED puts the cadre back in the unit he held before the case: a write there,
    which the reviewer needs the right to make, as updateCadre would.
    """
    if outcome is AppealOutcome.REVOKED and previous_unit_id is not None \
            and previous_unit_id != current_unit_id:
        return {previous_unit_id}
    return set()


def check_outcome(outcome: AppealOutcome, disposition: Disposition | None) -> None:
    """REVISED needs the new disposition; the others take none."""
    if outcome is AppealOutcome.REVISED and disposition is None:
        raise InvalidInput("A revised decision needs its new disposition.", field="disposition")
    if outcome is not AppealOutcome.REVISED and disposition is not None:
        raise InvalidInput("Only a revised decision takes a disposition.", field="disposition")


def is_overdue(status: AppealStatus, due_at: datetime | None, now: datetime) -> bool:
    return status is AppealStatus.ACCEPTED and due_at is not None and now > due_at
