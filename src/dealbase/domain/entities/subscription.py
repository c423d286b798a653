"""A deal's subscription (recurring or installment) and the payments of its schedule.

Rules: a recurring subscription has a cadence, a positive cycle amount and either a
number of cycles or ``infinite``; its recurring revenue (``mrr``, ``arr``, ``acv``) is
computed from those (``domain.schedule``) on every write, and is what its deal shows
while it is active. An installment subscription has none of these. An end never comes
before the start. The payments themselves are written by the records service's
subscription operations (``service.subscriptions``), which keep the schedule whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import schedule
from ..currencies import BY_CODE
from ..errors import Reason, invalid
from ..spec import Derived, EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle, owned

KINDS = ("recurring", "installment")


def _terms(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    merged = {**(before or {}), **values}
    currency = values.get("currency")
    if currency is not None and currency not in BY_CODE:
        raise invalid("currency", "must be a known 3-letter currency code")
    start, end = merged.get("start_date"), merged.get("end_date")
    if start is not None and end is not None and end < start:
        raise invalid("end_date", "must not be before the start date")
    if merged.get("kind") != "recurring":
        for name in ("cadence_type", "cycle_amount", "cycles_count"):
            if values.get(name) is not None:
                raise invalid(name, "only a recurring subscription has it")
        return
    cadence, amount = merged.get("cadence_type"), merged.get("cycle_amount")
    cycles, infinite = merged.get("cycles_count"), bool(merged.get("infinite"))
    if cadence is None or amount is None or start is None:
        raise invalid("cadence_type", "a recurring subscription needs cadence_type, "
                      "cycle_amount and start_date", Reason.REQUIRED)
    if amount <= 0:
        raise invalid("cycle_amount", "must be a positive number")
    if infinite == (cycles is not None):
        raise invalid("cycles_count", "give either cycles_count or infinite", Reason.REQUIRED)
    if cycles is not None and not 1 <= cycles <= schedule.MAX_CYCLES:
        raise invalid("cycles_count", f"must be from 1 to {schedule.MAX_CYCLES}")
    found = schedule.revenue(cadence, amount, cycles)
    values.update(mrr=found.mrr, arr=found.arr, acv=found.acv)


def _revenue(name: str, label: str) -> FieldSpec:
    return FieldSpec(name, Kind.FLOAT, readonly=True, field_type="double", label=label)


SUBSCRIPTION = EntitySpec(
    name="subscription",
    table="subscriptions",
    title_field="description",
    fields=(
        *identity(),
        FieldSpec("deal_id", Kind.REF, ref="deal", required=True, nullable=False,
                  field_type="int", label="Deal"),
        FieldSpec("kind", Kind.TEXT, required=True, choices=KINDS, nullable=False,
                  max_length=16, label="Type"),
        FieldSpec("description", Kind.TEXT, max_length=255, label="Description"),
        FieldSpec("currency", Kind.TEXT, required=True, max_length=3, nullable=False,
                  label="Currency"),
        FieldSpec("cadence_type", Kind.TEXT, choices=schedule.CADENCES, max_length=16,
                  label="Cadence"),
        FieldSpec("cycle_amount", Kind.FLOAT, field_type="monetary", label="Cycle amount"),
        FieldSpec("cycles_count", Kind.INT, field_type="int", label="Cycles"),
        FieldSpec("infinite", Kind.BOOL, default=False, nullable=False, field_type="boolean"),
        FieldSpec("start_date", Kind.DATE, field_type="date", label="Start date"),
        FieldSpec("end_date", Kind.DATE, field_type="date", label="End date"),
        FieldSpec("is_active", Kind.BOOL, default=True, nullable=False, field_type="boolean"),
        FieldSpec("final_status", Kind.TEXT, max_length=32, label="Final status"),
        FieldSpec("update_deal_value", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean"),
        _revenue("mrr", "Monthly recurring revenue"),
        _revenue("arr", "Annual recurring revenue"),
        _revenue("acv", "Annual contract value"),
        FieldSpec("lifetime_value", Kind.FLOAT, readonly=True, field_type="monetary",
                  label="Lifetime value",
                  derived=Derived("subscription_payment", "subscription_id", "sum",
                                  of="amount")),
        owned("Created by"),
        *lifecycle(),
    ),
    rules=(_terms,),
)

SUBSCRIPTION_PAYMENT = EntitySpec(
    name="subscription_payment",
    table="subscription_payments",
    title_field="description",
    fields=(
        *identity(),
        FieldSpec("subscription_id", Kind.REF, ref="subscription", required=True,
                  nullable=False, field_type="int", label="Subscription"),
        FieldSpec("deal_id", Kind.REF, ref="deal", required=True, nullable=False,
                  field_type="int", label="Deal"),
        FieldSpec("amount", Kind.FLOAT, required=True, nullable=False, field_type="monetary",
                  label="Amount"),
        FieldSpec("currency", Kind.TEXT, required=True, max_length=3, nullable=False,
                  label="Currency"),
        FieldSpec("due_at", Kind.DATE, required=True, nullable=False, field_type="date",
                  label="Due"),
        FieldSpec("payment_type", Kind.TEXT, required=True, choices=schedule.PAYMENT_TYPES,
                  nullable=False, max_length=16, label="Type"),
        FieldSpec("description", Kind.TEXT, max_length=255, label="Description"),
        FieldSpec("is_active", Kind.BOOL, default=True, nullable=False, field_type="boolean"),
        FieldSpec("change_amount", Kind.FLOAT, default=0.0, nullable=False,
                  field_type="monetary"),
        FieldSpec("revenue_movement_type", Kind.TEXT, choices=schedule.MOVEMENTS,
                  default="none", nullable=False, max_length=16),
        *lifecycle(),
    ),
    # A deal's schedule in date order (the subscription's, and v2's installments).
    indexes=(("subscription_id", "is_deleted", "due_at"),),
)


def recurring_revenue(name: str, label: str) -> FieldSpec:
    """A deal's ``mrr``, ``arr`` or ``acv``: its active recurring subscription's (null
    without one)."""
    return FieldSpec(name, Kind.FLOAT, readonly=True, field_type="monetary", label=label,
                     derived=Derived("subscription", "deal_id", "sum",
                                     (("kind", "eq", "recurring"), ("is_active", "eq", True)),
                                     of=name))


__all__ = ["KINDS", "SUBSCRIPTION", "SUBSCRIPTION_PAYMENT", "recurring_revenue"]
