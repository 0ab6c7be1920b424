"""Domain enums exposed to GraphQL, each value described by its Chinese term."""

from enum import Enum

import strawberry

from domain import enums
from domain.enums import CHINESE


def _expose(cls: type[Enum], description: str) -> type[Enum]:
    exposed = strawberry.enum(cls, description=description)
    for value in exposed.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = CHINESE[cls(value.value)]
    return exposed


Gender = _expose(enums.Gender, "性别 — gender")
UnitKind = _expose(enums.UnitKind, "单位类型 — kind of unit")
LeadershipRole = _expose(enums.LeadershipRole, "班子职务 — place in the leadership team")
Rank = _expose(enums.Rank, "职级 — rank")
CadreStatus = _expose(enums.CadreStatus, "任职状态 — status of the cadre")
Grade = _expose(enums.Grade, "考核等次 — evaluation grade")
EvaluationPeriod = _expose(enums.EvaluationPeriod, "考核周期 — period evaluated")
EvaluationSource = _expose(enums.EvaluationSource, "考核依据 — source of evidence")
FindingSource = _expose(enums.FindingSource, "问题来源 — where a finding came from")
FindingStatus = _expose(enums.FindingStatus, "认定状态 — status of a finding")
Role = _expose(enums.Role, "角色 — role of a user account")
