"""Reference data and its installer.

The negative list (负面清单), the "8种类型"干部 labels, and the positive and negative lists of
fault tolerance (容错纠错).

The catalogues are data the organization department may edit later; this module only holds the
defaults a fresh database starts with.
"""

from typing import NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CadreTypeLabel, NegativeListItem, ToleranceItem
from domain.enums import ToleranceListKind


class NegativeListEntry(NamedTuple):
    """One default item of the negative list."""

    code: str
    title: str
    gloss: str
    category: str


class ToleranceEntry(NamedTuple):
    """One default item of the fault-tolerance lists (容错纠错清单)."""

    code: str
    kind: ToleranceListKind
    title: str
    gloss: str


class CadreTypeEntry(NamedTuple):
    """One default label of the conduct campaign."""

    code: str
    title: str
    gloss: str


# N01–N04 are named in the seed document; the rest follow the themes of the 2022 national
# provisions on cadres who are unsuitable for their posts (推进领导干部能上能下规定).
NEGATIVE_LIST: tuple[NegativeListEntry, ...] = (
    NegativeListEntry("N01", "管理松软、失职失责",
                      "Lax management; dereliction of duty", "responsibility"),
    NegativeListEntry("N02", "挑三拣四、作风拖沓",
                      "Picking and choosing tasks; sluggish, dilatory work style", "conduct"),
    NegativeListEntry("N03", "得过且过、阳奉阴违",
                      "Muddling through; feigned compliance with instructions", "conduct"),
    NegativeListEntry("N04", "心态佛系、状态躺平、工作摆烂",
                      "Indifferent mindset, 'lying flat', letting work go to ruin",
                      "responsibility"),
    NegativeListEntry("N05", "政治能力不强、理想信念动摇",
                      "Weak political capability and judgement; wavering ideals and conviction",
                      "political"),
    NegativeListEntry("N06", "急难险重任务面前推拖绕躲",
                      "Shirking, stalling or dodging hard, urgent and risky tasks",
                      "responsibility"),
    NegativeListEntry("N07", "政绩观错位、热衷形象工程",
                      "Distorted view of achievement: vanity projects, inaction on development",
                      "capability"),
    NegativeListEntry("N08", "违反民主集中制、搞圈子团伙",
                      "Breaching democratic centralism; cronyism and factions", "discipline"),
    NegativeListEntry("N09", "组织纪律性不强",
                      "Weak organisational discipline: unreported personal matters, "
                      "refusing a transfer", "discipline"),
    NegativeListEntry("N10", "领导能力不足、工作长期落后",
                      "Insufficient leadership; the work has lagged behind for a long time",
                      "capability"),
    NegativeListEntry("N11", "形式主义、官僚主义问题突出",
                      "Pronounced formalism and bureaucratism", "conduct"),
    NegativeListEntry("N12", "道德品行不端",
                      "Poor personal conduct and ethics", "integrity"),
    NegativeListEntry("N13", "亲属经商办企业引发利益冲突",
                      "Conflicts of interest arising from relatives' business activities",
                      "integrity"),
    NegativeListEntry("N14", "身体原因超过一年不能正常履职",
                      "Ill health preventing normal performance of duty for over a year",
                      "health"),
)

CADRE_TYPE_LABELS: tuple[CadreTypeEntry, ...] = (
    CadreTypeEntry("OLD_FASHIONED", "守旧型", "Clings to old ways; resists reform and new ideas"),
    CadreTypeEntry("PUPPET", "木偶型", "Moves only when pushed; no initiative of his own"),
    CadreTypeEntry("LYING_FLAT", "躺平型", "'Lies flat': content to do the minimum"),
    CadreTypeEntry("INDIFFERENT", "佛系型", "Indifferent to results; avoids any pressure"),
    CadreTypeEntry("BUCK_PASSING", "推诿型", "Passes the buck; pushes problems to others"),
    CadreTypeEntry("SLACK", "懒散型", "Lax and idle; undisciplined work habits"),
    CadreTypeEntry("BOASTFUL", "浮夸型", "Exaggerates achievements; show over substance"),
    CadreTypeEntry("CLIQUE", "圈子型", "Builds personal circles and cliques"),
)


# 三个区分开来: errors made while daring to act for the public good may be excused (P);
# errors rooted in self-interest or defiance of rules never are (X).
_P, _X = ToleranceListKind.POSITIVE, ToleranceListKind.NEGATIVE
TOLERANCE_LIST: tuple[ToleranceEntry, ...] = (
    ToleranceEntry("P01", _P, "改革创新、先行先试中出现失误，且未谋取私利",
                   "Honest mistakes in reform pilots and trial-first work, with no personal gain"),
    ToleranceEntry("P02", _P, "探索性工作中因缺乏经验出现失误，且未谋取私利",
                   "Mistakes in exploratory work without precedent or experience, "
                   "with no personal gain"),
    ToleranceEntry("P03", _P, "政策界限不明确、上级尚无明令禁止情况下出现失误",
                   "Mistakes where policy boundaries were unclear and no explicit prohibition "
                   "existed"),
    ToleranceEntry("P04", _P, "经集体决策、按规定程序推进工作中出现失误",
                   "Mistakes in work carried out on a collective decision following the "
                   "prescribed procedure"),
    ToleranceEntry("P05", _P, "应对突发事件、紧急情况采取临时处置措施出现偏差",
                   "Deviations from urgent interim measures taken in emergencies"),
    ToleranceEntry("X01", _X, "为个人、亲友或小团体谋取私利",
                   "Seeking personal gain for oneself, relatives or a clique"),
    ToleranceEntry("X02", _X, "违反中央八项规定精神",
                   "Violating the central eight-point rules on conduct"),
    ToleranceEntry("X03", _X, "贪污受贿、以权谋私等腐败行为",
                   "Corruption: embezzlement, bribery, abuse of power for private ends"),
    ToleranceEntry("X04", _X, "经提醒警示后仍重复出错",
                   "Repeating the same error after being reminded or warned"),
    ToleranceEntry("X05", _X, "明知故犯、故意违纪违法",
                   "Knowingly and deliberately violating discipline or law"),
    ToleranceEntry("X06", _X, "隐瞒问题、弄虚作假、掩盖过错",
                   "Concealing problems, falsifying records or covering up errors"),
)


async def install_catalogue(session: AsyncSession) -> bool:
    """Insert the default catalogues where their tables are still empty.

    Each catalogue is installed on its own: a table that already holds items may have been
    edited by the department and is left alone, so a database created before a catalogue
    existed still receives it. Nothing is committed.

    Args:
        session: The session to write through; the caller commits.

    Returns:
        True when any catalogue was written, False when all were already there.
    """
    negative = await _install_negative_list(session)
    tolerance = await _install_tolerance_lists(session)
    return negative or tolerance


async def _install_negative_list(session: AsyncSession) -> bool:
    """The negative list, and the campaign labels with it (only codes still missing)."""
    count = await session.scalar(select(func.count()).select_from(NegativeListItem))
    if count:
        return False
    await session.execute(
        insert(NegativeListItem),
        [{**entry._asdict(), "active": True} for entry in NEGATIVE_LIST],
    )
    present = set(await session.scalars(select(CadreTypeLabel.code)))
    missing = [entry._asdict() for entry in CADRE_TYPE_LABELS if entry.code not in present]
    if missing:
        await session.execute(insert(CadreTypeLabel), missing)
    return True


async def _install_tolerance_lists(session: AsyncSession) -> bool:
    """The positive and negative lists of fault tolerance."""
    if await session.scalar(select(func.count()).select_from(ToleranceItem)):
        return False
    await session.execute(
        insert(ToleranceItem),
        [{**entry._asdict(), "active": True} for entry in TOLERANCE_LIST],
    )
    return True
