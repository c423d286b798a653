"""The product: something a company sells, with a price per currency; its variations; and
a deal's products (a product attached to a deal, with its quantity, price and discount).

A deal product's ``sum`` is its quantity times its price, less its discount (a percentage
or an amount), plus its tax when the tax is not already in the price (``tax_method``
exclusive); it takes its deal's currency, and by default its product's name and price.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import FLOAT_LIMIT, Kind
from ._common import id_list, identity, last_writer, lifecycle, owned, updated_by, visibility

BILLING_FREQUENCIES = ("one-time", "annually", "semi-annually", "quarterly", "monthly", "weekly")
MAX_CYCLES = 208
MAX_PRICES = 100
PRICE_KEYS = {"currency": str, "price": float, "cost": float, "direct_cost": float,
              "notes": str}
DISCOUNT_TYPES = ("percentage", "amount")
TAX_METHODS = ("exclusive", "inclusive", "none")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > FLOAT_LIMIT \
            or value != value:
        raise invalid("prices", f"{key} must be a number")
    return float(value)


def _prices(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """Prices: at most one per currency, each ``{id, currency, price, cost, direct_cost,
    notes}``; a price keeps its id, a new one takes the next."""
    items = values.get("prices")
    if items is None:
        return
    if not isinstance(items, list) or len(items) > MAX_PRICES:
        raise invalid("prices", f"must be a list of at most {MAX_PRICES} prices")
    known = {p["currency"]: p["id"] for p in (before or {}).get("prices") or ()}
    next_id = max(known.values(), default=0) + 1
    out, seen = [], set()
    for item in items:
        if not isinstance(item, dict) or set(item) - {*PRICE_KEYS, "id", "product_id"}:
            raise invalid("prices", f"each price is an object of {', '.join(PRICE_KEYS)}",
                          Reason.UNKNOWN_FIELD)
        currency = item.get("currency")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() \
                or not currency.isalpha():
            raise invalid("prices", "each price needs a three-letter currency")
        currency = currency.upper()
        if currency in seen:
            raise invalid("prices", f"{currency} is priced twice")
        seen.add(currency)
        notes = item.get("notes")
        if notes is not None and (not isinstance(notes, str) or len(notes) > 255
                                  or "\x00" in notes):
            raise invalid("prices", "notes must be a string of at most 255 characters")
        price_id = known.get(currency)
        if price_id is None:
            price_id, next_id = next_id, next_id + 1
        out.append({"id": price_id, "currency": currency,
                    "price": _number("price", item.get("price", 0)),
                    "cost": _number("cost", item.get("cost", 0) or 0),
                    "direct_cost": _number("direct_cost", item.get("direct_cost", 0) or 0),
                    "notes": notes})
    values["prices"] = out


def _cycles(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """A one-time sale has no billing cycles; another frequency has 1 to 208, or none."""
    frequency = values.get("billing_frequency", (before or {}).get("billing_frequency"))
    cycles = values.get("billing_frequency_cycles")
    if frequency == "one-time" and cycles is not None:
        raise invalid("billing_frequency_cycles", "a one-time billing has no cycles")
    if cycles is not None and not 1 <= cycles <= MAX_CYCLES:
        raise invalid("billing_frequency_cycles", f"must be between 1 and {MAX_CYCLES}")


def billing() -> tuple[FieldSpec, ...]:
    return (FieldSpec("billing_frequency", Kind.TEXT, choices=BILLING_FREQUENCIES,
                      default="one-time", nullable=False, max_length=16,
                      label="Billing frequency"),
            FieldSpec("billing_frequency_cycles", Kind.INT, field_type="int",
                      label="Billing cycles"))


PRODUCT = EntitySpec(
    name="product",
    table="products",
    has_custom_fields=True,
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("code", Kind.TEXT, max_length=255, label="Product code"),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        FieldSpec("unit", Kind.TEXT, max_length=64, label="Unit"),
        FieldSpec("category", Kind.TEXT, max_length=255, label="Category"),
        owned(),
        FieldSpec("tax", Kind.FLOAT, default=0.0, nullable=False, field_type="double",
                  label="Tax %"),
        FieldSpec("is_linkable", Kind.BOOL, default=True, nullable=False, field_type="boolean",
                  label="Selectable"),
        visibility(),
        *billing(),
        FieldSpec("prices", Kind.JSON, default=(), nullable=False, field_type="set",
                  label="Unit prices"),
        id_list("watcher_ids", "user", "Followers"),
        *lifecycle(),
    ),
    rules=(_prices, _cycles),
)

PRODUCT_VARIATION = EntitySpec(
    name="product_variation",
    table="product_variations",
    fields=(
        *identity(),
        FieldSpec("product_id", Kind.REF, ref="product", required=True, nullable=False,
                  field_type="int", label="Product"),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("prices", Kind.JSON, default=(), nullable=False, field_type="set",
                  label="Prices"),
        *lifecycle(),
    ),
    rules=(_prices,),
)


def _deal_product(values: dict[str, Any], before: Mapping[str, Any] | None,
                  lookup: Lookup) -> None:
    """Name and price from the product (in the deal's currency), the deal's currency, the
    order, and the sum."""
    merged = {**(before or {}), **values}
    deal = lookup.fetch("deal", merged["deal_id"]) if merged.get("deal_id") else None
    product = lookup.fetch("product", merged["product_id"]) if merged.get("product_id") else None
    if deal is not None:
        values["currency"] = merged["currency"] = deal["currency"]
    if before is None and product is not None:
        if not values.get("name"):
            values["name"] = merged["name"] = product["name"]
        if values.get("item_price") is None:
            prices = {p["currency"]: p["price"] for p in product.get("prices") or ()}
            values["item_price"] = merged["item_price"] = prices.get(merged.get("currency"), 0.0)
    if before is None and values.get("order_nr") is None and merged.get("deal_id"):
        last = lookup.first("deal_product", {"deal_id": merged["deal_id"]}, "-order_nr")
        values["order_nr"] = merged["order_nr"] = (last["order_nr"] + 1) if last else 1
    for name in ("quantity", "item_price", "discount", "tax"):
        if (merged.get(name) or 0) < 0:
            raise invalid(name, "must not be negative")
    if merged.get("discount_type") == "percentage" and (merged.get("discount") or 0) > 100:
        raise invalid("discount", "a percentage is at most 100")
    variation = merged.get("product_variation_id")
    if variation is not None and ("product_variation_id" in values or "product_id" in values):
        found = lookup.fetch("product_variation", variation)
        if found is None or found["product_id"] != merged.get("product_id"):
            raise invalid("product_variation_id", "is not a variation of this product",
                          Reason.MISSING_RELATED)
    values["sum"] = deal_product_sum(merged)


def deal_product_sum(line: Mapping[str, Any]) -> float:
    """What a deal product comes to (see the module's docstring)."""
    gross = (line.get("quantity") or 0) * (line.get("item_price") or 0)
    discount = line.get("discount") or 0
    net = gross * (1 - discount / 100) if line.get("discount_type") == "percentage" \
        else gross - discount
    if line.get("tax_method") == "exclusive":
        net *= 1 + (line.get("tax") or 0) / 100
    return round(net, 2)


DEAL_PRODUCT = EntitySpec(
    name="deal_product",
    table="deal_products",
    title_field="name",
    fields=(
        *identity(),
        FieldSpec("deal_id", Kind.REF, ref="deal", required=True, nullable=False,
                  field_type="int", label="Deal"),
        FieldSpec("product_id", Kind.REF, ref="product", required=True, nullable=False,
                  field_type="int", label="Product"),
        FieldSpec("product_variation_id", Kind.REF, ref="product_variation", field_type="int",
                  label="Variation"),
        FieldSpec("name", Kind.TEXT, max_length=255, nullable=False, label="Name"),
        FieldSpec("item_price", Kind.FLOAT, nullable=False, field_type="double", label="Price"),
        FieldSpec("quantity", Kind.FLOAT, default=1.0, nullable=False, field_type="double",
                  label="Quantity"),
        FieldSpec("discount", Kind.FLOAT, default=0.0, nullable=False, field_type="double",
                  label="Discount"),
        FieldSpec("discount_type", Kind.TEXT, choices=DISCOUNT_TYPES, default="percentage",
                  nullable=False, max_length=16, label="Discount type"),
        FieldSpec("tax", Kind.FLOAT, default=0.0, nullable=False, field_type="double",
                  label="Tax %"),
        FieldSpec("tax_method", Kind.TEXT, choices=TAX_METHODS, default="inclusive",
                  nullable=False, max_length=16, label="Tax method"),
        FieldSpec("sum", Kind.FLOAT, readonly=True, nullable=False, default=0.0,
                  field_type="double", label="Sum"),
        FieldSpec("currency", Kind.TEXT, readonly=True, max_length=3, label="Currency"),
        FieldSpec("comments", Kind.TEXT, max_length=65535, field_type="text", label="Comments"),
        FieldSpec("is_enabled", Kind.BOOL, default=True, nullable=False, field_type="boolean",
                  label="Enabled"),
        FieldSpec("order_nr", Kind.INT, field_type="int", label="Order"),
        *billing(),
        FieldSpec("billing_start_date", Kind.DATE, field_type="date",
                  label="Billing start date"),
        owned("Added by"),
        *lifecycle(),
    ),
    rules=(_deal_product, _cycles),
)


def _positive_amount(values: dict[str, Any], before: Mapping[str, Any] | None,
                     lookup: Lookup) -> None:
    merged = {**(before or {}), **values}
    amount = merged.get("amount")
    if amount is not None and amount <= 0:
        raise invalid("amount", "must be a positive number")
    if merged.get("type") == "percentage" and amount is not None and amount > 100:
        raise invalid("amount", "a percentage is at most 100")


# A discount on a whole deal (beside its products' own discounts).
DEAL_DISCOUNT = EntitySpec(
    name="deal_discount",
    table="deal_discounts",
    title_field="description",
    fields=(
        *identity(),
        FieldSpec("deal_id", Kind.REF, ref="deal", required=True, nullable=False,
                  field_type="int", label="Deal"),
        FieldSpec("description", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Description"),
        FieldSpec("amount", Kind.FLOAT, required=True, nullable=False, field_type="double",
                  label="Amount"),
        FieldSpec("type", Kind.TEXT, required=True, choices=DISCOUNT_TYPES, nullable=False,
                  max_length=16, label="Type"),
        owned("Created by"),
        updated_by(),
        *lifecycle(),
    ),
    rules=(_positive_amount, last_writer),
)

__all__ = ["DEAL_DISCOUNT", "DEAL_PRODUCT", "PRODUCT", "PRODUCT_VARIATION", "deal_product_sum"]
