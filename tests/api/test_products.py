"""Products (with prices per currency, variations and custom fields) and deal products through
Pipedrive v1 and v2; every response is checked against the vendored spec."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.answers import data, refused
from tests.conftest import Pipedrive


@pytest.fixture
def widget(pd: Pipedrive) -> dict[str, Any]:
    made: dict[str, Any] = data(pd.post("/api/v2/products", json={
        "name": "Widget", "code": "W-1", "unit": "pcs", "tax": 20, "category": "Tools",
        "prices": [{"currency": "EUR", "price": 10, "cost": 4, "direct_cost": 1},
                   {"currency": "USD", "price": 12}]}), 201)
    return made


def test_v2_product_lifecycle(pd: Pipedrive, widget: dict[str, Any]) -> None:
    assert (widget["name"], widget["tax"], widget["is_linkable"], widget["visible_to"]) == (
        "Widget", 20.0, True, 3)
    assert sorted((p["currency"], p["price"], p["cost"], p["direct_cost"]) for p in widget["prices"]) \
        == [("EUR", 10.0, 4.0, 1.0), ("USD", 12.0, 0.0, 0.0)]
    patched = data(pd.patch(f"/api/v2/products/{widget['id']}", json={
        "billing_frequency": "monthly", "billing_frequency_cycles": 12,
        "prices": [{"currency": "EUR", "price": 11}]}))
    assert patched["billing_frequency_cycles"] == 12 and len(patched["prices"]) == 1
    refused(pd.patch(f"/api/v2/products/{widget['id']}", json={"billing_frequency": "hourly"}))
    refused(pd.patch(f"/api/v2/products/{widget['id']}", json={
        "prices": [{"currency": "EUR", "price": 1}, {"currency": "eur", "price": 2}]}))
    refused(pd.post("/api/v2/products", json={"name": "x", "billing_frequency": "one-time",
                                              "billing_frequency_cycles": 3}))
    copy = data(pd.post(f"/api/v2/products/{widget['id']}/duplicate"), 201)
    assert copy["id"] != widget["id"] and copy["name"] == "Widget"
    assert [p["price"] for p in copy["prices"]] == [11.0]
    listed = [p["id"] for p in data(pd.get("/api/v2/products?sort_by=name"))]
    assert listed == [widget["id"], copy["id"]]
    assert data(pd.delete(f"/api/v2/products/{copy['id']}")) == {"id": copy["id"]}
    refused(pd.post(f"/api/v2/products/{copy['id']}/duplicate"), 404)


def test_v1_products_and_custom_fields(pd: Pipedrive, widget: dict[str, Any]) -> None:
    field = data(pd.post("/v1/productFields", json={"name": "Weight", "field_type": "double"}),
                 201)
    made = data(pd.post("/v1/products", json={
        "name": "Gadget", "selectable": False, "visible_to": "7", field["key"]: "2.5",
        "description": "Does things",
        "prices": [{"currency": "EUR", "price": 3, "overhead_cost": 1}]}), 201)
    assert (made["selectable"], made["visible_to"], made[field["key"]]) == (False, "7", 2.5)
    assert made["description"] == "Does things"
    v2 = data(pd.patch(f"/api/v2/products/{made['id']}", json={"description": "More"}))
    assert v2["description"] == "More"
    assert made["prices"][0]["overhead_cost"] == 1.0 and made["prices"][0]["id"] == 1
    assert made["owner_id"]["id"] == data(pd.get("/v1/users/me"))["id"]
    v2 = data(pd.get(f"/api/v2/products/{made['id']}"))
    assert v2["custom_fields"][field["key"]] == 2.5 and v2["prices"][0]["direct_cost"] == 1.0
    changed = data(pd.put(f"/v1/products/{made['id']}", json={"name": "Gadget 2"}))
    assert changed["name"] == "Gadget 2" and changed["prices"] == made["prices"]
    assert {f["key"] for f in data(pd.get("/v1/productFields"))} >= {"name", "code", field["key"]}
    assert [p["id"] for p in data(pd.get("/v1/products?first_char=g"))] == [made["id"]]
    assert data(pd.delete(f"/v1/products/{made['id']}")) == {"id": made["id"]}


def test_variations(pd: Pipedrive, widget: dict[str, Any]) -> None:
    base = f"/api/v2/products/{widget['id']}/variations"
    red = data(pd.post(base, json={"name": "Red", "prices": [{"currency": "EUR", "price": 9}]}),
               201)
    assert red["name"] == "Red" and red["prices"][0]["product_variation_id"] == red["id"]
    assert [v["id"] for v in data(pd.get(base))] == [red["id"]]
    assert data(pd.patch(f"{base}/{red['id']}", json={"name": "Crimson"}))["name"] == "Crimson"
    other = data(pd.post("/api/v2/products", json={"name": "Other"}), 201)
    refused(pd.patch(f"/api/v2/products/{other['id']}/variations/{red['id']}",
                     json={"name": "x"}), 404)
    assert data(pd.delete(f"{base}/{red['id']}")) == {"id": red["id"]}
    assert data(pd.get(base)) == []


def test_deal_products_v2(pd: Pipedrive, widget: dict[str, Any]) -> None:
    deal = data(pd.post("/api/v2/deals", json={"title": "Order", "currency": "EUR"}))
    base = f"/api/v2/deals/{deal['id']}/products"
    line = data(pd.post(base, json={"product_id": widget["id"], "item_price": 10, "quantity": 3,
                                    "discount": 10, "discount_type": "percentage", "tax": 20,
                                    "tax_method": "exclusive"}), 201)
    assert (line["name"], line["currency"], line["sum"], line["comments"]) == (
        "Widget", "EUR", 32.4, "")
    priced = data(pd.post(base, json={"product_id": widget["id"], "item_price": 5,
                                      "quantity": 2, "discount": 1, "discount_type": "amount"}), 201)
    assert priced["sum"] == 9.0 and priced["order_nr"] == 2
    counted = data(pd.get(f"/api/v2/deals/{deal['id']}?include_fields=products_count"))
    assert counted["products_count"] == 2
    assert [p["id"] for p in data(pd.get(base))] == [line["id"], priced["id"]]
    assert [p["id"] for p in data(pd.get(f"/api/v2/deals/products?deal_ids={deal['id']}"))] == [
        line["id"], priced["id"]]
    moved = data(pd.patch(f"{base}/{line['id']}", json={"quantity": 1, "comments": "one"}))
    assert (moved["sum"], moved["comments"]) == (10.8, "one")
    refused(pd.patch(f"{base}/{line['id']}", json={"discount": 101}))
    refused(pd.post(base, json={"product_id": 10**12, "item_price": 1, "quantity": 1}))
    many = data(pd.post(f"{base}/bulk", json={"data": [
        {"product_id": widget["id"], "item_price": 1, "quantity": 1},
        {"product_id": widget["id"], "item_price": 2, "quantity": 1}]}), 201)
    assert [m["sum"] for m in many] == [1.0, 2.0]
    assert data(pd.delete(f"{base}/{line['id']}")) == {"id": line["id"]}
    gone = pd.delete(f"{base}?ids={priced['id']},{many[0]['id']}").json()
    assert gone["data"] == {"ids": [priced["id"], many[0]["id"]]}
    rest = pd.delete(base).json()
    assert rest["data"] == {"ids": [many[1]["id"]]}
    assert rest["additional_data"] == {"more_items_in_collection": False}
    assert data(pd.get(f"/api/v2/deals/{deal['id']}?include_fields=products_count")
                )["products_count"] == 0
    other = data(pd.post("/api/v2/deals", json={"title": "Other"}))
    refused(pd.delete(f"/api/v2/deals/{other['id']}/products/{many[1]['id']}"), 404)


def test_deal_products_v1(pd: Pipedrive, widget: dict[str, Any]) -> None:
    deal = data(pd.post("/v1/deals", json={"title": "Order", "currency": "USD"}), 201)
    base = f"/v1/deals/{deal['id']}/products"
    line = data(pd.post(base, json={"product_id": widget["id"], "quantity": 2,
                                    "enabled_flag": True}))
    assert (line["item_price"], line["sum"], line["quantity"], line["currency"]) == (
        12.0, 24.0, 2, "USD")
    assert line["enabled_flag"] is True and line["sum_formatted"] == "$24"
    changed = data(pd.put(f"{base}/{line['id']}", json={"item_price": 15}))
    assert changed["sum"] == 30.0
    assert [p["id"] for p in data(pd.get(base))] == [line["id"]]
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["products_count"] == 1
    assert data(pd.delete(f"{base}/{line['id']}")) == {"id": line["id"]}
    refused(pd.get(f"/v1/deals/{10**12}/products"), 404)


def test_products_of_another_company_are_not_found(pd: Pipedrive, other: Any,
                                                  widget: dict[str, Any]) -> None:
    theirs = other.api
    refused(theirs.get(f"/api/v2/products/{widget['id']}"), 404)
    refused(theirs.post(f"/api/v2/products/{widget['id']}/duplicate"), 404)
    deal = data(theirs.post("/api/v2/deals", json={"title": "x"}))
    refused(theirs.post(f"/api/v2/deals/{deal['id']}/products", json={
        "product_id": widget["id"], "item_price": 1, "quantity": 1}))
    refused(theirs.get(f"/api/v2/products/{widget['id']}/variations"), 404)


def test_a_products_deals_and_a_persons_products(pd: Pipedrive, widget: dict[str, Any]) -> None:
    person = data(pd.post("/v1/persons", json={"name": "Pat"}), 201)
    deals = [data(pd.post("/api/v2/deals", json={"title": f"D{n}", "person_id": person["id"]}))
             for n in range(3)]
    for deal in deals[:2]:
        data(pd.post(f"/api/v2/deals/{deal['id']}/products", json={
            "product_id": widget["id"], "item_price": 5, "quantity": 2}), 201)
    data(pd.put(f"/v1/deals/{deals[1]['id']}", json={"status": "won"}))
    listed = data(pd.get(f"/v1/products/{widget['id']}/deals"))
    assert [d["id"] for d in listed] == [deals[0]["id"], deals[1]["id"]]
    assert listed[0]["title"] == "D0" and listed[0]["person_id"]["value"] == person["id"]
    assert [d["id"] for d in data(pd.get(f"/v1/products/{widget['id']}/deals?status=won"))] \
        == [deals[1]["id"]]
    refused(pd.get(f"/v1/products/{widget['id']}/deals?status=nope"))
    refused(pd.get("/v1/products/999999/deals"), 404)

    page = pd.get(f"/v1/persons/{person['id']}/products?limit=1").json()
    assert page["additional_data"]["pagination"]["more_items_in_collection"] is True
    (item,) = page["data"]
    ((deal_id, pair),) = item.items()
    assert deal_id == str(deals[0]["id"]) and pair["deal"]["id"] == deals[0]["id"]
    assert pair["product"]["id"] == widget["id"] and pair["product"]["deal_id"] == deals[0]["id"]
    assert len(data(pd.get(f"/v1/persons/{person['id']}/products"))) == 2
    other = data(pd.post("/v1/persons", json={"name": "Nobody"}), 201)
    assert data(pd.get(f"/v1/persons/{other['id']}/products")) == []
    refused(pd.get("/v1/persons/999999/products"), 404)


def test_currencies(pd: Pipedrive) -> None:
    everything = data(pd.get("/v1/currencies"))
    codes = [c["code"] for c in everything]
    assert len(codes) > 100 and codes == sorted(codes) and len(set(codes)) == len(codes)
    euro = next(c for c in everything if c["code"] == "EUR")
    assert (euro["name"], euro["symbol"], euro["decimal_points"]) == ("Euro", "€", 2)
    assert next(c for c in everything if c["code"] == "JPY")["decimal_points"] == 0
    assert [c["code"] for c in data(pd.get("/v1/currencies?term=swiss"))] == ["CHF"]
    assert "USD" in [c["code"] for c in data(pd.get("/v1/currencies?term=usd"))]
    assert data(pd.get("/v1/currencies?term=%E2%91%A0zz")) == []
