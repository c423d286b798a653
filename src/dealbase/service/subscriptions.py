"""Subscriptions: how a deal is billed (recurring or in installments), its schedule of
payments kept whole on every change.

Every operation runs in the caller's unit of work (one transaction) and writes through
the unit's public operations: subscriptions and payments are records like any other
(validation, change log, isolation, derived fields: a subscription's ``lifetime_value``,
a deal's ``mrr``/``arr``/``acv``). The arithmetic is ``domain.schedule``'s. A deal has at
most one active subscription (a cancelled or deleted one does not count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..domain import schedule
from ..domain.errors import NotFound, invalid
from ..domain.schedule import Payment
from ..query.ast import Cond, Keyset, Query, Sort, all_of
from .unit import Record, Unit, live

MAX_SCHEDULE = 2 * schedule.MAX_PAYMENTS + schedule.MAX_CYCLES  # payments one holds at most


class Subscriptions:
    """The subscription operations, in ``unit``'s transaction, for its caller."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    # ---- reads -------------------------------------------------------------------------

    def get(self, subscription_id: int) -> Record:
        """A live subscription (NotFound otherwise)."""
        found = self.unit.get("subscription", subscription_id)
        if found["is_deleted"]:
            raise NotFound("Subscription not found")
        return found

    def of_deal(self, deal_id: int) -> Record:
        """The live deal's active subscription, else its latest one (NotFound if none)."""
        self.deal(deal_id)
        page = self.unit.list("subscription", Query(
            where=live(Cond("deal_id", "eq", deal_id)),
            sort=(Sort("is_active", True), Sort("id", True)), page=Keyset(None, 1)))
        if not page.items:
            raise NotFound("Subscription not found")
        return page.items[0]

    def payments(self, subscription_id: int) -> list[Record]:
        """A live subscription's payments, in due order."""
        return self._rows(self.get(subscription_id)["id"])

    def deal(self, deal_id: int) -> Record:
        """The live deal (locked for the unit: one subscription change at a time)."""
        found = self.unit.find("deal", live(Cond("id", "eq", deal_id)), lock=True)
        if found is None:
            raise NotFound("Deal not found")
        return found

    # ---- installment subscriptions -----------------------------------------------------

    def add_installment(self, deal_id: int, currency: str, payments: Sequence[Payment],
                        update_deal_value: bool = False) -> Record:
        self.deal(deal_id)
        self._free(deal_id)
        made = self.unit.create("subscription", {
            "deal_id": deal_id, "kind": "installment", "currency": currency,
            "update_deal_value": update_deal_value})
        self._save(made, list(payments))
        return self._settle(made["id"])

    def update_installment(self, subscription_id: int, payments: Sequence[Payment],
                           update_deal_value: bool | None = None) -> Record:
        found = self._of_kind(subscription_id, "installment")
        if update_deal_value is not None:
            found = self.unit.update("subscription", found["id"],
                                     {"update_deal_value": update_deal_value})
        self._save(found, list(payments))
        return self._settle(found["id"])

    # ---- recurring subscriptions -------------------------------------------------------

    def add_recurring(self, deal_id: int, values: Mapping[str, Any],
                      extra: Sequence[Payment] = ()) -> Record:
        """``values``: currency, cadence_type, cycle_amount, start_date, cycles_count or
        infinite, and optionally description and update_deal_value; ``extra``: additional
        payments (due on or after the start)."""
        self.deal(deal_id)
        self._free(deal_id)
        start, cycles = values.get("start_date"), values.get("cycles_count")
        cadence = values.get("cadence_type")
        end = None
        if isinstance(start, dt.date) and cadence in schedule.CADENCES:
            self._not_before(extra, start, "start_date")
            if isinstance(cycles, int) and 1 <= cycles <= schedule.MAX_CYCLES:
                end = schedule.natural_end(start, cadence, cycles)
        made = self.unit.create("subscription", {**values, "deal_id": deal_id,
                                                 "kind": "recurring", "end_date": end})
        plan = schedule.recurring(made["start_date"], made["cadence_type"], made["cycle_amount"],
                                  made["cycles_count"])
        self._save(made, [*plan, *extra])
        return self._settle(made["id"])

    def update_recurring(self, subscription_id: int, effective: dt.date,
                         changes: Mapping[str, Any], extra: Sequence[Payment] | None = None
                         ) -> Record:
        """From ``effective`` on: the recurring payments at a new ``cycle_amount`` (in
        ``changes``, with description and update_deal_value), the additional payments
        replaced by ``extra`` (when given)."""
        found = self._active(self._of_kind(subscription_id, "recurring"))
        if effective < found["start_date"]:
            raise invalid("effective_date", "must not be before the start date")
        if extra is not None:
            self._not_before(extra, effective, "effective_date")
        if changes:
            found = self.unit.update("subscription", found["id"], changes)
        plan = self._stored(found["id"])
        if "cycle_amount" in changes:
            plan = schedule.reprice(plan, found["cycle_amount"], effective)
        if extra is not None:
            plan = [p for p in plan if p.payment_type != "additional" or p.due_at < effective]
            plan += list(extra)
        self._save(found, plan)
        return self._settle(found["id"])

    def cancel(self, subscription_id: int, end: dt.date | None = None) -> Record:
        """Cancel on ``end`` (by default today): the payments due after it go, and the
        subscription ends when the cycle after ``end`` would have begun."""
        found = self._active(self._of_kind(subscription_id, "recurring"))
        end = end or self.unit.now().date()
        if end < found["start_date"]:
            raise invalid("end_date", "must not be before the start date")
        ends = schedule.cancel_end(found["start_date"], found["cadence_type"],
                                   found["cycles_count"], end)
        kept = schedule.kept_after_cancel(self._stored(found["id"]), end)
        found = self.unit.update("subscription", found["id"], {
            "is_active": False, "end_date": ends, "final_status": "canceled"})
        self._save(found, kept)
        return self.unit.get("subscription", found["id"])

    def delete(self, subscription_id: int) -> Record:
        """Delete a subscription and its payments; the subscription as it was left."""
        found = self.get(subscription_id)
        gone = [r["id"] for r in self._rows(found["id"])]
        if gone:
            self.unit.delete("subscription_payment", gone)
        self.unit.update("subscription", found["id"], {"is_active": False,
                                                       "final_status": "deleted"})
        self.unit.delete("subscription", [found["id"]])
        return self.unit.get("subscription", found["id"])

    # ---- a deal's installments (v2) ------------------------------------------------------

    def add_payment(self, deal_id: int, payment: Payment) -> Record:
        """One more installment of the deal (its installment subscription is made, in the
        deal's currency, if it has none)."""
        deal = self.deal(deal_id)
        found = self._current(deal_id)
        if found is None:
            found = self.unit.create("subscription", {
                "deal_id": deal_id, "kind": "installment", "currency": deal["currency"]})
        elif found["kind"] != "installment":
            raise invalid("deal_id", "the deal has a recurring subscription: installments "
                          "cannot be added")
        made = self._save(found, [*self._stored(found["id"]),
                                  replace(payment, payment_type="installment")])
        self._settle(found["id"])
        return self.unit.get("subscription_payment", made[0])

    def change_payment(self, deal_id: int, payment_id: int, changes: Mapping[str, Any]
                       ) -> Record:
        """An installment of the deal with new ``amount``, ``due_at`` or ``description``."""
        row = self._installment(deal_id, payment_id)
        found = self.unit.get("subscription", row["subscription_id"])
        plan = [replace(p, **changes) if p.id == payment_id else p
                for p in self._stored(found["id"])]
        self._save(found, plan)
        self._settle(found["id"])
        return self.unit.get("subscription_payment", payment_id)

    def remove_payment(self, deal_id: int, payment_id: int) -> int:
        """Remove an installment of the deal (its subscription goes with its last one)."""
        row = self._installment(deal_id, payment_id)
        found = self.unit.get("subscription", row["subscription_id"])
        plan = [p for p in self._stored(found["id"]) if p.id != payment_id]
        if not plan:
            self.delete(found["id"])
            return payment_id
        self._save(found, plan)
        self._settle(found["id"])
        return payment_id

    # ---- the schedule ------------------------------------------------------------------

    def _rows(self, subscription_id: int) -> list[Record]:
        return self.unit.list("subscription_payment", Query(
            where=live(Cond("subscription_id", "eq", subscription_id)),
            sort=(Sort("due_at"), Sort("id")), page=Keyset(None, MAX_SCHEDULE))).items

    def _stored(self, subscription_id: int) -> list[Payment]:
        return [Payment(r["due_at"], r["amount"], r["payment_type"], r["description"],
                        r["change_amount"], r["revenue_movement_type"], r["id"])
                for r in self._rows(subscription_id)]

    def _save(self, subscription: Record, plan: list[Payment]) -> list[int]:
        """Make the subscription's stored payments ``plan`` (each with its movement): the
        payments not in it deleted, the changed ones updated, the new ones created; the
        ids of the new ones."""
        if len(plan) > MAX_SCHEDULE:
            raise invalid("payments", f"a subscription holds at most {MAX_SCHEDULE} payments")
        ends = (subscription["kind"] == "installment" or subscription["cycles_count"] is not None
                or not subscription["is_active"])
        marked = schedule.movements(plan, ends)
        stored = {r["id"]: r for r in self._rows(subscription["id"])}
        kept = {p.id for p in marked}
        gone = [i for i in stored if i not in kept]
        if gone:
            self.unit.delete("subscription_payment", gone)
        new: list[dict[str, Any]] = []
        for p in marked:
            values = {"amount": p.amount, "due_at": p.due_at, "payment_type": p.payment_type,
                      "description": p.description, "change_amount": p.change_amount,
                      "revenue_movement_type": p.revenue_movement_type,
                      "currency": subscription["currency"]}
            if p.id is None:
                new.append({**values, "subscription_id": subscription["id"],
                            "deal_id": subscription["deal_id"]})
                continue
            changed = {k: v for k, v in values.items() if stored[p.id][k] != v}
            if changed:
                self.unit.update("subscription_payment", p.id, changed)
        return self.unit.create_many("subscription_payment", new) if new else []

    def _settle(self, subscription_id: int) -> Record:
        """The subscription as stored, its deal's value set from it if it says so (an
        installment subscription's total, a recurring one's MRR)."""
        found = self.unit.get("subscription", subscription_id)
        if found["update_deal_value"] and found["is_active"]:
            value = found["mrr"] if found["kind"] == "recurring" else found["lifetime_value"]
            deal = self.unit.get("deal", found["deal_id"])
            wanted = {"value": round(value or 0.0, 2), "currency": found["currency"]}
            if any(deal[k] != v for k, v in wanted.items()):
                self.unit.update("deal", deal["id"], wanted)
        return found

    # ---- checks ------------------------------------------------------------------------

    def _current(self, deal_id: int) -> Record | None:
        return self.unit.find("subscription", live(all_of(Cond("deal_id", "eq", deal_id),
                                                          Cond("is_active", "eq", True))))

    def _free(self, deal_id: int) -> None:
        if self._current(deal_id) is not None:
            raise invalid("deal_id", "the deal already has an active subscription (cancel or "
                          "delete it first)")

    def _of_kind(self, subscription_id: int, kind: str) -> Record:
        found = self.get(subscription_id)
        if found["kind"] != kind:
            raise invalid("id", f"subscription {subscription_id} is not an {kind} subscription"
                          if kind == "installment" else
                          f"subscription {subscription_id} is not a {kind} subscription")
        return found

    @staticmethod
    def _active(found: Record) -> Record:
        if not found["is_active"]:
            raise invalid("id", "the subscription is cancelled")
        return found

    @staticmethod
    def _not_before(payments: Sequence[Payment], day: dt.date, name: str) -> None:
        early = next((p for p in payments if p.due_at < day), None)
        if early is not None:
            raise invalid("payments", f"a payment is due {early.due_at.isoformat()}, before "
                          f"the {name.replace('_', ' ')}")

    def _installment(self, deal_id: int, payment_id: int) -> Record:
        self.deal(deal_id)
        found = self.unit.get_many("subscription_payment", [payment_id]).get(payment_id)
        if found is None or found["is_deleted"] or found["deal_id"] != deal_id \
                or found["payment_type"] != "installment":
            raise NotFound("Installment not found")
        return found


__all__ = ["Subscriptions"]
