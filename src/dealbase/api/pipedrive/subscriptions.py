"""Subscriptions (v1, seed 004) and a deal's installments (v2 ``DealInstallments``).

Both speak of the same records: a deal's subscription and the payments of its schedule
(``service.Subscriptions`` keeps the schedule; ``domain.schedule`` does the arithmetic).
v1 objects are shaped as Pipedrive's client libraries model them (``SubscriptionItem``,
``PaymentItem``) in the v1 envelope; v2 installments as the vendored spec has them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain import schedule
from ...domain.errors import DealbaseError, Reason
from ...domain.schedule import Payment
from ...domain.types import Kind, clean_text, loosen
from ...query.ast import Cond, all_of
from ...service import Subscriptions, Unit
from ..body import query_params
from . import params, render
from .mapping import PIPELINER_ONLY, Attr, View
from .routes import PREFIXES, Api, Handlers, record_id, routes_at

# (a subscription's and a payment's ``description`` is theirs: only a deal's is Pipeliner's)
SHOWN = PIPELINER_ONLY - {"description"}
SUBSCRIPTION_V1 = View(
    entity="subscription", path="subscriptions", version="v1",
    keys={"owner_id": "user_id"},
    hidden=SHOWN | {"kind", "update_deal_value", "mrr", "arr", "acv", "is_deleted"},
    declared=(Attr("lifetime_value", "lifetime_value",
                   compute=lambda r, rc: r["lifetime_value"] or 0.0),),
)
PAYMENT_V1 = View(entity="subscription_payment", path="subscriptions", version="v1",
                  hidden=SHOWN | {"is_deleted"})
INSTALLMENT_V2 = View(
    entity="subscription_payment", path="deals/installments", version="v2",
    keys={"due_at": "billing_date"}, sort_by=("id", "billing_date", "deal_id"),
    omit_null=frozenset({"description"}),
    hidden=SHOWN | {"subscription_id", "currency", "payment_type", "is_active",
                             "change_amount", "revenue_movement_type", "created_at",
                             "updated_at", "is_deleted"},
)
INSTALLMENTS = Cond("payment_type", "eq", "installment")

# The keys each body takes (the seed's; a v2 installment's as the vendored spec has them).
ADD_INSTALLMENT = frozenset({"deal_id", "currency", "payments", "update_deal_value"})
UPDATE_INSTALLMENT = frozenset({"payments", "update_deal_value"})
ADD_RECURRING = frozenset({"deal_id", "currency", "infinite", "payments", "start_date",
                           "description", "cadence_type", "cycle_amount", "cycles_count",
                           "update_deal_value"})
UPDATE_RECURRING = frozenset({"payments", "description", "cycle_amount", "effective_date",
                              "update_deal_value"})
CANCEL = frozenset({"end_date"})
INSTALLMENT_KEYS = frozenset({"description", "amount", "billing_date"})


def _body(api: Api, request: Request, raw: bytes | DealbaseError, allowed: frozenset[str],
          required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object of the request: only ``allowed`` keys, ``required`` ones present."""
    body = api.parse_body(request, raw)
    if not isinstance(body, dict):
        raise params.bad("body", "The request body must be a JSON object", Reason.MALFORMED)
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise params.bad(unknown[0], f"Unknown field(s): {', '.join(unknown)[:200]}",
                         Reason.UNKNOWN_FIELD)
    missing = [k for k in required if body.get(k) is None]
    if missing:
        raise params.bad(missing[0], f"{', '.join(missing)} is required", Reason.REQUIRED)
    return body


def _flag(body: Mapping[str, Any], key: str) -> bool | None:
    value = loosen(Kind.BOOL, body.get(key))
    if value is not None and not isinstance(value, bool):
        raise params.bad(key, f"{key} must be a boolean", Reason.INVALID)
    return value


def _deal_id(body: Mapping[str, Any]) -> int:
    value = loosen(Kind.INT, body.get("deal_id"))
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise params.bad("deal_id", "deal_id must be a positive integer", Reason.INVALID)
    return value


def _currency(body: Mapping[str, Any]) -> str:
    return clean_text("currency", body["currency"], 3, blank=False).upper()


def _description(body: Mapping[str, Any], key: str = "description") -> str | None:
    value = body.get(key)
    return None if value is None else clean_text(key, value, 255)


class SubscriptionHandlers:
    """The v1 ``/subscriptions`` operations."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.subscription = Handlers(api, SUBSCRIPTION_V1)
        self.payment = Handlers(api, PAYMENT_V1)

    def _one(self, unit: Unit, record: dict[str, Any]) -> Response:
        data, _ = self.subscription.present(unit, [record], {})
        return render.success(data[0])

    @staticmethod
    def _found(unit: Unit, request: Request) -> int:
        """The live subscription the path names (not found before a bad body is refused)."""
        return int(Subscriptions(unit).get(record_id(request))["id"])

    async def _write(self, request: Request, work: Callable[[Unit, Any], dict[str, Any]]
                     ) -> Response:
        raw = await self.api.raw_body(request)
        return await self.api.write(
            request, lambda unit: self._one(unit, work(unit, raw)), raw)

    async def add_installment(self, request: Request) -> Response:
        def work(unit: Unit, raw: Any) -> dict[str, Any]:
            body = _body(self.api, request, raw, ADD_INSTALLMENT,
                         ("deal_id", "currency", "payments"))
            return Subscriptions(unit).add_installment(
                _deal_id(body), _currency(body),
                schedule.payments_of(body["payments"], "installment"),
                bool(_flag(body, "update_deal_value")))
        return await self._write(request, work)

    async def update_installment(self, request: Request) -> Response:
        def work(unit: Unit, raw: Any) -> dict[str, Any]:
            subscription = self._found(unit, request)
            body = _body(self.api, request, raw, UPDATE_INSTALLMENT, ("payments",))
            return Subscriptions(unit).update_installment(
                subscription, schedule.payments_of(body["payments"], "installment"),
                _flag(body, "update_deal_value"))
        return await self._write(request, work)

    async def add_recurring(self, request: Request) -> Response:
        def work(unit: Unit, raw: Any) -> dict[str, Any]:
            body = _body(self.api, request, raw, ADD_RECURRING,
                         ("deal_id", "currency", "start_date", "cadence_type", "cycle_amount"))
            infinite = bool(_flag(body, "infinite"))
            cycles = body.get("cycles_count")
            if infinite == (cycles is not None):
                raise params.bad("cycles_count", "Set either cycles_count or infinite",
                                 Reason.INVALID)
            values = {
                "currency": _currency(body), "description": _description(body),
                "cadence_type": schedule.cadence_of(body["cadence_type"]),
                "cycle_amount": schedule.amount_of("cycle_amount", body["cycle_amount"]),
                "start_date": schedule.date_of("start_date", body["start_date"]),
                "cycles_count": None if cycles is None else schedule.cycles_of(cycles),
                "infinite": infinite,
                "update_deal_value": bool(_flag(body, "update_deal_value"))}
            extra = (schedule.payments_of(body["payments"], "additional", required=False)
                     if body.get("payments") is not None else [])
            return Subscriptions(unit).add_recurring(_deal_id(body), values, extra)
        return await self._write(request, work)

    async def update_recurring(self, request: Request) -> Response:
        def work(unit: Unit, raw: Any) -> dict[str, Any]:
            subscription = self._found(unit, request)
            body = _body(self.api, request, raw, UPDATE_RECURRING, ("effective_date",))
            changes: dict[str, Any] = {}
            if body.get("cycle_amount") is not None:
                changes["cycle_amount"] = schedule.amount_of("cycle_amount", body["cycle_amount"])
            if "description" in body:
                changes["description"] = _description(body)
            flag = _flag(body, "update_deal_value")
            if flag is not None:
                changes["update_deal_value"] = flag
            extra = (schedule.payments_of(body["payments"], "additional", required=False)
                     if body.get("payments") is not None else None)
            return Subscriptions(unit).update_recurring(
                subscription, schedule.date_of("effective_date", body["effective_date"]),
                changes, extra)
        return await self._write(request, work)

    async def cancel(self, request: Request) -> Response:
        def work(unit: Unit, raw: Any) -> dict[str, Any]:
            subscription = self._found(unit, request)
            body = _body(self.api, request, raw, CANCEL)
            end = body.get("end_date")
            return Subscriptions(unit).cancel(
                subscription, None if end is None else schedule.date_of("end_date", end))
        return await self._write(request, work)

    async def delete(self, request: Request) -> Response:
        return await self.api.write(request, lambda unit: self._one(
            unit, Subscriptions(unit).delete(record_id(request))))

    async def get(self, request: Request) -> Response:
        return await self.api.read(request, lambda unit: self._one(
            unit, Subscriptions(unit).get(record_id(request))))

    async def find(self, request: Request) -> Response:
        return await self.api.read(request, lambda unit: self._one(
            unit, Subscriptions(unit).of_deal(record_id(request, "dealId"))))

    async def payments(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            rows = Subscriptions(unit).payments(record_id(request))
            data, _ = self.payment.present(unit, rows, {})
            return render.success(data)
        return await self.api.read(request, work)


class InstallmentHandlers:
    """v2 ``DealInstallments``: the installments of deals."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.handlers = Handlers(api, INSTALLMENT_V2)

    def _one(self, unit: Unit, record: dict[str, Any]) -> Response:
        data, _ = self.handlers.present(unit, [record], {})
        return render.success(data[0])

    @staticmethod
    def _changes(body: Mapping[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if body.get("amount") is not None:
            changes["amount"] = schedule.amount_of("amount", body["amount"])
        if body.get("billing_date") is not None:
            changes["due_at"] = schedule.date_of("billing_date", body["billing_date"])
        if "description" in body:
            changes["description"] = _description(body)
        return changes

    async def list(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            ids = params.id_list(query_params(request).get("deal_ids"), 100, "deal_ids")
            return self.handlers.listing(unit, request, all_of(Cond("deal_id", "in", ids),
                                                               INSTALLMENTS))
        return await self.api.read(request, work)

    async def add(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            deal = record_id(request)
            body = _body(self.api, request, raw, INSTALLMENT_KEYS,
                         ("description", "amount", "billing_date"))
            changes = self._changes(body)
            payment = Payment(changes["due_at"], changes["amount"], "installment",
                              changes["description"])
            return self._one(unit, Subscriptions(unit).add_payment(deal, payment))
        return await self.api.write(request, work, raw)

    async def update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            deal, installment = record_id(request), record_id(request, "installment_id")
            body = _body(self.api, request, raw, INSTALLMENT_KEYS)
            return self._one(unit, Subscriptions(unit).change_payment(
                deal, installment, self._changes(body)))
        return await self.api.write(request, work, raw)

    async def delete(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            deal, installment = record_id(request), record_id(request, "installment_id")
            return render.success({"id": Subscriptions(unit).remove_payment(deal, installment)})
        return await self.api.write(request, work)


def routes(api: Api) -> list[BaseRoute]:
    s, i = SubscriptionHandlers(api), InstallmentHandlers(api)
    v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
    one = "/deals/{id}/installments/{installment_id}"
    return [
        *routes_at(v1, "/subscriptions/installment", s.add_installment, ["POST"]),
        *routes_at(v1, "/subscriptions/installment/{id}", s.update_installment, ["PUT"]),
        *routes_at(v1, "/subscriptions/recurring", s.add_recurring, ["POST"]),
        *routes_at(v1, "/subscriptions/recurring/{id}", s.update_recurring, ["PUT"]),
        *routes_at(v1, "/subscriptions/recurring/{id}/cancel", s.cancel, ["PUT"]),
        *routes_at(v1, "/subscriptions/find/{dealId}", s.find, ["GET"]),
        *routes_at(v1, "/subscriptions/{id}/payments", s.payments, ["GET"]),
        *routes_at(v1, "/subscriptions/{id}", s.get, ["GET"]),
        *routes_at(v1, "/subscriptions/{id}", s.delete, ["DELETE"]),
        *routes_at(v2, "/deals/installments", i.list, ["GET"]),
        *routes_at(v2, "/deals/{id}/installments", i.add, ["POST"]),
        *routes_at(v2, one, i.update, ["PATCH"]),
        *routes_at(v2, one, i.delete, ["DELETE"]),
    ]


__all__ = ["INSTALLMENT_V2", "PAYMENT_V1", "SUBSCRIPTION_V1", "routes"]
