"""The cadre himself: his own file only; comment once finalised; never evidence or informant."""

from tests.api.helpers import errors_by_code, nodes

OWN_FILE = """{ me { username cadre { id name idNumber phone
  evaluations { year finalised comment }
  findings { status description evidence informant } } } }"""


async def test_cadre_sees_only_his_own_record_in_the_roster(as_user):
    body = await as_user("demo-cadre")("{ cadres(first: 50) { totalCount edges { node { id } } } }")
    me = await as_user("demo-cadre")("{ me { cadre { id } } }")
    assert body["data"]["cadres"]["totalCount"] == 1
    assert [n["id"] for n in nodes(body)] == [me["data"]["me"]["cadre"]["id"]]


async def test_cadre_reads_his_own_personal_fields(as_user):
    body = await as_user("demo-cadre")(OWN_FILE)
    cadre = body["data"]["me"]["cadre"]
    assert cadre["idNumber"] and cadre["phone"]


async def test_cadre_reads_comment_of_finalised_evaluations_only(as_user):
    body = await as_user("demo-cadre")(OWN_FILE)
    evaluations = body["data"]["me"]["cadre"]["evaluations"]
    finalised = [e for e in evaluations if e["finalised"]]
    pending = [e for e in evaluations if not e["finalised"]]
    assert finalised and pending
    assert all(e["comment"] for e in finalised)
    assert all(e["comment"] is None for e in pending)
    denied = [e for e in errors_by_code(body, "FORBIDDEN")
              if e["extensions"]["field"] == "Evaluation.comment"]
    assert len(denied) == len(pending)


async def test_cadre_cannot_read_evidence_or_informant_of_findings_against_him(as_user):
    body = await as_user("demo-cadre")(OWN_FILE)
    findings = body["data"]["me"]["cadre"]["findings"]
    assert findings and all(f["status"] and f["description"] for f in findings)
    assert all(f["evidence"] is None and f["informant"] is None for f in findings)
    fields = {e["extensions"]["field"] for e in errors_by_code(body, "FORBIDDEN")}
    assert {"Finding.evidence", "Finding.informant"} <= fields


async def test_cadre_cannot_read_another_cadre(as_user):
    own = (await as_user("demo-cadre")("{ me { cadre { id } } }"))["data"]["me"]["cadre"]["id"]
    other = "1" if own != "1" else "2"
    body = await as_user("demo-cadre")("query($id: ID!) { cadre(id: $id) { id } }", id=other)
    assert body["data"]["cadre"] is None
