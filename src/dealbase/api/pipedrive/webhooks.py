"""Webhooks: Pipedrive's management API (v1 ``/webhooks``, §11), the payloads the
dispatcher sends, and dealbase's delivery log and replays (``/api/dealbase/webhooks``).

A webhook is a registry record (``domain/entities/webhook.py``) written through the
unit. Payloads are built once, when an event is fanned out (``Payloads.build``, called
by ``service.webhooks.fan_out`` with a unit of the webhook's user): the record as it was
right after that change (the current record with the later changes undone), rendered
by the dialect's own v1 or v2 view. The signing secret is shown once, in the answer to
the creation; ``http_auth_password`` is never shown (masked).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import webhooks as rules
from ...domain.errors import DealbaseError, NotFound, Reason, ValidationError, invalid
from ...domain.types import Kind, parse_int
from ...query.ast import Cond, Keyset, Query, all_of
from ...service import Attempt, Change, Context, Delivery, Hook, Unit
from ..body import query_params
from . import params, render
from .mapping import VIEWS, RenderContext, View
from .present import Presenter
from .routes import PREFIXES, Api, guarded, record_id, routes_at

ADMIN_PREFIX = "/api/dealbase/webhooks"
MASK = "********"
MAX_LISTED = 1000  # webhooks one list shows at most (40 per user)
INPUTS = ("subscription_url", "event_action", "event_object", "name", "user_id",
          "http_auth_user", "http_auth_password", "version")

# ---- payloads ------------------------------------------------------------------------------


def _views() -> dict[tuple[str, str], View]:
    """The view each entity's events render with, per version (v2: v1's where v2 has none:
    users, notes, leads, activity types)."""
    out: dict[tuple[str, str], View] = {}
    for version in ("v1", "v2"):
        for view in VIEWS[version].values():
            if not view.path.endswith("/collection"):
                out.setdefault((view.entity, version), view)
    from .mapping import DEAL_PRODUCT_V1, DEAL_PRODUCT_V2
    from .subscriptions import INSTALLMENT_V2, PAYMENT_V1

    out.setdefault(("deal_product", "v1"), DEAL_PRODUCT_V1)
    out.setdefault(("deal_product", "v2"), DEAL_PRODUCT_V2)
    out.setdefault(("subscription_payment", "v1"), PAYMENT_V1)
    out.setdefault(("subscription_payment", "v2"), INSTALLMENT_V2)
    for entity in rules.OBJECTS:
        if (entity, "v1") in out:
            out.setdefault((entity, "v2"), out[(entity, "v1")])
    return out


def _stamp(value: dt.datetime) -> str:
    return value.isoformat("T", "milliseconds") + "Z"


class Payloads:
    """Pipedrive's v1 and v2 webhook payloads, from the change log and the dialect's views."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.presenter = Presenter()
        self.views = _views()

    def _as_of(self, unit: Unit, change: Change) -> tuple[dict[str, Any], dict[str, Any]]:
        """The record right after ``change``, and right before it."""
        record = unit.get(change.entity, change.record_id)
        spec = unit.schema.entity(change.entity)
        after = dict(record)
        later = unit.changes(change.entity, change.record_id, after=change.seq,
                             newest_first=True, limit=1000)
        for newer in later:
            for name, (old, _) in newer.changes.items():
                if name in after:
                    after[name] = _canonical(spec.by_name.get(name), old)
        if later and "updated_at" in after:  # (a write's own time, which no diff holds)
            after["updated_at"] = change.at
        before = dict(after)
        for name, (old, _) in change.changes.items():
            if name in before:
                before[name] = _canonical(spec.by_name.get(name), old)
        return after, before

    def _render(self, unit: Unit, view: View, records: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
        ctx = unit.ctx
        company = {"id": ctx.company_id, "name": ctx.company_name} if view.version == "v1" else {}
        rc: RenderContext = self.presenter.load(unit, view, records, company)
        render_one = self.presenter.renderer(view, ctx.schema)
        return [render_one(r, rc) for r in records]

    def build(self, unit: Unit, hook: Hook, change: Change, event_id: str) -> str | None:
        """The event's payload for ``hook`` (first attempt), or None when the hook's user
        may not see the record."""
        if change.entity not in rules.OBJECTS:
            return None
        v2 = hook.version == "2.0"
        view = self.views.get((change.entity, "v2" if v2 else "v1"))
        if view is None:
            return None
        try:
            after, before = self._as_of(unit, change)
        except NotFound:
            return None
        if change.entity == "subscription_payment" and after.get("payment_type") != "installment":
            return None  # (a recurring subscription's payments are no deal installments)
        created, deleted = change.action == "create", change.action == "delete"
        event = rules.event_of(change.action, change.changes)
        if created:  # (nothing came before it)
            now, then = self._render(unit, view, [after])[0], {}
        else:
            now, then = self._render(unit, view, [after, before])
        permitted = unit.permitted_users(change.entity, change.record_id)
        # the record's id on the wire (a lead's is the UUID of its string id)
        wire = (now or then).get("id", change.record_id) if view.by_uid else change.record_id
        stamp = change.at
        name = rules.OBJECTS[change.entity]
        if v2:
            meta: dict[str, Any] = {
                "action": rules.V2_ACTION[event], "entity": name,
                "entity_id": str(wire), "id": event_id,
                "company_id": str(hook.company_id),
                "user_id": None if change.user_id is None else str(change.user_id),
                "correlation_id": event_id, "is_bulk_edit": False,
                "timestamp": _stamp(stamp), "type": hook.type, "version": "2.0",
                "webhook_id": str(hook.id), "webhook_owner_id": str(hook.owner_id),
                "change_source": "api", "attempt": 1, "host": self.host}
            if change.entity != "user":
                meta["permitted_user_ids"] = [str(u) for u in permitted]
            for key in (rules.MERGED_FROM, rules.MERGED_TO):
                other = rules.merged(change.changes, key)
                if other is not None:
                    meta[key] = str(other)
            previous: dict[str, Any] | None = None
            if deleted:
                previous = then
            elif not created:
                previous = _changed(then, now)
            body: dict[str, Any] = {"meta": meta, "data": None if deleted else now,
                                    "previous": previous}
        else:
            filters: dict[str, list[int]] = {"current": [], "previous": []}
            epoch = int(stamp.replace(tzinfo=dt.UTC).timestamp())
            meta = {"v": 1, "action": rules.V1_ACTION[event], "object": name,
                    "change_source": "api", "id": wire,
                    "company_id": hook.company_id, "user_id": change.user_id,
                    "host": self.host, "timestamp": epoch, "timestamp_micro": epoch * 1_000_000,
                    "permitted_user_ids": permitted, "trans_pending": False,
                    "is_bulk_update": False, "pipedrive_service_name": False,
                    "matches_filters": filters, "webhook_id": str(hook.id)}
            if change.entity == "activity":
                meta.update(send_activity_notifications=False,
                            activity_notifications_language="en")
            current: Any = None if deleted else now
            prior: Any = None if created else then
            if change.entity == "user":  # (users come as arrays of one)
                current = None if current is None else [current]
                prior = None if prior is None else [prior]
            body = {"v": 1, "matches_filters": filters, "meta": meta, "retry": 0,
                    "current": current, "previous": prior,
                    "event": f"{rules.V1_ACTION[event]}.{name}"}
        return orjson.dumps(body).decode()


def _canonical(spec: Any, value: Any) -> Any:
    """A change-log value (JSON) as the record holds it."""
    if value is None or spec is None or not isinstance(value, str):
        return value
    if spec.kind is Kind.DATETIME:
        return dt.datetime.fromisoformat(value)
    if spec.kind is Kind.DATE:
        return dt.date.fromisoformat(value)
    return value


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """v2's ``previous``: the keys whose value changed, with their old values (custom
    fields: those of ``custom_fields`` that changed)."""
    out: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if key == "custom_fields" and isinstance(old, dict) and isinstance(new, dict):
            out[key] = {k: v for k, v in old.items() if new.get(k) != v}
        else:
            out[key] = old
    return out


def with_attempt(body: str, version: str, attempt: int) -> bytes:
    """The stored payload for this attempt (v2 ``meta.attempt``, v1 ``retry``; both keep
    counting past Pipedrive's 4 tries, since dealbase never drops an event)."""
    payload = orjson.loads(body)
    if version == "2.0":
        payload["meta"]["attempt"] = attempt
    else:
        payload["retry"] = attempt - 1
    return orjson.dumps(payload)


# ---- the management API (v1) ---------------------------------------------------------------

def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else _stamp(value)


def webhook_object(record: Mapping[str, Any], state: tuple[dt.datetime | None, int | None]
                   ) -> dict[str, Any]:
    """A webhook as Pipedrive shows it (the password masked, the secret never)."""
    last_time, last_status = state
    return {
        "id": record["id"], "company_id": record.get("company_id"),
        "owner_id": record["owner_id"], "user_id": record["user_id"],
        "event_action": record["event_action"], "event_object": record["event_object"],
        "subscription_url": record["subscription_url"], "version": record["version"],
        "is_active": int(bool(record["is_active"])), "add_time": _time(record["created_at"]),
        "remove_time": _time(record.get("remove_time")), "type": record["type"],
        "http_auth_user": record.get("http_auth_user"),
        "http_auth_password": MASK if record.get("http_auth_password") else None,
        "remove_reason": record.get("remove_reason"),
        "last_delivery_time": _time(last_time), "last_http_status": last_status,
        "admin_id": record["owner_id"], "name": record["name"],
    }


def _refused(error: DealbaseError) -> Response:
    """Pipedrive's 400 for a webhook's bad input: ``errors`` by field, with the usual keys."""
    status = render.STATUS.get(error.reason, 400)
    body = render.error_body(error.message, status)
    field = error.problems[0].field if error.problems else None
    message = error.problems[0].message if error.problems else error.message
    body.update(status="error", errors={field or "request": [message]})
    return render.JSON(body, status_code=status)


def _creation(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object", reason=Reason.MALFORMED)
    values = {k: body[k] for k in INPUTS if k in body}
    for key in ("subscription_url", "event_action", "event_object", "name"):
        if values.get(key) in (None, ""):
            raise invalid(key, "is required", Reason.REQUIRED)
    user = values.get("user_id")
    if user is not None:
        user = parse_int(user, 1) if isinstance(user, str) else user
        if not isinstance(user, int) or isinstance(user, bool):
            raise params.bad("user_id", "user_id must be a user's id", Reason.INVALID)
        values["user_id"] = user
    values["version"] = str(values.get("version") or "2.0")
    for key in ("http_auth_user", "http_auth_password"):
        if values.get(key) == "":
            values[key] = None
    return values


def routes(api: Api) -> list[BaseRoute]:
    allowed = rules.allow_list(api.settings.webhook_allow)
    hooks = api.service.webhooks

    async def listing(request: Request) -> Response:
        def work(unit: Unit) -> tuple[Context, list[dict[str, Any]]]:
            # (the records service shows admins the company's, others their own)
            page = unit.list("webhook", Query(where=Cond("is_deleted", "eq", False),
                                              page=Keyset(None, MAX_LISTED)))
            return unit.ctx, page.items
        ctx, items = await api.read(request, work, long=True)
        states = await anyio.to_thread.run_sync(hooks.states, ctx, [r["id"] for r in items])
        found = [webhook_object({**r, "company_id": ctx.company_id},
                                states.get(r["id"], (None, None))) for r in items]
        return render.JSON({"status": "ok", "success": True, "data": found})

    async def create(request: Request) -> Response:
        raw = await api.raw_body(request)

        def work(unit: Unit) -> dict[str, Any]:
            made, secret = hooks.create(unit, _creation(api.parse_body(request, raw)), allowed)
            shown = webhook_object({**made, "company_id": unit.ctx.company_id}, (None, None))
            return {**shown, "signing_secret": secret}

        try:
            made = await api.write(request, work, raw)
        except rules.LimitReached as exc:
            return render.error(exc.message, 422)
        except ValidationError as exc:
            return _refused(exc)
        return render.JSON({"status": "ok", "success": True, "data": made}, status_code=201)

    async def delete(request: Request) -> Response:
        def work(unit: Unit) -> None:
            ident = record_id(request)
            found = unit.find("webhook", all_of(Cond("is_deleted", "eq", False),
                                                Cond("id", "eq", ident)))
            if found is None:
                raise NotFound("Webhook not found")
            unit.delete("webhook", [ident])
        await api.write(request, work)
        return render.JSON({"status": "ok", "success": True})

    out: list[BaseRoute] = []
    prefixes = PREFIXES["v1"]
    out += routes_at(prefixes, "/webhooks", listing, ["GET"])
    out += routes_at(prefixes, "/webhooks", create, ["POST"])
    out += routes_at(prefixes, "/webhooks/{id}", delete, ["DELETE"])
    return out + _log_routes(api)


# ---- dealbase's extensions: the delivery log and replays ----------------------------------

def attempt_object(attempt: Attempt) -> dict[str, Any]:
    return {"attempt": attempt.attempt, "time": _time(attempt.at), "ok": attempt.ok,
            "http_status": attempt.status, "latency_ms": attempt.latency_ms,
            "error": attempt.error}


def delivery_object(delivery: Delivery, attempts: list[Attempt], body: bool = False
                    ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": delivery.id, "webhook_id": delivery.webhook_id, "event_id": delivery.event_id,
        "seq": delivery.seq, "entity": delivery.entity, "entity_id": delivery.record_id,
        "action": delivery.action, "status": delivery.status, "attempts": delivery.attempts,
        "next_attempt_time": None if delivery.status != "pending" else _time(delivery.next_at),
        "add_time": _time(delivery.created_at), "delivered_time": _time(delivery.delivered_at),
        "last_http_status": delivery.last_status, "last_error": delivery.last_error,
        "latency_ms": delivery.latency_ms,
        "attempt_log": [attempt_object(a) for a in attempts]}
    if body:
        out["payload"] = orjson.loads(delivery.body)
    return out


def _since(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise params.bad("since", "since must be a time: YYYY-MM-DD HH:MM:SS (UTC)")
    try:
        found = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return found.astimezone(dt.UTC).replace(tzinfo=None) if found.tzinfo else found
    except (ValueError, OverflowError):  # (a zone offset past the calendar's ends)
        raise params.bad("since", "since must be a time: YYYY-MM-DD HH:MM:SS (UTC)") from None


def _log_routes(api: Api) -> list[BaseRoute]:
    hooks = api.service.webhooks

    async def deliveries(request: Request) -> Response:
        q = query_params(request)
        ident = record_id(request)
        status = q.get("status") or None
        before = params.optional_id(q, "before")
        limit = params.integer(q, "limit", 100, 1, 500)
        found = await anyio.to_thread.run_sync(functools.partial(
            hooks.deliveries, api.credentials(request), ident, before=before, status=status,
            limit=limit))
        more = len(found) == limit
        return render.success([delivery_object(d, a) for d, a in found], additional_data={
            "next_before": found[-1][0].id if more else None})

    async def one(request: Request) -> Response:
        ident, delivery = record_id(request), record_id(request, "delivery_id")
        found = await anyio.to_thread.run_sync(hooks.delivery, api.credentials(request), ident,
                                               delivery)
        return render.success(delivery_object(*found, body=True))

    async def replay_one(request: Request) -> Response:
        ident, delivery = record_id(request), record_id(request, "delivery_id")
        count = await anyio.to_thread.run_sync(functools.partial(
            hooks.replay, api.credentials(request), ident, delivery_id=delivery))
        return render.success({"replayed": count})

    async def replay(request: Request) -> Response:
        raw = await api.raw_body(request)
        ident = record_id(request)
        ctx = await api.read(request, lambda unit: unit.ctx)  # (signed in before all else)
        body = api.parse_body(request, raw)
        if not isinstance(body, dict):
            raise params.bad("since_seq", "give since_seq or since", Reason.MALFORMED)
        since_seq = body.get("since_seq")
        if since_seq is not None and (isinstance(since_seq, bool)
                                      or not isinstance(since_seq, int)):
            raise params.bad("since_seq", "since_seq must be a change-log sequence number")
        since = _since(body["since"]) if body.get("since") is not None else None
        count = await anyio.to_thread.run_sync(functools.partial(
            hooks.replay, ctx, ident, since_seq=since_seq, since=since))
        return render.success({"replayed": count})

    base = ADMIN_PREFIX + "/{id}"
    return [Route(f"{base}/deliveries", guarded(deliveries), methods=["GET"]),
            Route(f"{base}/deliveries/{{delivery_id}}", guarded(one), methods=["GET"]),
            Route(f"{base}/deliveries/{{delivery_id}}/replay", guarded(replay_one),
                  methods=["POST"]),
            Route(f"{base}/replay", guarded(replay), methods=["POST"])]


__all__ = ["Payloads", "routes", "webhook_object", "with_attempt"]
