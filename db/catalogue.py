"""Reference data: the negative list (负面清单) and the "8种类型"干部 labels, with an installer.

The catalogues are data the organization department may edit later; this module only holds the
defaults a fresh database starts with.
"""

from typing import NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CadreTypeLabel, NegativeListItem


class NegativeListEntry(NamedTuple):
    """One default item of the negative list."""

    code: str
    title: str
    gloss: str
    category: str


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


async def install_catalogue(session: AsyncSession) -> bool:
    """Insert the default catalogues into an empty database.

    The negative-list table decides: when it already holds items, the department may have edited
    them and nothing is written. Labels are inserted only where their code is still missing, so
    a half-installed database does not fail on a duplicate key. Nothing is committed.

    Args:
        session: The session to write through; the caller commits.

    Returns:
        True when the catalogues were written, False when they were already there.
    """
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
