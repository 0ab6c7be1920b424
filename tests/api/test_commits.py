"""One commit point per request: an answer says "done" exactly when its change committed."""

from sqlalchemy import text

from tests.api.helpers import errors_by_code
from tests.api.test_mutations import cadre_input

TWO_CREATES = """mutation Two($first: CreateCadreInput!, $second: CreateCadreInput!) {
  first: createCadre(input: $first) { cadre { id } }
  second: createCadre(input: $second) { cadre { id } } }"""
CREATE_READING_ID_NUMBER = """mutation Create($input: CreateCadreInput!) {
  createCadre(input: $input) { cadre { id idNumber } } }"""


async def test_a_mutation_refused_in_its_second_field_commits_neither_field(as_user,
                                                                            count_rows,
                                                                            database):
    # given two creations of the same identity number: the second clashes after writing
    org = as_user("demo-org")
    same = cadre_input()
    cadres, events = await count_rows("cadres"), await count_rows("audit_events")
    # when both run in one operation
    body = await org(TWO_CREATES, first=same, second={**same, "name": "第二人"})
    # then the answer reports nothing done (its data is null), and nothing was written but
    # the record of the refused probe of an identity number (auditors must see probes)
    assert body["data"] is None
    assert [e["extensions"]["field"] for e in errors_by_code(body, "CONFLICT")] == ["idNumber"]
    assert await count_rows("cadres") == cadres
    assert await count_rows("audit_events") == events + 1
    async with database.connect() as connection:
        latest = (await connection.execute(text(
            "SELECT operation FROM audit_events ORDER BY id DESC LIMIT 1"))).scalar()
    assert latest == "createCadreRefused"


async def test_a_mutation_and_the_audited_reads_of_its_answer_commit_together(as_user,
                                                                             count_rows):
    org = as_user("demo-org")
    events = await count_rows("audit_events")
    body = await org(CREATE_READING_ID_NUMBER, input=cadre_input())
    assert body["data"]["createCadre"]["cadre"]["idNumber"]
    # the change's event and the read of the identity number it answered with
    assert await count_rows("audit_events") == events + 2


async def test_a_mutation_answered_done_is_committed_when_the_answer_arrives(as_user,
                                                                             count_rows):
    org = as_user("demo-org")
    before = await count_rows("cadres")
    body = await org(TWO_CREATES, first=cadre_input(), second=cadre_input())
    assert body["data"]["first"]["cadre"]["id"] != body["data"]["second"]["cadre"]["id"]
    assert await count_rows("cadres") == before + 2
