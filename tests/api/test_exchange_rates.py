"""Exchange rates (``/api/dealbase/exchangeRates`` and ``dealbase rates``) and what they
convert: ``get_summary`` with ``totals_convert_currency`` on a pipeline's and a stage's deal
lists (seed 002), against hand-computed totals; a currency without a rate is said so."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from dealbase.api.app import service_of
from tests.api.answers import data, refused
from tests.conftest import Pipedrive, Tenant

PATH = "/api/dealbase/exchangeRates"


def _call(pd: Pipedrive, method: str, path: str, body: Any = None) -> Any:
    return pd.request(method, path, json=body, check=False)


def _rates(pd: Pipedrive) -> list[tuple[str, str, float]]:
    return [(r["from_currency"], r["to_currency"], r["rate"])
            for r in data(_call(pd, "GET", PATH))]


def test_rates_are_made_replaced_listed_and_deleted(pd: Pipedrive) -> None:
    made = data(_call(pd, "POST", PATH, {"from_currency": "eur", "to_currency": "USD",
                                         "rate": 1.1}), 201)
    assert (made["from_currency"], made["to_currency"], made["rate"]) == ("EUR", "USD", 1.1)
    replaced = data(_call(pd, "POST", PATH, {"from_currency": "EUR", "to_currency": "usd",
                                             "rate": 1.25}))
    assert replaced["id"] == made["id"] and replaced["rate"] == 1.25
    data(_call(pd, "POST", PATH, {"from_currency": "GBP", "to_currency": "EUR", "rate": 1.2}),
         201)
    assert sorted(_rates(pd)) == [("EUR", "USD", 1.25), ("GBP", "EUR", 1.2)]
    assert data(_call(pd, "DELETE", f"{PATH}/{made['id']}")) == {"id": made["id"]}
    assert _rates(pd) == [("GBP", "EUR", 1.2)]
    refused(_call(pd, "DELETE", f"{PATH}/{made['id']}"), 404)


@pytest.mark.parametrize("body", [
    {"from_currency": "EUR", "to_currency": "EUR", "rate": 1},
    {"from_currency": "EUR", "to_currency": "XXX", "rate": 1},
    {"from_currency": "EURO", "to_currency": "USD", "rate": 1},
    {"from_currency": "EUR", "to_currency": "USD", "rate": 0},
    {"from_currency": "EUR", "to_currency": "USD", "rate": -2},
    {"from_currency": "EUR", "to_currency": "USD", "rate": "1.1"},
    {"from_currency": "EUR", "to_currency": "USD", "rate": 1e300},
    {"from_currency": "EUR", "to_currency": "USD"},
    {"from_currency": "EUR", "rate": 1},
    {"from_currency": 5, "to_currency": "USD", "rate": 1},
    {"from_currency": "EUR", "to_currency": "USD", "rate": 1, "note": "x"},
    ["EUR", "USD", 1], "EUR",
])
def test_bad_rates_are_refused_and_change_nothing(pd: Pipedrive, body: Any) -> None:
    data(_call(pd, "POST", PATH, {"from_currency": "EUR", "to_currency": "USD", "rate": 2}),
         201)
    refused(_call(pd, "POST", PATH, body), 400)
    assert _rates(pd) == [("EUR", "USD", 2.0)]


def test_only_admins_change_rates_and_companies_keep_their_own(pd: Pipedrive, tenant: Tenant,
                                                               other: Tenant, app: Any,
                                                               http: Any) -> None:
    mine = data(_call(pd, "POST", PATH, {"from_currency": "EUR", "to_currency": "USD",
                                         "rate": 1.1}), 201)
    user = tenant.records.create("user", {"name": "Kim", "email": "kim@acme.example"})
    kim = Pipedrive(http, service_of(app).create_token(tenant.company.company_id,
                                                       user["id"]).token)
    assert _rates(kim) == [("EUR", "USD", 1.1)]  # everyone reads them
    refused(_call(kim, "POST", PATH, {"from_currency": "GBP", "to_currency": "USD",
                                      "rate": 1.3}), 403)
    refused(_call(kim, "DELETE", f"{PATH}/{mine['id']}"), 403)
    assert _rates(other.api) == []
    refused(_call(other.api, "DELETE", f"{PATH}/{mine['id']}"), 404)
    assert _rates(pd) == [("EUR", "USD", 1.1)]
    refused(pd.request("GET", PATH, check=False, headers={"x-api-token": "nope"}), 401)


# ---- get_summary and totals_convert_currency ---------------------------------------------------

@pytest.fixture
def board(pd: Pipedrive) -> dict[str, Any]:
    """A pipeline weighing by probability: stage A (50 %) and B (100 %); the caller's open
    deals: A 100 EUR, A 200 USD, B 40 EUR (probability 25 %), B 10 GBP; a won deal (not
    listed)."""
    pipeline = data(pd.post("/api/v2/pipelines", json={"name": "Board",
                                                       "is_deal_probability_enabled": True}))
    a, b = (data(pd.post("/api/v2/stages", json={"name": n, "pipeline_id": pipeline["id"],
                                                  "deal_probability": p}))["id"]
            for n, p in (("A", 50), ("B", 100)))
    for stage, value, currency, more in ((a, 100, "EUR", {}), (a, 200, "USD", {}),
                                         (b, 40, "EUR", {"probability": 25}),
                                         (b, 10, "GBP", {}),
                                         (b, 999, "EUR", {"status": "won"})):
        data(pd.post("/api/v2/deals", json={"title": "d", "stage_id": stage, "value": value,
                                            "currency": currency, **more}))
    return {"pipeline": pipeline["id"], "a": a, "b": b}


def _summary(pd: Pipedrive, path: str) -> dict[str, Any]:
    found: dict[str, Any] = pd.get(path).json()["additional_data"]["deals_summary"]
    return found


def test_summary_per_stage_and_currency(pd: Pipedrive, board: dict[str, Any]) -> None:
    a, b = str(board["a"]), str(board["b"])
    found = _summary(pd, f"/v1/pipelines/{board['pipeline']}/deals?get_summary=1")
    assert found["total_count"] == 4
    assert found["per_stages"][a]["EUR"] == {
        "count": 1, "value": 100, "value_formatted": "€100", "weighted_value": 50,
        "weighted_value_formatted": "€50"}
    assert found["per_stages"][a]["USD"]["weighted_value"] == 100
    assert found["per_stages"][b]["EUR"]["weighted_value"] == 10  # its own 25 %
    assert found["per_currency"]["EUR"]["value"] == 140
    assert found["per_currency"]["EUR"]["weighted_value"] == 60
    assert "per_stages_converted" not in found
    plain = pd.get(f"/v1/pipelines/{board['pipeline']}/deals").json()
    assert "deals_summary" not in (plain.get("additional_data") or {})
    stage = _summary(pd, f"/v1/stages/{board['b']}/deals?get_summary=1")
    assert set(stage["per_stages"]) == {b} and stage["total_count"] == 2


def test_converted_totals_use_the_rates_and_say_what_they_cannot_convert(
        pd: Pipedrive, board: dict[str, Any]) -> None:
    a, b = str(board["a"]), str(board["b"])
    path = f"/v1/pipelines/{board['pipeline']}/deals?get_summary=1&totals_convert_currency=EUR"
    unconverted = _summary(pd, path)["per_stages_converted"]
    assert unconverted[a] == {"count": 2, "currency": "EUR", "value": None,
                              "weighted_value": None, "currencies_without_rate": ["USD"]}
    # EUR→USD given: USD converts by its inverse. GBP has no rate yet.
    data(_call(pd, "POST", PATH, {"from_currency": "EUR", "to_currency": "USD", "rate": 1.25}),
         201)
    converted = _summary(pd, path)["per_stages_converted"]
    assert converted[a]["value"] == 260  # 100 + 200 / 1.25
    assert converted[a]["weighted_value"] == 130
    assert converted[a]["currencies_without_rate"] == []
    assert converted[b]["value"] is None and converted[b]["currencies_without_rate"] == ["GBP"]
    data(_call(pd, "POST", PATH, {"from_currency": "GBP", "to_currency": "EUR", "rate": 1.2}),
         201)
    converted = _summary(pd, path)["per_stages_converted"]
    assert math.isclose(converted[b]["value"], 52)  # 40 + 10 × 1.2
    assert converted[b]["value_formatted"] == "€52"
    in_default = _summary(pd, path.replace("=EUR", "=default_currency"))["per_stages_converted"]
    assert in_default[a]["currency"] == "USD" and in_default[a]["value"] == 325


@pytest.mark.parametrize("query", ["get_summary=2", "get_summary=1&totals_convert_currency=EURO",
                                   "get_summary=1&totals_convert_currency=xx"])
def test_summary_parameters_are_checked(pd: Pipedrive, board: dict[str, Any], query: str) -> None:
    refused(pd.get(f"/v1/pipelines/{board['pipeline']}/deals?{query}"), 400)


def test_the_cli_keeps_the_same_rates(database: Any, pd: Pipedrive, tenant: Tenant) -> None:
    from tests.cli.helpers import one_line_error, run

    company = str(tenant.company.company_id)
    made = run(database, "rates", "set", "eur", "usd", "1.5", "--company", company)
    assert made.exit_code == 0 and "1 EUR = 1.5 USD" in made.stdout, made.output
    assert run(database, "rates", "set", "EUR", "USD", "1.4", "--company", company).exit_code == 0
    assert _rates(pd) == [("EUR", "USD", 1.4)]
    listed = run(database, "rates", "list", "--json", "--company", company)
    assert [(r["from"], r["to"], r["rate"]) for r in json.loads(listed.stdout)] \
        == [("EUR", "USD", 1.4)]
    assert "must differ" in one_line_error(run(database, "rates", "set", "EUR", "EUR", "2",
                                               "--company", company))
    assert "not a currency" in one_line_error(run(database, "rates", "set", "EUR", "ZZZ", "2",
                                                  "--company", company))
    assert run(database, "rates", "delete", "EUR", "USD", "--company", company).exit_code == 0
    assert _rates(pd) == []
    assert "no rate" in one_line_error(run(database, "rates", "delete", "EUR", "USD",
                                           "--company", company))


def test_a_pipeline_shows_the_summary_of_its_open_deals(pd: Pipedrive, tenant: Tenant,
                                                        app: Any, http: Any,
                                                        board: dict[str, Any]) -> None:
    pipeline, a = board["pipeline"], str(board["a"])
    someone = tenant.records.create("user", {"name": "Kim", "email": "kim@acme.example"})
    data(pd.post("/api/v2/deals", json={"title": "theirs", "stage_id": board["a"], "value": 1,
                                        "currency": "EUR", "owner_id": someone["id"]}))
    v2 = data(pd.get(f"/api/v2/pipelines/{pipeline}"))
    assert v2["name"] == "Board" and v2["deals_summary"]["total_count"] == 5  # every owner's
    assert v2["deals_summary"]["per_stages"][a]["EUR"]["value"] == 101
    data(_call(pd, "POST", PATH, {"from_currency": "USD", "to_currency": "EUR", "rate": 0.5}),
         201)
    v1 = data(pd.get(f"/v1/pipelines/{pipeline}?totals_convert_currency=EUR"))
    assert v1["deal_probability"] is True or v1["deal_probability"] == 1
    assert v1["deals_summary"]["per_stages_converted"][a]["value"] == 201  # 101 + 200 × 0.5
    refused(pd.get(f"/v1/pipelines/{pipeline}?totals_convert_currency=nope"), 400)
    refused(pd.get("/api/v2/pipelines/99999999"), 404)
