"""Closed vocabularies of the domain, each value with its Chinese term."""

from enum import Enum


class Gender(Enum):
    MALE = "MALE"  # 男
    FEMALE = "FEMALE"  # 女


class UnitKind(Enum):
    CITY = "CITY"  # 市
    COUNTY = "COUNTY"  # 县(市、区)
    AGENCY = "AGENCY"  # 市直单位
    TOWNSHIP = "TOWNSHIP"  # 乡镇(街道)


class LeadershipRole(Enum):
    PRINCIPAL = "PRINCIPAL"  # 主要负责同志
    DEPUTY = "DEPUTY"  # 分管副职
    MEMBER = "MEMBER"  # 班子成员


class Rank(Enum):
    DIVISION_CHIEF = "DIVISION_CHIEF"  # 正处级
    DEPUTY_DIVISION_CHIEF = "DEPUTY_DIVISION_CHIEF"  # 副处级
    SECTION_CHIEF = "SECTION_CHIEF"  # 正科级
    DEPUTY_SECTION_CHIEF = "DEPUTY_SECTION_CHIEF"  # 副科级


class CadreStatus(Enum):
    SERVING = "SERVING"  # 在职
    REMOVED = "REMOVED"  # 已免职
    AWAITING_POST = "AWAITING_POST"  # 待岗
    RANK_TRACK = "RANK_TRACK"  # 转任职级公务员
    RETIRED = "RETIRED"  # 退休


class Grade(Enum):
    EXCELLENT = "EXCELLENT"  # 优秀
    GOOD = "GOOD"  # 良好
    FAIR = "FAIR"  # 一般
    POOR = "POOR"  # 较差


class EvaluationPeriod(Enum):
    ANNUAL = "ANNUAL"  # 年度
    FIRST_HALF = "FIRST_HALF"  # 上半年
    SECOND_HALF = "SECOND_HALF"  # 下半年


class EvaluationSource(Enum):
    POLITICAL_QUALITY_REVIEW = "POLITICAL_QUALITY_REVIEW"  # 政治素质考察
    LEADERSHIP_TEAM_SURVEY = "LEADERSHIP_TEAM_SURVEY"  # 班子调研
    INSPECTION_TOUR = "INSPECTION_TOUR"  # 巡视巡察
    APPOINTMENT_AUDIT = "APPOINTMENT_AUDIT"  # 选人用人专项检查


class FindingSource(Enum):
    INSPECTION_TOUR = "INSPECTION_TOUR"  # 巡视巡察
    PERFORMANCE_EVALUATION = "PERFORMANCE_EVALUATION"  # 绩效考核
    PUBLIC_REPORT = "PUBLIC_REPORT"  # 信访举报
    AUDIT = "AUDIT"  # 审计
    ROUTINE_SUPERVISION = "ROUTINE_SUPERVISION"  # 日常监督


class FindingStatus(Enum):
    REPORTED = "REPORTED"  # 已报告
    UNDER_VERIFICATION = "UNDER_VERIFICATION"  # 核实中
    CONFIRMED = "CONFIRMED"  # 已认定
    DISMISSED = "DISMISSED"  # 不予认定


class Role(Enum):
    """Roles a user account can hold; all but ADMIN and CADRE hold over a unit subtree."""

    ORG = "org"  # 组织部门
    DISCIPLINE = "discipline"  # 纪检监察机关
    CADRE = "cadre"  # 干部本人
    ADMIN = "admin"  # 系统管理员



class CaseStage(Enum):
    """Steps of the adjustment procedure, in order (调整不适宜担任现职领导干部)."""

    VERIFICATION = "VERIFICATION"  # 核实认定
    PROPOSAL = "PROPOSAL"  # 提出建议
    DECISION = "DECISION"  # 组织决定
    TALK = "TALK"  # 谈话
    APPOINTMENT = "APPOINTMENT"  # 任免
    APPEAL = "APPEAL"  # 申诉
    CLOSED = "CLOSED"  # 办结


class Disposition(Enum):
    REMOVAL = "REMOVAL"  # 免职
    DEMOTION = "DEMOTION"  # 降职使用
    REASSIGNMENT = "REASSIGNMENT"  # 调整岗位
    AWAITING_POST = "AWAITING_POST"  # 待岗安排
    TRANSFER_TO_RANK_TRACK = "TRANSFER_TO_RANK_TRACK"  # 转任职级公务员


class AppealStatus(Enum):
    FILED = "FILED"  # 已提出
    ACCEPTED = "ACCEPTED"  # 已受理
    DECIDED = "DECIDED"  # 已作出决定


class AppealOutcome(Enum):
    UPHELD = "UPHELD"  # 维持
    REVISED = "REVISED"  # 变更
    REVOKED = "REVOKED"  # 撤销


class ReviewOutcome(Enum):
    EXCUSED = "EXCUSED"  # 免责
    MITIGATED = "MITIGATED"  # 从轻减轻
    NOT_EXCUSED = "NOT_EXCUSED"  # 不予容错


class ToleranceListKind(Enum):
    POSITIVE = "POSITIVE"  # 容错正面清单
    NEGATIVE = "NEGATIVE"  # 不予容错负面清单

#: The Chinese term of every value, shown in the GraphQL schema's descriptions.
CHINESE: dict[Enum, str] = {
    Gender.MALE: "男", Gender.FEMALE: "女",
    UnitKind.CITY: "市", UnitKind.COUNTY: "县(市、区)", UnitKind.AGENCY: "市直单位",
    UnitKind.TOWNSHIP: "乡镇(街道)",
    LeadershipRole.PRINCIPAL: "主要负责同志", LeadershipRole.DEPUTY: "分管副职",
    LeadershipRole.MEMBER: "班子成员",
    Rank.DIVISION_CHIEF: "正处级", Rank.DEPUTY_DIVISION_CHIEF: "副处级",
    Rank.SECTION_CHIEF: "正科级", Rank.DEPUTY_SECTION_CHIEF: "副科级",
    CadreStatus.SERVING: "在职", CadreStatus.REMOVED: "已免职",
    CadreStatus.AWAITING_POST: "待岗", CadreStatus.RANK_TRACK: "转任职级公务员",
    CadreStatus.RETIRED: "退休",
    Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.FAIR: "一般", Grade.POOR: "较差",
    EvaluationPeriod.ANNUAL: "年度", EvaluationPeriod.FIRST_HALF: "上半年",
    EvaluationPeriod.SECOND_HALF: "下半年",
    EvaluationSource.POLITICAL_QUALITY_REVIEW: "政治素质考察",
    EvaluationSource.LEADERSHIP_TEAM_SURVEY: "班子调研",
    EvaluationSource.INSPECTION_TOUR: "巡视巡察",
    EvaluationSource.APPOINTMENT_AUDIT: "选人用人专项检查",
    FindingSource.INSPECTION_TOUR: "巡视巡察",
    FindingSource.PERFORMANCE_EVALUATION: "绩效考核",
    FindingSource.PUBLIC_REPORT: "信访举报", FindingSource.AUDIT: "审计",
    FindingSource.ROUTINE_SUPERVISION: "日常监督",
    FindingStatus.REPORTED: "已报告", FindingStatus.UNDER_VERIFICATION: "核实中",
    FindingStatus.CONFIRMED: "已认定", FindingStatus.DISMISSED: "不予认定",
    Role.ORG: "组织部门", Role.DISCIPLINE: "纪检监察机关", Role.CADRE: "干部本人",
    Role.ADMIN: "系统管理员",
    CaseStage.VERIFICATION: "核实认定", CaseStage.PROPOSAL: "提出建议",
    CaseStage.DECISION: "组织决定", CaseStage.TALK: "谈话", CaseStage.APPOINTMENT: "任免",
    CaseStage.APPEAL: "申诉", CaseStage.CLOSED: "办结",
    Disposition.REMOVAL: "免职", Disposition.DEMOTION: "降职使用",
    Disposition.REASSIGNMENT: "调整岗位", Disposition.AWAITING_POST: "待岗安排",
    Disposition.TRANSFER_TO_RANK_TRACK: "转任职级公务员",
    AppealStatus.FILED: "已提出", AppealStatus.ACCEPTED: "已受理",
    AppealStatus.DECIDED: "已作出决定",
    AppealOutcome.UPHELD: "维持", AppealOutcome.REVISED: "变更", AppealOutcome.REVOKED: "撤销",
    ReviewOutcome.EXCUSED: "免责", ReviewOutcome.MITIGATED: "从轻减轻",
    ReviewOutcome.NOT_EXCUSED: "不予容错",
    ToleranceListKind.POSITIVE: "容错正面清单", ToleranceListKind.NEGATIVE: "不予容错负面清单",
}
