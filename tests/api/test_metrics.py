"""``GET /metrics``: requests by bounded operation label and outcome, refusals by limit,
field denials, audit events, policy and pool gauges, in Prometheus text format."""

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.partner_helpers import register, unique

ME = "{ me { username } }"
AD_HOC = "query FreeTextChosenByTheClient { me { username } }"
TOO_DEEP = "{ units { " + "parent { " * 12 + "name" + " }" * 12 + " } }"
COMMENTS = "{ cadres(first: 3) { edges { node { evaluations { year comment } } } } }"
ID_NUMBERS = "{ cadres(first: 2) { edges { node { idNumber } } } }"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> tuple[str, Samples]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_outcome_and_ad_hoc_names_stay_anonymous(client, as_user):
    _, before = await scrape(client)

    await as_user("demo-org")(ME)
    response = await client.post("/graphql", json={"query": AD_HOC,
                                                   "operationName": "FreeTextChosenByTheClient"},
                                 headers=as_user("demo-org").headers)
    assert response.status_code == 200

    text, after = await scrape(client)
    ok = dict(operation="anonymous", outcome="ok")
    assert value(after, "cadre_requests_total", **ok) - value(
        before, "cadre_requests_total", **ok) == 2
    assert value(after, "cadre_request_duration_seconds_count", **ok) - value(
        before, "cadre_request_duration_seconds_count", **ok) == 2
    assert "FreeTextChosenByTheClient" not in text


async def test_a_registered_operation_run_by_hash_is_labelled_with_its_registered_name(
        client, as_user):
    name = unique("metrics-me")
    query = f"query {name.replace('-', '_')} {{ me {{ username }} }}"
    sha256 = await register(as_user("demo-admin"), query, name=name)

    response = await client.post(
        "/graphql", headers=as_user("demo-org").headers,
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}})
    assert response.json()["data"]["me"]["username"] == "demo-org"

    _, after = await scrape(client)
    assert value(after, "cadre_requests_total", operation=name, outcome="ok") == 1


async def test_a_refused_budget_is_counted_by_its_measure(client, as_user):
    _, before = await scrape(client)

    body = await as_user("demo-org")(TOO_DEEP)
    assert body["errors"][0]["extensions"]["measure"] == "depth"

    _, after = await scrape(client)
    refused = dict(code="OPERATION_TOO_COMPLEX", measure="depth")
    assert value(after, "cadre_refusals_total", **refused) - value(
        before, "cadre_refusals_total", **refused) == 1
    outcome = dict(operation="anonymous", outcome="OPERATION_TOO_COMPLEX")
    assert value(after, "cadre_requests_total", **outcome) - value(
        before, "cadre_requests_total", **outcome) == 1


async def test_field_denials_are_counted_per_field_with_every_value_they_hid(client, as_user):
    _, before = await scrape(client)

    body = await as_user("demo-discipline")(COMMENTS)
    denied = [error for error in body["errors"] if error["extensions"]["code"] == "FORBIDDEN"]
    hidden = sum(error["extensions"].get("deniedCount", 1) for error in denied)
    assert hidden > 0

    _, after = await scrape(client)
    field = dict(field="Evaluation.comment")
    assert value(after, "cadre_field_denials_total", **field) - value(
        before, "cadre_field_denials_total", **field) == hidden
    assert value(after, "cadre_requests_total", operation="anonymous", outcome="FORBIDDEN") > 0


async def test_a_read_of_an_audited_field_counts_its_committed_audit_event(client, as_user):
    _, before = await scrape(client)

    body = await as_user("demo-org")(ID_NUMBERS)
    assert "errors" not in body

    _, after = await scrape(client)
    assert value(after, "cadre_audit_events_total") - value(
        before, "cadre_audit_events_total") == 1


async def test_the_policy_and_pool_gauges_are_read_at_scrape_time(client: Any):
    _, samples = await scrape(client)
    assert value(samples, "cadre_policy_version") >= 1
    assert value(samples, "cadre_policy_channel_listening") in (0, 1)
    assert ("cadre_db_pool_in_use", frozenset()) in samples
    assert ("cadre_db_pool_waiting", frozenset()) in samples
