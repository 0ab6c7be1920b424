"""Domain enums exposed to GraphQL, each value described by its Chinese term.

Strawberry registers the domain classes themselves, so the GraphQL layer and the
rules share one set of enums.
"""

from enum import Enum

import strawberry

from domain.enums import (
    CHINESE,
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

_DESCRIPTIONS: dict[type[Enum], str] = {
    Gender: "性别 — gender",
    UnitKind: "单位类型 — kind of unit",
    LeadershipRole: "班子职务 — place in the leadership team",
    Rank: "职级 — rank",
    CadreStatus: "任职状态 — status of the cadre",
    Grade: "考核等次 — evaluation grade",
    EvaluationPeriod: "考核周期 — period evaluated",
    EvaluationSource: "考核依据 — source of evidence",
    FindingSource: "问题来源 — where a finding came from",
    FindingStatus: "认定状态 — status of a finding",
    Role: "角色 — role of a user account",
}

for _cls, _description in _DESCRIPTIONS.items():
    strawberry.enum(_cls, description=_description)
    for _value in _cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        _value.description = CHINESE[_cls(_value.value)]

__all__ = ["CadreStatus", "EvaluationPeriod", "EvaluationSource", "FindingSource",
           "FindingStatus", "Gender", "Grade", "LeadershipRole", "Rank", "Role", "UnitKind"]
