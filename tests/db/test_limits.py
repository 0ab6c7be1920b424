"""Every text limit fits the column that stores the text, so an over-long value is refused
as input and never reaches the database."""

import pytest
from sqlalchemy import String

from db import models
from domain import limits

#: Each limit of `domain.limits` and the String columns holding text of its kind.
STORED_IN = {
    "PERSON_NAME": [models.Cadre.name],
    "POSITION": [models.Cadre.position, models.AdjustmentCase.new_position],
    "ID_NUMBER": [models.Cadre.id_number],
    "PHONE": [models.Cadre.phone],
    "ITEM_CODE": [models.NegativeListItem.code, models.ToleranceItem.code,
                  models.Finding.item_code, models.FaultToleranceReview.item_code],
    "INFORMANT": [models.Finding.informant],
    "COURSE": [models.Retraining.course],
    "AWARD_TITLE": [models.Award.title],
    "USERNAME": [models.User.username, models.AuditEvent.actor],
    "UNIT_CODE": [models.Unit.code],
    "POLICY_TYPE": [models.CasbinRule.ptype],
    "POLICY_VALUE": [models.CasbinRule.v0, models.CasbinRule.v1, models.CasbinRule.v2,
                     models.CasbinRule.v3, models.CasbinRule.v4, models.CasbinRule.v5],
    "TOKEN_NAME": [models.PartnerToken.name],
    "AGENCY": [models.PartnerToken.agency],
    "OPERATION_NAME": [models.PersistedOperation.name],
    "OPERATION_HASH": [models.PersistedOperation.sha256],
    "IDENTIFIER": [models.AuditEvent.record_type],
}
#: Limits of text stored in Text or JSON columns, or only compared (filters, cursors), or
#: read and not stored as such (a manifest: its operations are stored one by one).
UNBOUNDED_COLUMNS = {"COMMENT", "DESCRIPTION", "EVIDENCE", "REASONING", "STATEMENT", "NOTE",
                     "DOCUMENT", "GROUNDS", "CHECK_NOTE", "SCOPE", "OPERATION_TEXT",
                     "SEARCH", "CURSOR", "MANIFEST"}
#: Not a length of text.
COUNTS = {"LIST_ITEMS"}


def _limit_names() -> set[str]:
    return {name for name in vars(limits) if name.isupper()}


@pytest.mark.parametrize(("name", "column"), [(name, column) for name, columns in
                                              STORED_IN.items() for column in columns],
                         ids=lambda value: str(value))
def test_the_limit_fits_the_column_storing_its_text(name: str, column) -> None:
    column_type = column.property.columns[0].type
    assert isinstance(column_type, String) and column_type.length is not None
    assert getattr(limits, name) <= column_type.length


def test_every_limit_is_either_held_by_a_column_or_declared_unbounded_by_one() -> None:
    assert _limit_names() == set(STORED_IN) | UNBOUNDED_COLUMNS | COUNTS
    assert not set(STORED_IN) & UNBOUNDED_COLUMNS
