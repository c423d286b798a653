"""Subscriptions (v1, seed 004) and a deal's installments (v2 DealInstallments).

Every response is checked against the v1 document (the seed-only operations against
dealbase's documented shapes, tests/contract/specs/dealbase-v1-seed-operations.yaml) or
the vendored v2 spec by the ``pd`` client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealbase.query.ast import Keyset, Query
from tests.api.answers import data, refused
from tests.conftest import Pipedrive, Tenant

SUBSCRIPTION_KEYS = {"id", "user_id", "deal_id", "description", "is_active", "cycles_count",
                     "cycle_amount", "infinite", "currency", "cadence_type", "start_date",
                     "end_date", "lifetime_value", "final_status", "add_time", "update_time"}
PAYMENT_KEYS = {"id", "subscription_id", "deal_id", "is_active", "amount", "currency",
                "change_amount", "due_at", "revenue_movement_type", "payment_type",
                "description", "add_time", "update_time"}


def _deal(pd: Pipedrive, value: float = 5) -> dict[str, Any]:
    made: dict[str, Any] = data(pd.post("/v1/deals", json={"title": "Subscribed",
                                                          "value": value}), 201)
    return made


def _recurring(pd: Pipedrive, deal: int, **extra: Any) -> Any:
    body = {"deal_id": deal, "currency": "EUR", "start_date": "2024-01-31",
            "cadence_type": "monthly", "cycle_amount": 100, "cycles_count": 6, **extra}
    return pd.post("/v1/subscriptions/recurring", json=body)


def _payments(pd: Pipedrive, subscription: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data(pd.get(f"/v1/subscriptions/{subscription}/payments"))
    return found


def _due(payments: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(p["due_at"], p["amount"]) for p in payments]


def _revenue(pd: Pipedrive, deal: int) -> tuple[Any, ...]:
    v1 = data(pd.get(f"/v1/deals/{deal}"))
    v2 = data(pd.get(f"/api/v2/deals/{deal}"))
    assert (v2["mrr"], v2["arr"], v2["acv"]) == (v1["mrr"], v1["arr"], v1["acv"])
    return v1["value"], v1["currency"], v1["mrr"], v1["arr"], v1["acv"], v1["mrr_currency"]


def _stored(tenant: Tenant, entity: str) -> list[dict[str, Any]]:
    return tenant.records.list(entity, Query(page=Keyset(None, 1000))).items


def test_recurring_monthly_from_the_31st_of_january(pd: Pipedrive) -> None:
    deal = _deal(pd)
    made = data(_recurring(pd, deal["id"], description="Support", update_deal_value=True))
    assert set(made) == SUBSCRIPTION_KEYS
    assert (made["deal_id"], made["cadence_type"], made["cycle_amount"], made["cycles_count"],
            made["infinite"], made["is_active"], made["start_date"], made["end_date"],
            made["lifetime_value"], made["description"], made["final_status"]) == (
        deal["id"], "monthly", 100, 6, False, True, "2024-01-31", "2024-07-31", 600, "Support",
        None)
    payments = _payments(pd, made["id"])
    assert all(set(p) == PAYMENT_KEYS for p in payments)
    assert _due(payments) == [("2024-01-31", 100), ("2024-02-29", 100), ("2024-03-31", 100),
                              ("2024-04-30", 100), ("2024-05-31", 100), ("2024-06-30", 100)]
    assert [p["revenue_movement_type"] for p in payments] == [
        "new", "recurring", "recurring", "recurring", "recurring", "churn"]
    assert {(p["payment_type"], p["currency"], p["deal_id"]) for p in payments} == {
        ("recurring", "EUR", deal["id"])}
    # update_deal_value: the deal's value is the MRR (and in the subscription's currency)
    assert _revenue(pd, deal["id"]) == (100, "EUR", 100, 1200, 600, "EUR")
    assert data(pd.get(f"/api/v1/subscriptions/{made['id']}")) == made
    assert data(pd.get(f"/v1/subscriptions/find/{deal['id']}")) == made


@pytest.mark.parametrize(("cadence", "amount", "cycles", "dates", "revenue"), [
    ("quarterly", 300, 3, ["2025-11-30", "2026-02-28", "2026-05-30"], (100, 1200, 900)),
    ("yearly", 1200, 2, ["2025-11-30", "2026-11-30"], (100, 1200, 1200)),
    ("weekly", 10, 3, ["2025-11-30", "2025-12-07", "2025-12-14"], (43.33, 520, 30)),
])
def test_quarterly_yearly_and_weekly(pd: Pipedrive, cadence: str, amount: int, cycles: int,
                                     dates: list[str], revenue: tuple[float, ...]) -> None:
    deal = _deal(pd)
    made = data(_recurring(pd, deal["id"], cadence_type=cadence, cycle_amount=amount,
                           cycles_count=cycles, start_date="2025-11-30"))
    assert [p["due_at"] for p in _payments(pd, made["id"])] == dates
    assert made["lifetime_value"] == amount * cycles
    # update_deal_value off: the deal keeps its value
    assert _revenue(pd, deal["id"]) == (5, "USD", *revenue, "USD")


def test_an_infinite_subscription_holds_its_first_year(pd: Pipedrive) -> None:
    deal = _deal(pd)
    made = data(_recurring(pd, deal["id"], cycles_count=None, infinite=True,
                           cadence_type="quarterly", cycle_amount=90))
    assert (made["infinite"], made["cycles_count"], made["end_date"]) == (True, None, None)
    payments = _payments(pd, made["id"])
    assert [p["due_at"] for p in payments] == ["2024-01-31", "2024-04-30", "2024-07-31",
                                               "2024-10-31"]
    assert payments[-1]["revenue_movement_type"] == "recurring"  # no churn: it goes on
    assert _revenue(pd, deal["id"])[2:5] == (30, 360, 360)


def test_an_update_reprices_from_its_effective_date(pd: Pipedrive) -> None:
    deal = _deal(pd)
    made = data(_recurring(pd, deal["id"], update_deal_value=True,
                           payments=[{"amount": 50, "description": "Setup",
                                      "due_at": "2024-02-10"}]))
    before = _payments(pd, made["id"])
    assert made["lifetime_value"] == 650
    changed = data(pd.put(f"/v1/subscriptions/recurring/{made['id']}", json={
        "effective_date": "2024-04-01", "cycle_amount": 150, "description": "More",
        "payments": [{"amount": 20, "description": "Training", "due_at": "2024-05-02"}]}))
    payments = _payments(pd, made["id"])
    assert _due(payments) == [("2024-01-31", 100), ("2024-02-10", 50), ("2024-02-29", 100),
                              ("2024-03-31", 100), ("2024-04-30", 150), ("2024-05-02", 20),
                              ("2024-05-31", 150), ("2024-06-30", 150)]
    # the payments that stayed keep their ids
    assert {p["id"] for p in before if p["payment_type"] == "recurring"} == {
        p["id"] for p in payments if p["payment_type"] == "recurring"}
    assert [(p["revenue_movement_type"], p["change_amount"]) for p in payments
            if p["due_at"] in ("2024-04-30", "2024-05-02", "2024-05-31")] == [
        ("expansion", 50), ("none", 0), ("recurring", 0)]
    assert (changed["cycle_amount"], changed["description"], changed["lifetime_value"]) == (
        150, "More", 100 * 3 + 150 * 3 + 50 + 20)
    assert _revenue(pd, deal["id"])[:5] == (150, "EUR", 150, 1800, 900)
    refused(pd.put(f"/v1/subscriptions/recurring/{made['id']}",
                   json={"effective_date": "2023-12-31", "cycle_amount": 1}))
    refused(pd.put(f"/v1/subscriptions/recurring/{made['id']}", json={"cycle_amount": 1}))
    assert _payments(pd, made["id"]) == payments


def test_cancel_mid_cycle_drops_the_later_payments(pd: Pipedrive) -> None:
    deal = _deal(pd)
    made = data(_recurring(pd, deal["id"], cycles_count=12, start_date="2025-01-15"))
    cancelled = data(pd.put(f"/v1/subscriptions/recurring/{made['id']}/cancel",
                            json={"end_date": "2025-04-20"}))
    assert (cancelled["is_active"], cancelled["end_date"], cancelled["final_status"],
            cancelled["lifetime_value"]) == (False, "2025-05-15", "canceled", 400)
    payments = _payments(pd, made["id"])
    assert [p["due_at"] for p in payments] == ["2025-01-15", "2025-02-15", "2025-03-15",
                                               "2025-04-15"]
    assert payments[-1]["revenue_movement_type"] == "churn"
    # a cancelled subscription brings no recurring revenue; the deal may have a new one
    assert _revenue(pd, deal["id"])[2:] == (None, None, None, None)
    refused(pd.put(f"/v1/subscriptions/recurring/{made['id']}/cancel", json={}))
    refused(pd.put(f"/v1/subscriptions/recurring/{made['id']}",
                   json={"effective_date": "2025-06-01", "cycle_amount": 5}))
    again = data(_recurring(pd, deal["id"], start_date="2025-06-01"))
    assert data(pd.get(f"/v1/subscriptions/find/{deal['id']}"))["id"] == again["id"]
    other = data(_recurring(pd, _deal(pd)["id"], start_date="2025-01-15"))
    refused(pd.put(f"/v1/subscriptions/recurring/{other['id']}/cancel",
                   json={"end_date": "2025-01-14"}))


def test_installment_subscriptions(pd: Pipedrive) -> None:
    deal = _deal(pd)
    made = data(pd.post("/v1/subscriptions/installment", json={
        "deal_id": deal["id"], "currency": "usd", "update_deal_value": True,
        "payments": [{"amount": 300, "description": "Second", "due_at": "2025-03-01"},
                     {"amount": 200.5, "description": "First", "due_at": "2025-01-01"}]}))
    assert (made["cadence_type"], made["cycle_amount"], made["lifetime_value"],
            made["currency"]) == (None, None, 500.5, "USD")
    payments = _payments(pd, made["id"])
    assert [(p["due_at"], p["amount"], p["description"], p["payment_type"],
             p["revenue_movement_type"]) for p in payments] == [
        ("2025-01-01", 200.5, "First", "installment", "new"),
        ("2025-03-01", 300, "Second", "installment", "churn")]
    # update_deal_value: the deal's value is the total; installments bring no MRR
    assert _revenue(pd, deal["id"]) == (500.5, "USD", None, None, None, None)
    changed = data(pd.put(f"/v1/subscriptions/installment/{made['id']}", json={
        "payments": [{"amount": 1000, "due_at": "2025-06-01"}]}))
    assert changed["lifetime_value"] == 1000
    assert _due(_payments(pd, made["id"])) == [("2025-06-01", 1000)]
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["value"] == 1000
    # with update_deal_value off from now on, the deal keeps its value
    data(pd.put(f"/v1/subscriptions/installment/{made['id']}", json={
        "payments": [{"amount": 7, "due_at": "2025-06-01"}], "update_deal_value": False}))
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["value"] == 1000
    refused(pd.put(f"/v1/subscriptions/recurring/{made['id']}",
                   json={"effective_date": "2025-06-01"}))
    refused(pd.put(f"/v1/subscriptions/recurring/{made['id']}/cancel", json={}))
    deleted = data(pd.delete(f"/v1/subscriptions/{made['id']}"))
    assert (deleted["id"], deleted["is_active"], deleted["final_status"]) == (
        made["id"], False, "deleted")
    for path in (f"/v1/subscriptions/{made['id']}", f"/v1/subscriptions/{made['id']}/payments",
                 f"/v1/subscriptions/find/{deal['id']}"):
        refused(pd.get(path, check=False), 404)
    refused(pd.delete(f"/v1/subscriptions/{made['id']}", check=False), 404)


def test_one_active_subscription_per_deal(pd: Pipedrive, tenant: Tenant) -> None:
    deal = _deal(pd)
    data(_recurring(pd, deal["id"]))
    before = (_stored(tenant, "subscription"), _stored(tenant, "subscription_payment"))
    refused(_recurring(pd, deal["id"]))
    refused(pd.post("/v1/subscriptions/installment", json={
        "deal_id": deal["id"], "currency": "EUR",
        "payments": [{"amount": 1, "due_at": "2025-01-01"}]}))
    refused(pd.post(f"/api/v2/deals/{deal['id']}/installments", json={
        "description": "x", "amount": 1, "billing_date": "2025-01-01"}))
    assert (_stored(tenant, "subscription"), _stored(tenant, "subscription_payment")) == before


BAD_RECURRING: list[dict[str, Any]] = [
    {"cycle_amount": -100}, {"cycle_amount": 0}, {"cycle_amount": "100"},
    {"cadence_type": "daily"}, {"cadence_type": None}, {"start_date": "2024-02-30"},
    {"start_date": "31/01/2024"}, {"start_date": "9999-12-01", "cycles_count": 12},
    {"cycles_count": 0}, {"cycles_count": 100000}, {"cycles_count": None},
    {"infinite": True}, {"infinite": "sometimes", "cycles_count": None},
    {"currency": "EURO"}, {"currency": "XXQ"}, {"currency": None}, {"deal_id": "x"},
    {"deal_id": None}, {"colour": "red"}, {"payments": [{"amount": -1, "due_at": "2024-03-01"}]},
    {"payments": [{"amount": 1, "due_at": "2023-01-01"}]}, {"payments": "many"},
    {"description": 5}, {"update_deal_value": "maybe"},
]


def test_bad_input_is_refused_and_changes_nothing(pd: Pipedrive, tenant: Tenant) -> None:
    deal = _deal(pd)
    made = data(_recurring(pd, deal["id"]))
    before = (_stored(tenant, "subscription"), _stored(tenant, "subscription_payment"),
              data(pd.get(f"/v1/deals/{deal['id']}")))
    fresh = _deal(pd)["id"]
    for bad in BAD_RECURRING:
        refused(_recurring(pd, fresh, **bad))
    for body in ({"deal_id": fresh, "currency": "EUR", "payments": []},
                 {"deal_id": fresh, "currency": "EUR"},
                 {"deal_id": fresh, "currency": "EUR",
                  "payments": [{"amount": 5, "due_at": "2025-01-01", "x": 1}]},
                 {"deal_id": fresh, "currency": "EUR", "payments": [{"amount": 5}]}):
        refused(pd.post("/v1/subscriptions/installment", json=body))
    refused(pd.post("/v1/subscriptions/installment", content=b"{nope",
                    headers={"content-type": "application/json"}))
    update = f"/v1/subscriptions/recurring/{made['id']}"
    for body in ({"effective_date": "2024-13-01"}, {"effective_date": "2024-03-01",
                                                   "cycle_amount": -5},
                 {"effective_date": "2024-03-01", "cadence_type": "weekly"},
                 {"effective_date": "2024-03-01",
                  "payments": [{"amount": 5, "due_at": "2024-02-01"}]}):
        refused(pd.put(update, json=body))
    for body in ({"end_date": "2023-12-31"}, {"end_date": "soon"}, {"when": "2024-03-01"}):
        refused(pd.put(f"{update}/cancel", json=body))
    refused(pd.put(f"/v1/subscriptions/installment/{made['id']}", json={
        "payments": [{"amount": 5, "due_at": "2024-02-01"}]}))
    for path in ("/v1/subscriptions/x", "/v1/subscriptions/0", "/v1/subscriptions/find/x"):
        refused(pd.get(path, check=False), 404)
    assert (_stored(tenant, "subscription"), _stored(tenant, "subscription_payment"),
            data(pd.get(f"/v1/deals/{deal['id']}"))) == before


def test_deals_and_subscriptions_of_others_are_not_found(pd: Pipedrive, tenant: Tenant,
                                                        other: Tenant) -> None:
    theirs = _deal(other.api)
    their_sub = data(_recurring(other.api, theirs["id"]))
    their_installment = data(other.api.post(f"/api/v2/deals/{_deal(other.api)['id']}/installments",
                                            json={"description": "x", "amount": 1,
                                                  "billing_date": "2025-01-01"}))
    snapshot = (_stored(other, "subscription"), _stored(other, "subscription_payment"))
    refused(_recurring(pd, theirs["id"]), 404)
    refused(pd.post("/v1/subscriptions/installment", json={
        "deal_id": theirs["id"], "currency": "EUR",
        "payments": [{"amount": 1, "due_at": "2025-01-01"}]}), 404)
    sub = their_sub["id"]
    for method, path, body in (
            ("GET", f"/v1/subscriptions/{sub}", None),
            ("GET", f"/v1/subscriptions/{sub}/payments", None),
            ("GET", f"/v1/subscriptions/find/{theirs['id']}", None),
            ("PUT", f"/v1/subscriptions/recurring/{sub}", {"effective_date": "2024-03-01",
                                                           "cycle_amount": 1}),
            ("PUT", f"/v1/subscriptions/recurring/{sub}/cancel", {}),
            ("PUT", f"/v1/subscriptions/installment/{sub}",
             {"payments": [{"amount": 1, "due_at": "2025-01-01"}]}),
            ("DELETE", f"/v1/subscriptions/{sub}", None),
            ("POST", f"/api/v2/deals/{their_installment['deal_id']}/installments",
             {"description": "x", "amount": 1, "billing_date": "2025-01-01"}),
            ("PATCH", f"/api/v2/deals/{their_installment['deal_id']}/installments/"
             f"{their_installment['id']}", {"amount": 2}),
            ("DELETE", f"/api/v2/deals/{their_installment['deal_id']}/installments/"
             f"{their_installment['id']}", None)):
        refused(pd.request(method, path, json=body, check=False), 404)
    assert data(pd.get(f"/api/v2/deals/installments?deal_ids={their_installment['deal_id']}")) == []
    assert (_stored(other, "subscription"), _stored(other, "subscription_payment")) == snapshot


def test_a_deleted_deal_takes_no_subscription(pd: Pipedrive) -> None:
    deal = _deal(pd)
    data(pd.delete(f"/v1/deals/{deal['id']}"))
    refused(_recurring(pd, deal["id"]), 404)
    refused(pd.post(f"/api/v2/deals/{deal['id']}/installments",
                    json={"description": "x", "amount": 1, "billing_date": "2025-01-01"}), 404)
    refused(pd.get(f"/v1/subscriptions/find/{deal['id']}", check=False), 404)


def test_deal_installments_v2(pd: Pipedrive, tenant: Tenant) -> None:
    a, b = _deal(pd), _deal(pd)
    first = data(pd.post(f"/api/v2/deals/{a['id']}/installments", json={
        "description": "Delivery fee", "amount": 10, "billing_date": "2025-03-10"}))
    assert first == {"id": first["id"], "amount": 10, "billing_date": "2025-03-10",
                     "description": "Delivery fee", "deal_id": a["id"]}
    second = data(pd.post(f"/api/v2/deals/{a['id']}/installments", json={
        "description": "Balance", "amount": 90.5, "billing_date": "2025-01-05"}))
    third = data(pd.post(f"/api/v2/deals/{b['id']}/installments", json={
        "description": "Only", "amount": 1, "billing_date": "2025-02-01"}))
    # the same data through v1: one installment subscription per deal, in the deal's currency
    subscription = data(pd.get(f"/v1/subscriptions/find/{a['id']}"))
    assert (subscription["currency"], subscription["lifetime_value"]) == ("USD", 100.5)
    assert [p["id"] for p in _payments(pd, subscription["id"])] == [second["id"], first["id"]]
    listed = data(pd.get(f"/api/v2/deals/installments?deal_ids={a['id']},{b['id']}"))
    assert [i["id"] for i in listed] == [first["id"], second["id"], third["id"]]
    by_date = pd.get(f"/api/v2/deals/installments?deal_ids={a['id']},{b['id']}"
                     "&sort_by=billing_date&sort_direction=desc&limit=2").json()
    assert [i["id"] for i in by_date["data"]] == [first["id"], third["id"]]
    rest = pd.get(f"/api/v2/deals/installments?deal_ids={a['id']},{b['id']}&sort_by=billing_date"
                  f"&sort_direction=desc&limit=2&cursor={by_date['additional_data']['next_cursor']}")
    assert [i["id"] for i in data(rest)] == [second["id"]]
    changed = data(pd.patch(f"/api/v2/deals/{a['id']}/installments/{first['id']}",
                            json={"amount": 20, "billing_date": "2025-04-01"}))
    assert (changed["amount"], changed["billing_date"], changed["description"]) == (
        20, "2025-04-01", "Delivery fee")
    assert data(pd.get(f"/v1/subscriptions/{subscription['id']}"))["lifetime_value"] == 110.5
    # another deal's installment, a bad value: not found, refused
    refused(pd.patch(f"/api/v2/deals/{b['id']}/installments/{first['id']}", json={"amount": 1},
                     check=False), 404)
    patches: list[dict[str, Any]] = [{"amount": -1}, {"amount": 0}, {"billing_date": "2025-02-30"},
                                     {"x": 1}, {"amount": "ten"}]
    for body in patches:
        refused(pd.patch(f"/api/v2/deals/{a['id']}/installments/{first['id']}", json=body,
                         check=False))
    posts: list[dict[str, Any]] = [
        {"amount": 5, "billing_date": "2025-01-01"},
        {"description": "x", "amount": -5, "billing_date": "2025-01-01"},
        {"description": "x", "amount": 5, "billing_date": "01.01.2025"}]
    for body in posts:
        refused(pd.post(f"/api/v2/deals/{a['id']}/installments", json=body, check=False))
    refused(pd.get("/api/v2/deals/installments", check=False))
    refused(pd.get("/api/v2/deals/installments?deal_ids=1&sort_by=amount", check=False))
    gone = data(pd.delete(f"/api/v2/deals/{a['id']}/installments/{first['id']}"))
    assert gone == {"id": first["id"]}
    refused(pd.delete(f"/api/v2/deals/{a['id']}/installments/{first['id']}", check=False), 404)
    # the last installment takes its subscription with it
    data(pd.delete(f"/api/v2/deals/{a['id']}/installments/{second['id']}"))
    refused(pd.get(f"/v1/subscriptions/find/{a['id']}", check=False), 404)
    # a deal billed by a recurring subscription takes no installments
    data(_recurring(pd, a["id"]))
    refused(pd.post(f"/api/v2/deals/{a['id']}/installments", json={
        "description": "x", "amount": 1, "billing_date": "2025-01-01"}))
    live = [p for p in _stored(tenant, "subscription_payment") if not p["is_deleted"]]
    assert {p["payment_type"] for p in live} == {"installment", "recurring"}


amounts = st.integers(1, 10**7).map(lambda cents: cents / 100)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(amounts, days), min_size=1, max_size=12),
       st.sampled_from(["monthly", "quarterly", "yearly", "weekly"]), st.integers(1, 24),
       amounts)
def test_the_sum_of_a_schedule_is_what_the_deal_shows(
        pd: Pipedrive, installments: list[tuple[float, Any]], cadence: str, cycles: int,
        cycle_amount: float) -> None:
    deal = _deal(pd)
    made = data(pd.post("/v1/subscriptions/installment", json={
        "deal_id": deal["id"], "currency": "EUR", "update_deal_value": True,
        "payments": [{"amount": a, "due_at": d.isoformat()} for a, d in installments]}))
    total = sum(p["amount"] for p in _payments(pd, made["id"]))
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["value"] == pytest.approx(total, abs=0.01)
    assert made["lifetime_value"] == pytest.approx(total, abs=0.01)
    recurring = _deal(pd)
    made = data(_recurring(pd, recurring["id"], cadence_type=cadence, cycles_count=cycles,
                           cycle_amount=cycle_amount, update_deal_value=True))
    total = sum(p["amount"] for p in _payments(pd, made["id"]))
    shown = data(pd.get(f"/v1/deals/{recurring['id']}"))
    per_year = {"weekly": 52, "monthly": 12, "quarterly": 4, "yearly": 1}[cadence]
    assert total == pytest.approx(made["lifetime_value"]) == pytest.approx(cycles * cycle_amount)
    assert shown["arr"] == pytest.approx(total * per_year / cycles, abs=0.01)
    assert shown["value"] == shown["mrr"] == pytest.approx(shown["arr"] / 12, abs=0.01)
    assert shown["acv"] == pytest.approx(total if cycles <= per_year else shown["arr"], abs=0.01)


def test_seed_paths_answer_under_both_v1_prefixes(pd: Pipedrive, tenant: Tenant) -> None:
    deal = _deal(pd)
    made = data(pd.post("/api/v1/subscriptions/installment", json={
        "deal_id": deal["id"], "currency": "EUR",
        "payments": [{"amount": 5, "due_at": "2025-01-01"}]}))
    assert data(pd.get(f"/v1/subscriptions/{made['id']}/payments"))[0]["amount"] == 5
    assert data(pd.get(f"/api/v1/subscriptions/{made['id']}/payments"))[0]["amount"] == 5
    # the change log has the subscription's and its payment's creation
    with tenant.records.service.unit(tenant.ctx) as unit:
        logged = {(c.entity, c.action) for c in unit.changes()}
    assert {("subscription", "create"), ("subscription_payment", "create")} <= logged
