"""A record out of the caller's scope answers exactly like one that does not exist, on the
same path (the row filter is in the statement that loads it); a creation refused on an
identity number held elsewhere leaves a trace for the auditors."""

import re

from sqlalchemy import text

from tests.api.helpers import errors_by_code
from tests.api.test_cases import ACCEPT
from tests.api.test_mutations import CREATE, cadre_input
from tests.api.test_records import FINALISE, RECORD, REPORT, START, evaluation, finding
from tests.api.test_separation_of_duties import _appealed
from tests.api.test_sql_statements import counting_statements

MISSING = "987654"


async def _cadre_in(as_user, unit_id: str) -> str:
    body = await as_user("demo-org")(CREATE, input=cadre_input(unitId=unit_id))
    return body["data"]["createCadre"]["cadre"]["id"]


async def _answer(client, query: str, **variables) -> tuple[dict, int]:
    """The one error of a refused call, its id blanked, and the SQL statements it took."""
    with counting_statements() as statements:
        body = await client(query, **variables)
    [error] = body["errors"]
    error["message"] = re.sub(r"\d+", "N", error["message"])
    return {k: v for k, v in error.items() if k != "locations"}, len(statements)


async def test_a_hidden_finding_answers_like_a_missing_one(as_user, account):
    # given a discipline officer of 鹤城区 (C-K1) and a finding in another county
    officer = as_user(await account("county-discipline", [("discipline", 2)]))
    elsewhere = await as_user("demo-discipline")(REPORT, input=finding(
        await _cadre_in(as_user, "3")))
    hidden = elsewhere["data"]["reportFinding"]["finding"]["id"]
    # when he starts verifying it, and a finding that does not exist
    refused = await _answer(officer, START, input={"id": hidden, "version": 1})
    missing = await _answer(officer, START, input={"id": MISSING, "version": 1})
    # then both answer the same NOT_FOUND, after the same statements
    assert refused == missing
    assert refused[0]["extensions"]["code"] == "NOT_FOUND"
    # twin: a finding in his county moves
    own = await as_user("demo-discipline")(REPORT, input=finding(await _cadre_in(as_user, "2")))
    moved = await officer(START, input={"id": own["data"]["reportFinding"]["finding"]["id"],
                                        "version": 1})
    assert "errors" not in moved


async def test_a_hidden_evaluation_answers_like_a_missing_one(as_user):
    county, org = as_user("demo-org-county"), as_user("demo-org")
    recorded = await org(RECORD, input=evaluation(await _cadre_in(as_user, "3")))
    hidden = recorded["data"]["recordEvaluation"]["evaluation"]["id"]
    refused = await _answer(county, FINALISE, id=hidden)
    missing = await _answer(county, FINALISE, id=MISSING)
    assert refused == missing
    assert refused[0]["extensions"]["code"] == "NOT_FOUND"
    # twin: an evaluation in his county is finalised
    own = await org(RECORD, input=evaluation(await _cadre_in(as_user, "2")))
    finalised = await county(FINALISE, id=own["data"]["recordEvaluation"]["evaluation"]["id"])
    assert finalised["data"]["finaliseEvaluation"]["evaluation"]["finalised"] is True


async def test_a_hidden_appeal_answers_like_a_missing_one(as_user, account):
    # given an appeal by a cadre of the second county, out of 鹤城区's reach
    _, _, appeal = await _appealed(as_user, account, unit_id="3")
    county = as_user("demo-org-county")
    refused = await _answer(county, ACCEPT, input={"id": appeal["id"], "version": 1})
    missing = await _answer(county, ACCEPT, input={"id": MISSING, "version": 1})
    assert refused == missing
    assert refused[0]["extensions"]["code"] == "NOT_FOUND"


async def _refusals_by(database, actor: str) -> int:
    async with database.connect() as connection:
        return int((await connection.execute(text(
            "SELECT count(*) FROM audit_events WHERE operation = 'createCadreRefused' "
            "AND actor = :actor"), {"actor": actor})).scalar_one())


async def test_probing_an_identity_number_held_elsewhere_is_on_the_audit_trail(as_user,
                                                                             database):
    # given a cadre of the second county, out of 鹤城区's reach
    held = cadre_input(unitId="3")
    await as_user("demo-org")(CREATE, input=held)
    before = await _refusals_by(database, "demo-org-county")
    # when 鹤城区's officer creates a cadre with that identity number
    body = await as_user("demo-org-county")(CREATE, input={**held, "unitId": "2"})
    # then CONFLICT, no cadre, and the attempt is on the audit trail
    assert errors_by_code(body, "CONFLICT")
    assert await _refusals_by(database, "demo-org-county") == before + 1


async def test_creating_a_cadre_with_a_fresh_identity_number_is_no_refusal(as_user, database):
    before = await _refusals_by(database, "demo-org-county")
    body = await as_user("demo-org-county")(CREATE, input=cadre_input(unitId="2"))
    assert body["data"]["createCadre"]["cadre"]["id"]
    assert await _refusals_by(database, "demo-org-county") == before
