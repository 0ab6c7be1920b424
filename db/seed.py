"""Deterministic demo data: a fictional city, its cadres, evaluations, findings and demo users.

Everything is drawn from one ``random.Random(seed)`` and dated from a fixed base time, so the
same ``size`` and ``seed`` always give the same rows. Rows are written with Core bulk inserts and
primary keys assigned here, which lets children reference parents without round trips.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.catalogue import CADRE_TYPE_LABELS, NEGATIVE_LIST, install_catalogue
from db.models import (
    AdjustmentCase,
    Appeal,
    Base,
    Cadre,
    CadreLabel,
    CaseFinding,
    CaseStep,
    Evaluation,
    Finding,
    FollowUp,
    RoleAssignment,
    Unit,
    User,
)
from db.policy_store import install_default_policy
from db.seed_procedure import build_procedure
from domain.cadres import id_number_check_digit
from domain.enums import (
    CadreStatus,
    EvaluationPeriod,
    EvaluationSource,
    FindingSource,
    FindingStatus,
    Gender,
    Grade,
    LeadershipRole,
    Rank,
    Role,
    UnitKind,
)

Row = dict[str, Any]

#: The seed's "now"; nothing it writes is dated later.
BASE_TIME = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
EVALUATION_YEARS = (2023, 2024, 2025)
#: Rows per INSERT call: large enough to amortise round trips, small enough for driver limits.
CHUNK_ROWS = 4000
#: Told ``(phase, rows done, rows of the phase)`` after each batch: a large seed runs for a
#: minute, and the CLI shows an operator where it is.
SeedProgress = Callable[[str, int, int], None]
#: Usernames of the demo accounts, in the order the CLI prints their tokens.
DEMO_ACCOUNTS = ("demo-org", "demo-org-county", "demo-discipline", "demo-cadre", "demo-admin")
#: Tables whose integer ids the seed assigns itself (PostgreSQL sequences must follow).
SERIAL_TABLES = ("units", "cadres", "evaluations", "findings", "users", "role_assignments",
                 "adjustment_cases", "case_steps", "appeals", "follow_ups")

P, D, M = LeadershipRole.PRINCIPAL, LeadershipRole.DEPUTY, LeadershipRole.MEMBER
DC, DDC = Rank.DIVISION_CHIEF, Rank.DEPUTY_DIVISION_CHIEF
SC, DSC = Rank.SECTION_CHIEF, Rank.DEPUTY_SECTION_CHIEF

Post = tuple[str, LeadershipRole, Rank]
ExtraPosts = dict[LeadershipRole, list[tuple[str, Rank]]]


@dataclass(frozen=True)
class SeedSummary:
    """What :func:`seed_demo` wrote."""

    units: int
    cadres: int
    evaluations: int
    findings: int
    users: int
    demo_cadre_id: int


@dataclass(frozen=True)
class _UnitSpec:
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    weight: int  # relative share of the cadres

    def row(self) -> Row:
        return {"id": self.id, "code": self.code, "name": self.name, "kind": self.kind,
                "parent_id": self.parent_id}


# --- the unit tree ---------------------------------------------------------------------------

CITY_NAME = "鹤州市"
COUNTIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("鹤城区", ("城东街道", "城西街道", "凉亭镇")),
    ("中方县", ("中方镇", "桐木镇", "花桥镇", "铜湾镇")),
    ("溆浦县", ("卢峰镇", "低庄镇", "龙潭镇", "桥江镇")),
)
AGENCIES = ("市发展和改革委员会", "市财政局", "市教育局")
# Counties and agencies carry whole departments of leading cadres, townships only a small team.
_WEIGHTS = {UnitKind.CITY: 2, UnitKind.COUNTY: 10, UnitKind.AGENCY: 8, UnitKind.TOWNSHIP: 3}


def build_units() -> list[_UnitSpec]:
    """The fixed unit tree: the city, its counties and agencies, the counties' townships."""
    units = [_UnitSpec(1, "C", CITY_NAME, UnitKind.CITY, None, _WEIGHTS[UnitKind.CITY])]
    for n, (name, _) in enumerate(COUNTIES, start=1):
        units.append(_UnitSpec(len(units) + 1, f"C-K{n}", name, UnitKind.COUNTY, 1,
                               _WEIGHTS[UnitKind.COUNTY]))
    for n, name in enumerate(AGENCIES, start=1):
        units.append(_UnitSpec(len(units) + 1, f"C-A{n}", name, UnitKind.AGENCY, 1,
                               _WEIGHTS[UnitKind.AGENCY]))
    for n, (_, townships) in enumerate(COUNTIES, start=1):
        county_id = 1 + n
        for t, name in enumerate(townships, start=1):
            units.append(_UnitSpec(len(units) + 1, f"C-K{n}-T{t}", name, UnitKind.TOWNSHIP,
                                   county_id, _WEIGHTS[UnitKind.TOWNSHIP]))
    return units


def subtree_ids(units: Sequence[_UnitSpec], root_id: int) -> set[int]:
    """Ids of ``root_id`` and all units below it."""
    found = {root_id}
    for unit in units:  # parents precede children, so one pass suffices
        if unit.parent_id in found:
            found.add(unit.id)
    return found


# --- posts -----------------------------------------------------------------------------------

_COUNTY_DEPARTMENTS = (
    "发展和改革局", "财政局", "教育局", "自然资源局", "住房和城乡建设局", "交通运输局",
    "农业农村局", "水利局", "商务局", "卫生健康局", "应急管理局", "市场监督管理局",
    "人力资源和社会保障局", "民政局", "司法局", "审计局",
)
_AGENCY_OFFICES = ("办公室", "政策法规科", "综合规划科", "人事科", "财务科", "监督检查科")
_CITY_SECTIONS = ("市委办公室综合科", "市委办公室秘书科", "市委办公室信息科",
                  "市政府办公室综合科", "市政府办公室督查科", "市委政策研究室综合科")
_TOWNSHIP_CENTRES = ("农业综合服务中心主任", "社会事务综合服务中心主任",
                     "综合行政执法队队长", "退役军人服务站站长")
# Beyond the unit's own team, posts in its departments are drawn with these role weights.
_EXTRA_ROLE_WEIGHTS = ((P, 20), (D, 50), (M, 30))


def _team_posts(unit: _UnitSpec) -> list[Post]:
    """The unit's own leadership team, given in order to its first cadres (one holder each)."""
    if unit.kind is UnitKind.CITY:
        return [("市委办公室主任", P, DC), ("市政府办公室主任", P, DC),
                ("市委副秘书长", D, DC), ("市政府副秘书长", D, DC),
                ("市委办公室副主任", D, DDC), ("市政府办公室副主任", D, DDC),
                ("市委办公室机关党委书记", M, DDC)]
    if unit.kind is UnitKind.COUNTY:
        p = unit.name[-1]  # 县 or 区
        return [(f"{p}委书记", P, DC), (f"{p}长", P, DC),
                (f"{p}委副书记", D, DDC), (f"常务副{p}长", D, DDC),
                (f"副{p}长", D, DDC), (f"副{p}长", D, DDC),
                (f"{p}委常委、组织部部长", M, DDC), (f"{p}委常委、纪委书记", M, DDC),
                (f"{p}委常委、宣传部部长", M, DDC), (f"{p}委常委、政法委书记", M, DDC)]
    if unit.kind is UnitKind.AGENCY:
        head = "主任" if unit.name.endswith("委员会") else "局长"
        return [(f"党组书记、{head}", P, DC), (f"党组成员、副{head}", D, DDC),
                (f"副{head}", D, DDC), (f"市纪委监委驻{unit.name}纪检监察组组长", M, DDC),
                ("党组成员", M, DDC)]
    party, head, deputy = _township_titles(unit.name)
    discipline = "纪工委书记" if party == "党工委" else "纪委书记"
    return [(f"{party}书记", P, SC), (head, P, SC), (f"{party}副书记", D, DSC),
            (deputy, D, DSC), (deputy, D, DSC), (discipline, M, DSC),
            ("组织委员", M, DSC), ("宣传委员", M, DSC), ("武装部部长", M, DSC)]


def _township_titles(name: str) -> tuple[str, str, str]:
    """Party committee, head and deputy-head titles: a town (镇) or a street office (街道)."""
    if name.endswith("街道"):
        return "党工委", "街道办事处主任", "街道办事处副主任"
    return "党委", "镇长", "副镇长"


def _extra_posts(unit: _UnitSpec) -> ExtraPosts:
    """Posts below the unit's own team (department heads, offices), by leadership role."""
    if unit.kind is UnitKind.COUNTY:
        bodies = [f"{unit.name[-1]}{dept}" for dept in _COUNTY_DEPARTMENTS]
        return {P: [(f"{b}局长", SC) for b in bodies],
                D: [(f"{b}副局长", DSC) for b in bodies],
                M: [(f"{b}党组成员", DSC) for b in bodies]}
    if unit.kind is UnitKind.AGENCY:
        heads = [(office, "主任" if office.endswith("室") else "科长")
                 for office in _AGENCY_OFFICES]
        return {P: [(f"{office}{head}", SC) for office, head in heads],
                D: [(f"{office}副{head}", DSC) for office, head in heads],
                M: [("机关党委专职副书记", SC), ("机关纪委书记", SC)]}
    if unit.kind is UnitKind.CITY:
        return {P: [(f"{s}科长", SC) for s in _CITY_SECTIONS],
                D: [(f"{s}副科长", DSC) for s in _CITY_SECTIONS],
                M: [("市委办公室机关党委委员", DSC), ("市政府办公室机关党委委员", DSC)]}
    party, _, deputy = _township_titles(unit.name)
    return {P: [(centre, DSC) for centre in _TOWNSHIP_CENTRES],
            D: [(deputy, DSC)],
            M: [(f"{party}委员", DSC), ("统战委员", DSC), ("政法委员", DSC)]}


# --- people ----------------------------------------------------------------------------------

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
             "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷"
             "侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤舒")
_MALE_CHARS = ("伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学"
               "祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振"
               "壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若"
               "鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘")
_FEMALE_CHARS = ("秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环"
                 "雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷"
                 "姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜"
                 "纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝")
# Birth-place prefixes of identity numbers; a cadre need not work where he was born.
_REGION_CODES = ("431202", "431221", "431224", "431201", "431222", "431223", "431225")
# Birth years by rank, within 1965–1995: a division chief is not thirty years old.
_BIRTH_YEARS = {DC: (1965, 1980), DDC: (1967, 1985), SC: (1970, 1990), DSC: (1975, 1995)}


def random_name(rng: random.Random, gender: Gender) -> str:
    """A Chinese name: a surname and one or two given-name characters."""
    chars = _MALE_CHARS if gender is Gender.MALE else _FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


def _birth_date(rng: random.Random, rank: Rank) -> date:
    first_year, last_year = _BIRTH_YEARS[rank]
    first = date(first_year, 1, 1)
    return first + timedelta(days=rng.randint(0, (date(last_year, 12, 31) - first).days))


def _id_number(rng: random.Random, birth: date, gender: Gender, used: set[str]) -> str:
    """A valid, unused 18-digit identity number embedding ``birth``.

    The sequence code's parity encodes the gender (odd for men), as GB 11643 prescribes.
    """
    parity = 1 if gender is Gender.MALE else 0
    while True:
        sequence = rng.randrange(500) * 2 + parity
        first17 = f"{rng.choice(_REGION_CODES)}{birth:%Y%m%d}{sequence:03d}"
        number = first17 + id_number_check_digit(first17)
        if number not in used:
            used.add(number)
            return number


def _phone(rng: random.Random) -> str:
    return f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}"


def _status(rng: random.Random, birth: date) -> CadreStatus:
    """Mostly serving; a few already adjusted, and retirement only for the oldest."""
    if rng.random() >= 0.05:
        return CadreStatus.SERVING
    status = rng.choice((CadreStatus.REMOVED, CadreStatus.AWAITING_POST,
                         CadreStatus.RANK_TRACK, CadreStatus.RETIRED))
    if status is CadreStatus.RETIRED and birth.year > 1966:
        return CadreStatus.RANK_TRACK
    return status


def _allocate(units: Sequence[_UnitSpec], size: int) -> list[int]:
    """How many cadres each unit gets: one each, the rest by weight (largest remainder)."""
    rest = size - len(units)
    total = sum(u.weight for u in units)
    shares = [rest * u.weight / total for u in units]
    counts = [1 + int(s) for s in shares]
    by_remainder = sorted(range(len(units)), key=lambda i: (-(shares[i] % 1), i))
    for i in by_remainder[: size - sum(counts)]:
        counts[i] += 1
    return counts


def build_cadres(rng: random.Random, units: Sequence[_UnitSpec], size: int) -> list[Row]:
    """``size`` cadre rows with ids 1..size, spread over ``units`` in shuffled order."""
    unit_ids = [u.id for u, n in zip(units, _allocate(units, size), strict=True)
                for _ in range(n)]
    rng.shuffle(unit_ids)  # so that a roster ordered by id mixes the units
    by_id = {u.id: u for u in units}
    teams = {u.id: _team_posts(u) for u in units}
    extras = {u.id: _extra_posts(u) for u in units}
    seen = dict.fromkeys(by_id, 0)
    roles = [role for role, _ in _EXTRA_ROLE_WEIGHTS]
    role_weights = [weight for _, weight in _EXTRA_ROLE_WEIGHTS]
    used_numbers: set[str] = set()
    rows: list[Row] = []
    for cadre_id, unit_id in enumerate(unit_ids, start=1):
        team, index = teams[unit_id], seen[unit_id]
        seen[unit_id] += 1
        gender = Gender.MALE if rng.random() < 0.7 else Gender.FEMALE
        on_team = index < len(team)
        if on_team:
            position, role, rank = team[index]
        else:
            role = rng.choices(roles, role_weights)[0]
            position, rank = rng.choice(extras[unit_id][role])
        birth = _birth_date(rng, rank)
        # The unit's own team is in office; adjusted or retired cadres come from the departments.
        status = CadreStatus.SERVING if on_team else _status(rng, birth)
        rows.append({
            "id": cadre_id, "name": random_name(rng, gender), "gender": gender,
            "birth_date": birth, "id_number": _id_number(rng, birth, gender, used_numbers),
            "phone": _phone(rng), "unit_id": unit_id, "position": position, "rank": rank,
            "leadership_role": role, "status": status, "version": 1,
            "created_at": BASE_TIME, "updated_at": BASE_TIME,
        })
    return rows


def pick_demo_cadre(cadres: Sequence[Row], unit_ids: set[int]) -> Row:
    """The demo cadre: the first serving deputy working in ``unit_ids`` (else the first there)."""
    candidates = [c for c in cadres if c["unit_id"] in unit_ids]
    if not candidates:
        raise ValueError("No cadre works in the demo cadre's county.")
    for cadre in candidates:
        if cadre["leadership_role"] is D and cadre["status"] is CadreStatus.SERVING:
            return cadre
    return candidates[0]


# --- evaluations -----------------------------------------------------------------------------

_GRADE_WEIGHTS = ((Grade.EXCELLENT, 20), (Grade.GOOD, 60), (Grade.FAIR, 15), (Grade.POOR, 5))
_SCORE_BANDS = {Grade.EXCELLENT: (90.0, 98.0), Grade.GOOD: (80.0, 89.9),
                Grade.FAIR: (68.0, 79.9), Grade.POOR: (55.0, 67.9)}
_GRADE_KEEP = 0.6  # chance a cadre keeps last year's grade: performance is persistent
_LATEST_FINALISED_SHARE = 0.85
_COMMENTS = {
    Grade.EXCELLENT: ("政治站位高，履职尽责突出，敢于担当作为。", "工作实绩显著，群众公认度高。",
                      "攻坚克难成效明显，表率作用好。"),
    Grade.GOOD: ("工作认真负责，较好完成年度目标任务。", "履职较为扎实，团结协作意识较强。",
                 "作风务实，分管工作有序推进。"),
    Grade.FAIR: ("工作主动性不够，部分任务推进较慢。", "担当意识有待增强，工作成效一般。"),
    Grade.POOR: ("履职不力，多项重点工作滞后。", "作风漂浮，群众反映较多，需加强整改。"),
}
_SOURCES = tuple(EvaluationSource)


def _score(rng: random.Random, centre: float) -> float:
    return round(min(100.0, max(40.0, centre + rng.uniform(-5.0, 5.0))), 1)


def _evaluation_row(rng: random.Random, evaluation_id: int, cadre_id: int, year: int,
                    grade: Grade) -> Row:
    score = round(rng.uniform(*_SCORE_BANDS[grade]), 1)
    sources = rng.sample(range(len(_SOURCES)), rng.randint(1, 3))
    created = datetime(year, 12, 1, 10, tzinfo=UTC) + timedelta(days=rng.randrange(20))
    latest = year == EVALUATION_YEARS[-1]
    finalised = not latest or rng.random() < _LATEST_FINALISED_SHARE
    finalised_at = None
    if finalised:
        start = datetime(year + 1, 1, 5, 16, tzinfo=UTC)
        window = min(40, (BASE_TIME - start).days)  # never finalised after the seed's "now"
        finalised_at = start + timedelta(days=rng.randrange(window))
    return {
        "id": evaluation_id, "cadre_id": cadre_id, "year": year,
        "period": EvaluationPeriod.ANNUAL, "grade": grade, "score": score,
        "work_score": _score(rng, score), "conduct_score": _score(rng, score),
        "results_score": _score(rng, score),
        "sources": [_SOURCES[i].value for i in sorted(sources)],
        "comment": rng.choice(_COMMENTS[grade]), "finalised": finalised,
        "finalised_at": finalised_at, "created_at": created,
    }


def build_evaluations(rng: random.Random, cadres: Sequence[Row]) -> list[Row]:
    """One ANNUAL evaluation per cadre and year of :data:`EVALUATION_YEARS`."""
    grades = [grade for grade, _ in _GRADE_WEIGHTS]
    grade_weights = [weight for _, weight in _GRADE_WEIGHTS]
    rows: list[Row] = []
    for cadre in cadres:
        previous: Grade | None = None
        for year in EVALUATION_YEARS:
            if previous is None or rng.random() >= _GRADE_KEEP:
                previous = rng.choices(grades, grade_weights)[0]
            rows.append(_evaluation_row(rng, len(rows) + 1, cadre["id"], year, previous))
    return rows


# --- findings --------------------------------------------------------------------------------

_FINDING_SHARE = 0.08
_FINDING_LEADS = {
    FindingSource.INSPECTION_TOUR: "巡察组在巡察中发现",
    FindingSource.PERFORMANCE_EVALUATION: "年度绩效考核中发现",
    FindingSource.PUBLIC_REPORT: "群众来信反映",
    FindingSource.AUDIT: "经济责任审计发现",
    FindingSource.ROUTINE_SUPERVISION: "日常监督中发现",
}
_FINDING_DETAILS = {
    "N01": ("分管领域安全监管缺位，发生事故后处置不力", "对分管科室管理松散，重点任务多次逾期"),
    "N02": ("对分配的工作挑肥拣瘦，群众反映办事拖拉", "承办事项长期积压，多次催办仍未办结"),
    "N03": ("对上级部署表态多、落实少，工作敷衍应付", "会上表态支持、会后另搞一套"),
    "N04": ("长期工作状态消极，对分管工作不闻不问", "以“不求有功、但求无过”自居，工作停滞不前"),
    "N05": ("贯彻落实上级决策部署打折扣、搞变通", "在重大原则问题上立场不坚定"),
    "N06": ("在防汛抢险任务中借故推脱、不到岗履职", "面对信访积案推拖绕躲，矛盾长期得不到化解"),
    "N07": ("盲目上马景观工程，造成资金闲置浪费", "热衷打造“盆景”，实际发展成效不明显"),
    "N08": ("“三重一大”事项未经集体研究即个人拍板", "在干部推荐中搞小圈子、任人唯亲"),
    "N09": ("未如实报告个人有关事项", "无正当理由拒不服从组织调动安排"),
    "N10": ("分管领域主要指标连续两年排名靠后", "班子内部不团结，工作长期打不开局面"),
    "N11": ("文山会海问题突出，基层负担重", "调研走过场，对群众诉求敷衍推诿"),
    "N12": ("社会公德、家庭美德方面存在不良反映", "生活作风不检点，造成不良影响"),
    "N13": ("亲属在其分管领域经商办企业，未按规定回避", "配偶经营的企业承接分管部门项目"),
    "N14": ("因病连续请假超过一年，无法正常履行职责", "长期病休，分管工作由他人代管"),
}
_STATUS_WEIGHTS = ((FindingStatus.REPORTED, 20), (FindingStatus.UNDER_VERIFICATION, 25),
                   (FindingStatus.CONFIRMED, 35), (FindingStatus.DISMISSED, 20))
_FIRST_REPORT = datetime(2023, 3, 1, 9, tzinfo=UTC)
# Late enough that a report plus verification (≤ 20 d) plus conclusion (≤ 60 d) ends before now.
_LAST_REPORT = datetime(2025, 10, 15, 9, tzinfo=UTC)


def _evidence(rng: random.Random, source: FindingSource, year: int) -> str:
    n = rng.randint(2, 60)
    return {
        FindingSource.INSPECTION_TOUR: f"巡察组个别谈话笔录{n}份、相关会议记录及工作台账",
        FindingSource.PERFORMANCE_EVALUATION: f"{year}年度考核民主测评结果及个别谈话记录",
        FindingSource.PUBLIC_REPORT: f"信访件原件（编号XF{year}{n:04d}）及核查组调查笔录",
        FindingSource.AUDIT: f"经济责任审计报告（鹤审报〔{year}〕{n}号）及相关凭证",
        FindingSource.ROUTINE_SUPERVISION: f"日常监督检查记录、督办通知单{n}份",
    }[source]


def _finding_dates(rng: random.Random, status: FindingStatus
                   ) -> tuple[datetime, datetime | None, datetime | None]:
    """Reported, verification-started and concluded times consistent with ``status``."""
    if status is FindingStatus.REPORTED:
        # Still untouched, so reported recently.
        reported = BASE_TIME - timedelta(days=rng.randint(3, 90), hours=rng.randint(0, 8))
        return reported, None, None
    span = int((_LAST_REPORT - _FIRST_REPORT).total_seconds() // 3600)
    reported = _FIRST_REPORT + timedelta(hours=rng.randrange(span))
    started = reported + timedelta(days=rng.randint(3, 20))
    if status is FindingStatus.UNDER_VERIFICATION:
        return reported, started, None
    return reported, started, started + timedelta(days=rng.randint(10, 60))


def _finding_row(rng: random.Random, finding_id: int, cadre_id: int,
                 status: FindingStatus | None = None, with_informant: bool = False) -> Row:
    statuses = [choice for choice, _ in _STATUS_WEIGHTS]
    status_weights = [weight for _, weight in _STATUS_WEIGHTS]
    status = status or rng.choices(statuses, status_weights)[0]
    item = rng.choice(NEGATIVE_LIST).code
    source = rng.choice(tuple(FindingSource))
    reported, started, concluded = _finding_dates(rng, status)
    # Public reports come from named people; other sources seldom record one.
    named = with_informant or source is FindingSource.PUBLIC_REPORT or rng.random() < 0.2
    return {
        "id": finding_id, "cadre_id": cadre_id, "item_code": item, "source": source,
        "description": f"{_FINDING_LEADS[source]}，该同志{rng.choice(_FINDING_DETAILS[item])}。",
        "evidence": _evidence(rng, source, reported.year),
        "informant": random_name(rng, rng.choice(tuple(Gender))) if named else None,
        "status": status, "reported_at": reported, "verification_started_at": started,
        "concluded_at": concluded, "version": 1,
    }


def build_findings(rng: random.Random, cadres: Sequence[Row]) -> list[Row]:
    """One or two findings for about 8% of the cadres."""
    rows: list[Row] = []
    for cadre in cadres:
        if rng.random() >= _FINDING_SHARE:
            continue
        for _ in range(1 if rng.random() < 0.75 else 2):
            rows.append(_finding_row(rng, len(rows) + 1, cadre["id"]))
    return rows


def _prepare_demo_cadre(rng: random.Random, cadre: Row, evaluations: list[Row],
                        findings: list[Row]) -> None:
    """Give the demo cadre what the demo needs: an open evaluation and a confirmed finding."""
    cadre["status"] = CadreStatus.SERVING
    for evaluation in evaluations:
        if evaluation["cadre_id"] == cadre["id"] and evaluation["year"] == EVALUATION_YEARS[-1]:
            evaluation.update(finalised=False, finalised_at=None)
    has_confirmed = any(
        f["cadre_id"] == cadre["id"] and f["status"] is FindingStatus.CONFIRMED
        and f["evidence"] and f["informant"] for f in findings)
    if not has_confirmed:
        findings.append(_finding_row(rng, len(findings) + 1, cadre["id"],
                                     FindingStatus.CONFIRMED, with_informant=True))


# --- labels and users ------------------------------------------------------------------------

_LABEL_SHARE = 0.03


def build_labels(rng: random.Random, cadres: Sequence[Row]) -> list[Row]:
    """One or two campaign labels for about 3% of the cadres."""
    codes = [label.code for label in CADRE_TYPE_LABELS]
    rows: list[Row] = []
    for cadre in cadres:
        if rng.random() >= _LABEL_SHARE:
            continue
        for code in rng.sample(codes, 1 if rng.random() < 0.8 else 2):
            assigned = datetime(2025, rng.randint(3, 11), rng.randint(1, 28), 10, tzinfo=UTC)
            rows.append({"cadre_id": cadre["id"], "label_code": code, "assigned_at": assigned})
    return rows


def build_users(units: Sequence[_UnitSpec], demo_cadre: Row
                ) -> tuple[list[Row], list[Row]]:
    """The demo accounts (in :data:`DEMO_ACCOUNTS` order) and their role assignments."""
    unit_id = {u.code: u.id for u in units}
    specs: list[tuple[str, str, int | None, Role, int | None]] = [
        ("demo-org", "市委组织部（演示）", None, Role.ORG, unit_id["C"]),
        ("demo-org-county", "鹤城区委组织部（演示）", None, Role.ORG, unit_id["C-K1"]),
        ("demo-discipline", "市纪委监委（演示）", None, Role.DISCIPLINE, unit_id["C"]),
        ("demo-cadre", demo_cadre["name"], demo_cadre["id"], Role.CADRE, None),
        ("demo-admin", "系统管理员（演示）", None, Role.ADMIN, None),
    ]
    users, assignments = [], []
    for user_id, (username, display, cadre_id, role, scope) in enumerate(specs, start=1):
        users.append({"id": user_id, "username": username, "display_name": display,
                      "cadre_id": cadre_id, "active": True, "created_at": BASE_TIME})
        assignments.append({"id": user_id, "user_id": user_id, "role": role, "unit_id": scope})
    return users, assignments


# --- writing ---------------------------------------------------------------------------------

def _add_confirmed(rng: random.Random, cadre: Row, findings: list[Row]) -> Row:
    finding = _finding_row(rng, len(findings) + 1, cadre["id"], FindingStatus.CONFIRMED)
    findings.append(finding)
    return finding


def _county_one(units: Sequence[_UnitSpec]) -> int:
    return next(u.id for u in units if u.code == "C-K1")


async def _insert_chunked(session: AsyncSession, model: type[Base], rows: Sequence[Row],
                          progress: SeedProgress | None = None) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        await session.execute(insert(model), list(rows[start:start + CHUNK_ROWS]))
        if progress is not None:
            progress(model.__tablename__, min(start + CHUNK_ROWS, len(rows)), len(rows))


async def _after_bulk_load(session: AsyncSession) -> None:
    """On PostgreSQL: move id sequences past the ids the seed assigned, refresh statistics.

    Without fresh statistics the planner guesses a few hundred cadres per unit where
    there are thousands, and the roster's child queries ran 100× slower (measured).
    """
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return  # SQLite takes max(rowid) + 1 by itself
    for table in SERIAL_TABLES:
        await session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT max(id) FROM {table}))"))
    for table in (*SERIAL_TABLES, "cadre_labels"):
        await session.execute(text(f"ANALYZE {table}"))


async def _refuse_non_empty(session: AsyncSession) -> None:
    # The seed assigns ids from 1, so existing units or users would collide as surely as cadres.
    for model in (Cadre, Unit, User):
        if await session.scalar(select(func.count()).select_from(model)):
            raise RuntimeError(
                f"The {model.__tablename__} table is not empty; the demo seed needs a fresh "
                "database.")


async def seed_demo(session: AsyncSession, size: int = 2000, seed: int = 20261124,
                    progress: SeedProgress | None = None) -> SeedSummary:
    """Fill an empty database with deterministic demo data.

    Installs the default policy and the catalogues, then writes the unit tree of 鹤州市,
    ``size`` cadres with three annual evaluations each, findings, labels and the demo accounts
    of :data:`DEMO_ACCOUNTS`. Nothing is committed; the caller commits.

    Args:
        session: The session to write through.
        size: How many cadres to create; at least one per unit.
        seed: Seed of the random generator; the same seed and size give the same rows.
        progress: Told of each phase and batch written, if given.

    Returns:
        Counts of what was written and the id of the cadre behind ``demo-cadre``.

    Raises:
        RuntimeError: when the database already holds cadres, units or users.
        ValueError: when ``size`` is smaller than the number of units.
    """
    units = build_units()
    if size < len(units):
        raise ValueError(f"size must be at least {len(units)}, one cadre per unit.")
    await _refuse_non_empty(session)
    await install_default_policy(session)
    await install_catalogue(session)

    rng = random.Random(seed)
    if progress is not None:
        progress("generating records", 0, 1)
    cadres = build_cadres(rng, units, size)
    evaluations = build_evaluations(rng, cadres)
    findings = build_findings(rng, cadres)
    labels = build_labels(rng, cadres)
    second_county = next(u for u in units if u.code == "C-K2")
    demo_cadre = pick_demo_cadre(cadres, subtree_ids(units, second_county.id))
    _prepare_demo_cadre(rng, demo_cadre, evaluations, findings)
    users, assignments = build_users(units, demo_cadre)
    procedure = build_procedure(
        cadres, findings, evaluations, base_time=BASE_TIME, decider_id=users[0]["id"],
        avoid={demo_cadre["id"]}, county_units=subtree_ids(units, _county_one(units)),
        first_user_id=len(users) + 1, first_assignment_id=len(assignments) + 1,
        add_confirmed=lambda cadre: _add_confirmed(rng, cadre, findings))
    if progress is not None:
        progress("generating records", 1, 1)

    await _insert_chunked(session, Unit, [u.row() for u in units], progress)
    await _insert_chunked(session, Cadre, cadres, progress)
    await _insert_chunked(session, Evaluation, evaluations, progress)
    await _insert_chunked(session, Finding, findings, progress)
    await _insert_chunked(session, CadreLabel, labels, progress)
    await _insert_chunked(session, User, users + procedure.users, progress)
    await _insert_chunked(session, RoleAssignment, assignments + procedure.assignments, progress)
    await _insert_chunked(session, AdjustmentCase, procedure.cases, progress)
    await _insert_chunked(session, CaseFinding, procedure.case_findings, progress)
    await _insert_chunked(session, CaseStep, procedure.steps, progress)
    await _insert_chunked(session, Appeal, procedure.appeals, progress)
    await _insert_chunked(session, FollowUp, procedure.follow_ups, progress)
    if progress is not None:
        progress("refreshing statistics", 0, 1)
    await _after_bulk_load(session)
    if progress is not None:
        progress("refreshing statistics", 1, 1)
    return SeedSummary(units=len(units), cadres=len(cadres), evaluations=len(evaluations),
                       findings=len(findings), users=len(users) + len(procedure.users),
                       demo_cadre_id=demo_cadre["id"])
