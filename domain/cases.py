"""The adjustment procedure (调整不适宜担任现职领导干部): stages, decisions, dispositions.

Stages only move forward: VERIFICATION → PROPOSAL → DECISION → TALK → APPOINTMENT,
then APPEAL when the cadre appeals, and CLOSED. Filing an appeal is the only way
into APPEAL, deciding it the only way out.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain import limits
from domain.enums import CadreStatus, CaseStage, Disposition, Rank
from domain.errors import Conflict, InvalidInput

#: Days a cadre has to appeal after being notified of the decision.
APPEAL_WINDOW_DAYS = 30
NOTE_MAX = limits.NOTE
DOCUMENTS_MAX = 20

_NEXT: dict[CaseStage, frozenset[CaseStage]] = {
    CaseStage.VERIFICATION: frozenset({CaseStage.PROPOSAL}),
    CaseStage.PROPOSAL: frozenset({CaseStage.DECISION}),
    CaseStage.DECISION: frozenset({CaseStage.TALK}),
    CaseStage.TALK: frozenset({CaseStage.APPOINTMENT}),
    CaseStage.APPOINTMENT: frozenset({CaseStage.APPEAL, CaseStage.CLOSED}),
    CaseStage.APPEAL: frozenset({CaseStage.CLOSED}),
    CaseStage.CLOSED: frozenset(),
}
_LOWER_RANK = {
    Rank.DIVISION_CHIEF: Rank.DEPUTY_DIVISION_CHIEF,
    Rank.DEPUTY_DIVISION_CHIEF: Rank.SECTION_CHIEF,
    Rank.SECTION_CHIEF: Rank.DEPUTY_SECTION_CHIEF,
}


@dataclass(frozen=True)
class Post:
    """What a disposition changes about a cadre."""

    position: str
    rank: Rank
    status: CadreStatus


def check_advance(current: CaseStage, target: CaseStage) -> None:
    """Refuse a move that is not the next step of the procedure.

    Raises:
        Conflict: when ``target`` does not directly follow ``current``.
    """
    if target not in _NEXT[current]:
        raise Conflict(f"A case at {current.value} cannot move to {target.value}.",
                       field="stage")


def check_note(note: str | None, *, required: bool, field: str = "note") -> str | None:
    """Return the trimmed note; a talk record (谈话记录) is required to complete TALK."""
    text = (note or "").strip()
    if required and not text:
        raise InvalidInput("A record of this step is required.", field=field)
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"The note is longer than {NOTE_MAX} characters.", field=field)
    return text or None


def check_documents(documents: list[str]) -> list[str]:
    """Document references attached to a step: non-empty, short, at most 20."""
    cleaned = [d.strip() for d in documents]
    if len(cleaned) > DOCUMENTS_MAX or any(not d or len(d) > limits.DOCUMENT for d in cleaned):
        raise InvalidInput(f"Give at most {DOCUMENTS_MAX} document references of 1 to "
                           f"{limits.DOCUMENT} characters.", field="documents")
    return cleaned


def check_decision(disposition: Disposition, notified_at: datetime, opened_at: datetime,
                   now: datetime, current: Post, new_position: str | None) -> str | None:
    """Check an organisational decision (组织决定); returns the new position if any.

    Raises:
        InvalidInput: a notification date outside the case's life, a demotion below
            the lowest rank, or a reassignment without the new post.
    """
    if not opened_at <= notified_at <= now:
        raise InvalidInput("The notification date must lie between the opening of the case "
                           "and now.", field="decision.notifiedAt")
    return check_disposition(current, disposition, new_position, prefix="decision.")


def check_disposition(current: Post, disposition: Disposition, new_position: str | None,
                      prefix: str = "") -> str | None:
    """Whether ``disposition`` can apply to ``current``; returns the new post if any."""
    if disposition is Disposition.DEMOTION and current.rank not in _LOWER_RANK:
        raise InvalidInput("The cadre holds the lowest rank and cannot be demoted.",
                           field=f"{prefix}disposition")
    position = (new_position or "").strip() or None
    if disposition is Disposition.REASSIGNMENT and position is None:
        raise InvalidInput("A reassignment needs the new post.", field=f"{prefix}newPosition")
    if position is not None and len(position) > limits.POSITION:
        raise InvalidInput(f"The new post is longer than {limits.POSITION} characters.",
                           field=f"{prefix}newPosition")
    return position


def apply_disposition(post: Post, disposition: Disposition, new_position: str | None) -> Post:
    """The cadre's post after APPOINTMENT carries out the decision (任免)."""
    if disposition is Disposition.REMOVAL:
        return replace(post, status=CadreStatus.REMOVED)
    if disposition is Disposition.DEMOTION:
        return Post(position=new_position or post.position, rank=_LOWER_RANK[post.rank],
                    status=CadreStatus.SERVING)
    if disposition is Disposition.REASSIGNMENT:
        return replace(post, position=new_position or post.position,
                       status=CadreStatus.SERVING)
    if disposition is Disposition.AWAITING_POST:
        return replace(post, status=CadreStatus.AWAITING_POST)
    return replace(post, status=CadreStatus.RANK_TRACK)


def appeal_deadline(notified_at: datetime) -> datetime:
    return notified_at + timedelta(days=APPEAL_WINDOW_DAYS)


def check_can_close(stage: CaseStage, notified_at: datetime | None, now: datetime) -> None:
    """A case closes without appeal only once the cadre's appeal window has passed, and
    never while an appeal against its decision waits for a decision.

    Raises:
        Conflict: naming the appeal window or the pending appeal.
    """
    if stage is CaseStage.APPEAL:
        # Filing moved the case to APPEAL; deciding the appeal closes it, nothing else may.
        raise Conflict("The appeal against this decision is not decided yet; deciding it "
                       "closes the case.", field="stage")
    if stage is CaseStage.APPOINTMENT and notified_at and now <= appeal_deadline(notified_at):
        raise Conflict("The cadre may still appeal until "
                       f"{appeal_deadline(notified_at):%Y-%m-%d}; close the case after that.",
                       field="stage")
