"""The input checks: declared next to each field, installed once, and what they let
through (the refusals across the schema are in test_input_refusals)."""

import strawberry

from api.inputs import UndeclaredText, argument_checks, install_input_checks, text
from domain import limits
from tests.api.input_slots import request
from tests.api.test_input_refusals import SCHEMA, TEXT_SLOTS
from tests.api.test_mutations import CREATE, cadre_input
from tests.api.test_records import RECORD, REPORT, _new_cadre, evaluation, finding

SEARCH = """query S($search: String) { cadres(first: 5, filter: {search: $search}) {
  totalCount } }"""
READ_FINDING = """query F($id: ID!) { cadre(id: $id) { findings { description evidence
  informant } } }"""


def _schema_taking(input_type: type) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def echo(self, input: input_type) -> int:  # type: ignore[valid-type]
            return 1

    return strawberry.Schema(query=Query)


def test_a_text_input_without_a_declared_limit_fails_the_build() -> None:
    @strawberry.input
    class Careless:
        note: str

    try:
        install_input_checks(_schema_taking(Careless))
    except UndeclaredText as refused:
        assert "Careless.note" in str(refused)
    else:
        raise AssertionError("an undeclared text input was installed")


def test_a_declared_text_input_gets_its_check() -> None:
    @strawberry.input
    class Careful:
        note: str = text(limits.NOTE)

    assert install_input_checks(_schema_taking(Careful)) == ["Query.echo"]


def test_every_text_input_accepts_text_of_exactly_its_limit() -> None:
    for slot in TEXT_SLOTS:
        assert slot.limit is not None
        root = SCHEMA.query_type if slot.operation == "query" else SCHEMA.mutation_type
        assert root is not None
        field = root.fields[slot.root]
        _, variables = request(SCHEMA, slot, "说" * slot.limit)
        for name, check in argument_checks(root.name, slot.root, field.args).items():
            if name in variables:
                check(variables[name])  # raises when refused


def test_the_limit_is_written_in_the_schema_description() -> None:
    informant = SCHEMA.type_map["ReportFindingInput"].fields["informant"]  # type: ignore[union-attr]
    assert f"At most {limits.INFORMANT} characters." in informant.description


async def test_a_list_of_any_kind_holds_at_most_the_list_limit(as_user):
    cadre_id = await _new_cadre(as_user)
    sources = ["INSPECTION_TOUR"] * (limits.LIST_ITEMS + 1)
    body = await as_user("demo-org")(RECORD, input=evaluation(cadre_id, sources=sources))
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "sources"}


async def test_a_finding_holding_text_of_exactly_each_limit_is_stored_whole(as_user):
    cadre_id = await _new_cadre(as_user)
    values = {"description": "第一段：分管领域管理松软。\r\n\t第二段。" + "述" * 100,
              "evidence": "证" * limits.EVIDENCE, "informant": "名" * limits.INFORMANT}
    body = await as_user("demo-discipline")(REPORT, input=finding(cadre_id, **values))
    assert "errors" not in body, body["errors"]
    read = await as_user("demo-discipline")(READ_FINDING, id=cadre_id)
    [stored] = read["data"]["cadre"]["findings"]
    assert stored == values


async def test_a_name_of_exactly_its_limit_is_accepted(as_user):
    name = "欧阳" * (limits.PERSON_NAME // 2)
    body = await as_user("demo-org")(CREATE, input=cadre_input(name=name))
    assert body["data"]["createCadre"]["cadre"]["name"] == name


async def test_a_search_in_chinese_with_ordinary_whitespace_is_accepted(as_user):
    body = await as_user("demo-org")(SEARCH, search="\t局长 ")
    assert "errors" not in body and body["data"]["cadres"]["totalCount"] > 0
