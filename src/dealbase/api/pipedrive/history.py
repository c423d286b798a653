"""Pipedrive's history and summaries: ``/recents``, a record's ``flow``, ``changelog`` and
``participantsChangelog``, the deal summary and timeline, and the archived deals.

The history is the change log (what every write did, read through ``Unit.changes`` and
``Unit.recent``); summaries and timelines are SQL aggregates (``Unit.sum_by``) run in the
thread pool. Here, only parameters, names and shapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.currencies import BY_CODE
from ...domain.dates import add_months
from ...domain.entities.deal import weighted_value
from ...domain.types import Kind, parse_int
from ...query.ast import Cond, Filter, Keyset, Query, Sort, all_of
from ...service import Aggregate, Change, Unit, decode_cursor, encode_cursor, live
from ..body import query_params
from . import params, render
from .mapping import (
    ARCHIVED,
    DEAL_V1,
    DEAL_V2,
    FLAT_DEAL_V1,
    NOT_ARCHIVED,
    VIEWS,
    View,
    bare_refs,
    format_money,
)
from .routes import PREFIXES, Api, Handler, Handlers, record_id, routes_at
from .savedfilters import FILTERS_LIST_V1, where_of

Row = dict[str, Any]

# ``/recents`` item types: the v1 view of the list whose objects they are, as that list
# shows them (None: dealbase serves no such list, as for files, and there are no rows).
_V1 = VIEWS["v1"]
RECENT_ITEMS: dict[str, View | None] = {
    "activity": _V1["activities"], "activityType": _V1["activityTypes"], "deal": _V1["deals"],
    "file": None, "filter": FILTERS_LIST_V1, "note": _V1["notes"], "person": _V1["persons"],
    "organization": _V1["organizations"], "pipeline": _V1["pipelines"],
    "product": _V1["products"], "stage": _V1["stages"], "user": _V1["users"]}
# Entities whose recent objects the spec types ``visible_to`` of as a number.
NUMERIC_VISIBILITY = frozenset({"product", "filter"})
V1_TIME = "%Y-%m-%d %H:%M:%S"

# A record's flow: (its entity, its v1 view, the object of its field changes, the field by
# which activities and notes point at it).
FLOWS = {"deals": ("deal", DEAL_V1, "dealChange", "deal_id"),
         "persons": ("person", VIEWS["v1"]["persons"], "personChange", "person_id"),
         "organizations": ("organization", VIEWS["v1"]["organizations"], "organizationChange",
                           "organization_id")}
# ``items`` a flow may be asked for (Pipedrive's list); dealbase has changes, activities
# and notes, the others have no rows.
FLOW_ITEMS = frozenset({
    "call", "activity", "plannedActivity", "change", "note", "deal", "file", "dealChange",
    "personChange", "organizationChange", "follower", "dealFollower", "personFollower",
    "organizationFollower", "participant", "comment", "mailMessage", "mailMessageWithAttachment",
    "invoice", "document", "marketing_campaign_stat", "marketing_status_change"})
BATCH = 500  # change-log rows read at a time while a page fills
MAX_FLOW_ROWS = 10_000  # the deepest a flow page may start
MAX_START = 10**9  # the deepest a /recents page may start (as for lists)
MAX_PERIODS = 120  # timeline intervals at most
MAX_TIMELINE_DEALS = 500  # deals listed per timeline interval at most
DEAL_STATUSES = ("open", "won", "lost")


# ---- values as the history shows them --------------------------------------------------

def as_text(value: Any) -> str | None:
    """A field's value in a history row: Pipedrive sends old and new values as strings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return render.v1_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                       for v in value):
        return ",".join(map(str, value))
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


@dataclass(frozen=True)
class FieldRow:
    """One field of one change: where it sits in the log, its wire key and values."""

    change: Change
    position: int
    key: str
    old: str | None
    new: str | None

    @property
    def id(self) -> int:
        return self.change.seq * 1000 + self.position


def field_rows(unit: Unit, view: View, change: Change, all_changes: bool = True
               ) -> list[FieldRow]:
    """The fields one change-log row changed, by their keys in ``view`` (a new record: its
    ``add_time``). Fields the view does not show are left out, and custom fields unless
    ``all_changes``."""
    if change.action == "create":
        return [FieldRow(change, 0, view.key_of("created_at"), None, as_text(change.at))]
    spec = unit.schema.entity(view.entity)
    shown = {a.field: a.key for a in view.attrs if a.field is not None}
    out: list[FieldRow] = []
    for name in sorted(change.changes):
        pair = change.changes[name]
        field = spec.by_name.get(name)
        if field is not None and field.is_custom:
            if not all_changes:
                continue
            key: str | None = field.custom_key
        else:
            key = shown.get(name)
        if key is None or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if field is not None and field.kind is Kind.DATETIME:  # (stored as ISO text)
            old, new = (dt.datetime.fromisoformat(v) if isinstance(v, str) else v
                        for v in (old, new))
        out.append(FieldRow(change, len(out), key, as_text(old), as_text(new)))
        if len(out) >= 1000:
            break
    return out


def _with_user(row: Row, key: str, user_id: int | None) -> Row:
    if user_id is not None:
        row[key] = user_id
    return row


# ---- parameters ------------------------------------------------------------------------


def _page(api: Api, q: Mapping[str, str], deepest: int = MAX_FLOW_ROWS) -> tuple[int, int]:
    settings = api.settings
    return (params.integer(q, "start", 0, 0, deepest),
            params.integer(q, "limit", settings.default_page_size, 1, settings.max_page_size))


def saved_filter(unit: Unit, q: Mapping[str, str]) -> Filter | None:
    """The deals a saved filter (``filter_id``) keeps, as a filter (None: no filter_id)."""
    return where_of(unit, "deal", q.get("filter_id") or None)


# ---- /recents ----------------------------------------------------------------------------

def _recent_view(view: View) -> View:
    """A record as ``/recents`` shows it (the spec's shapes): the v1 object, references as
    bare ids; an organization keeps its owner object and leaves out a null country code, a
    product its null keys (the spec types them all as non-null)."""
    if view.entity == "organization":
        return replace(view, omit_null=view.omit_null | {"country_code"})
    if view.entity == "product":
        return replace(bare_refs(view), omit_nulls=True)
    return bare_refs(view)


def _recents(api: Api) -> Handler:
    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            raw = (q.get("since_timestamp") or "").strip()
            try:
                since = dt.datetime.strptime(raw, V1_TIME)
            except ValueError:
                raise params.bad("since_timestamp", "Parameter 'since_timestamp' is required"
                                 " (YYYY-MM-DD HH:MM:SS)") from None
            items = params.choices(q, "items", tuple(RECENT_ITEMS)) or list(RECENT_ITEMS)
            start, limit = _page(api, q, MAX_START)
            views = {view.entity: (i, view) for i in items
                     if (view := RECENT_ITEMS[i]) is not None}
            found = unit.recent(list(views), since, start, limit)
            more, found = len(found) > limit, found[:limit]
            rendered: dict[tuple[str, int], Any] = {}
            for entity, (_, view) in views.items():
                ids = [i for e, i, _, _ in found if e == entity]
                if not ids:
                    continue
                records = unit.get_many(entity, ids)
                data, _ = Handlers(api, _recent_view(view)).present(
                    unit, list(records.values()), {})
                if entity in NUMERIC_VISIBILITY:
                    for d in data:
                        if isinstance(d.get("visible_to"), str):
                            d["visible_to"] = parse_int(d["visible_to"])
                rendered.update({(entity, r["id"]): d for r, d in zip(records.values(), data,
                                                                      strict=True)})
            rows = []
            for entity, record, _, _ in found:
                item = views[entity][0]
                obj = rendered.get((entity, record))
                if obj is not None:
                    rows.append({"item": item, "id": record,
                                 "data": [obj] if item == "user" else obj})
            last = render.v1_time(found[-1][3]) or raw if found else raw
            block = render.v1_pagination(start, limit, more)
            return render.success(rows, additional_data={
                "since_timestamp": raw, "last_timestamp_on_page": last, **block})
        return await api.read(request, work, long=True)
    return handler


# ---- a record's flow and changelogs ------------------------------------------------------

def _changes_newest(unit: Unit, entity: str, record: int, before: int | None = None
                    ) -> Iterator[Change]:
    """The record's change-log rows, newest first, read a batch at a time."""
    while True:
        batch = unit.changes(entity, record, before=before, newest_first=True, limit=BATCH)
        yield from batch
        if len(batch) < BATCH:
            return
        before = batch[-1].seq


def _flow(api: Api, path: str) -> Handler:
    entity, view, change_object, link = FLOWS[path]
    activities, notes = Handlers(api, VIEWS["v1"]["activities"]), Handlers(api, VIEWS["v1"]["notes"])

    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            record = record_id(request)
            unit.get(entity, record)
            start, limit = _page(api, q)
            all_changes = params.flag(q, "all_changes")
            wanted = set(params.choices(q, "items", FLOW_ITEMS) or FLOW_ITEMS)
            need = start + limit + 1
            # (newest first: time, then the order of writing) -> (object, data)
            rows: list[tuple[tuple[dt.datetime, int, int], str, Any]] = []
            if wanted & {change_object, "change"}:
                count = 0
                for change in _changes_newest(unit, entity, record):
                    for f in field_rows(unit, view, change, all_changes):
                        rows.append(((change.at, change.seq, -f.position), change_object,
                                     _flow_change(f)))
                        count += 1
                    if count >= need:
                        break
            for kind, handlers, child in (("activity", activities, "activity"),
                                          ("note", notes, "note")):
                if kind not in wanted:
                    continue
                page = unit.list(child, Query(
                    where=live(Cond(link, "eq", record)),
                    sort=(Sort("created_at", True), Sort("id", True)), page=Keyset(None, need)))
                data, _ = handlers.present(unit, page.items, {})
                rows += [((r["created_at"], 0, r["id"]), kind, d)
                         for r, d in zip(page.items, data, strict=True)]
            rows.sort(key=lambda r: r[0], reverse=True)
            shown = rows[start:start + limit]
            block = render.v1_pagination(start, limit, len(rows) > start + limit, flat=True)
            return render.success(
                [{"object": kind, "timestamp": render.v1_time(key[0]), "data": data}
                 for key, kind, data in shown],
                additional_data={**block, "pagination": block})
        return await api.read(request, work, long=True)
    return handler


def _flow_change(f: FieldRow) -> Row:
    return _with_user({"id": f.id, "item_id": f.change.record_id, "field_key": f.key,
                       "old_value": f.old, "new_value": f.new, "is_bulk_update_flag": False,
                       "log_time": render.v1_time(f.change.at), "change_source": "api",
                       "change_source_user_agent": None, "additional_data": None},
                      "user_id", f.change.user_id)


CURSOR_SORT = (Sort("seq", True), Sort("position"))


def _cursor(q: Mapping[str, str], unit: Unit) -> tuple[int | None, int]:
    """Where a changelog page starts: (the seq to read up to, the rows of it to skip). A
    seq past the company's newest change (its data version) is no cursor of ours."""
    raw = q.get("cursor")
    if not raw:
        return None, 0
    values = decode_cursor(raw, CURSOR_SORT)
    seq, position = values
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values) \
            or seq > unit.version():
        raise params.bad("cursor", "Invalid cursor")
    return seq, position


def cursor_pages(api: Api, entity: str,
                  rows_of: Callable[[Unit, Change], list[Row]]) -> Handler:
    """A record's history as a cursor-paged list: ``rows_of`` each change-log row."""
    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            record = record_id(request)
            unit.get(entity, record)
            limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                                   api.settings.max_page_size)
            seq, skip = _cursor(q, unit)
            out: list[Row] = []
            marks: list[tuple[int, int]] = []
            for change in _changes_newest(unit, entity, record, None if seq is None else seq + 1):
                rows = rows_of(unit, change)
                first = skip if change.seq == seq else 0
                for n in range(first, len(rows)):
                    out.append(rows[n])
                    marks.append((change.seq, n))
                if len(out) > limit:
                    break
            following = encode_cursor(CURSOR_SORT, marks[limit]) if len(out) > limit else None
            return render.success(out[:limit], additional_data={"next_cursor": following})
        return await api.read(request, work, long=True)
    return handler


def _changelog_rows(view: View) -> Callable[[Unit, Change], list[Row]]:
    def rows(unit: Unit, change: Change) -> list[Row]:
        return [_with_user({"field_key": f.key, "old_value": f.old, "new_value": f.new,
                            "time": render.v1_time(change.at), "change_source": "api",
                            "change_source_user_agent": None, "is_bulk_update_flag": False},
                           "actor_user_id", change.user_id)
                for f in field_rows(unit, view, change)]
    return rows


def _participant_rows(unit: Unit, change: Change) -> list[Row]:
    """Persons a change of a deal's contact person or participants added or removed."""
    touched = [k for k in ("person_id", "participant_ids") if k in change.changes]
    if not touched:
        return []

    def people(side: int) -> list[int]:
        out: list[int] = []
        for k in touched:
            value = change.changes[k][side]
            out += [v for v in (value if isinstance(value, list) else [value])
                    if isinstance(v, int) and not isinstance(v, bool)]
        return out

    before, after = people(0), people(1)
    rows = [("added", p) for p in after if p not in before]
    rows += [("removed", p) for p in before if p not in after]
    return [_with_user({"person_id": person, "action": action, "time": render.v1_time(change.at)},
                       "actor_user_id", change.user_id) for action, person in rows]


# ---- summaries and timelines -------------------------------------------------------------

def money(value: float) -> float:
    return round(value, 2)


def with_weights(unit: Unit, groups: list[Aggregate]) -> list[tuple[Aggregate, float]]:
    """Each group with its weighted value: the value times the deal's probability (else
    its stage's), where the pipeline weighs deals by probability."""
    stages = unit.get_many("stage", {g.values["stage_id"] for g in groups})
    pipelines = unit.get_many("pipeline", {s["pipeline_id"] for s in stages.values()})
    out = []
    for g in groups:
        stage = stages.get(g.values["stage_id"])
        pipeline = pipelines.get(stage["pipeline_id"]) if stage else None
        out.append((g, weighted_value(g.sums["value"], g.values.get("probability"), stage,
                                      pipeline)))
    return out


# (value, weighted value, count) of some deals in one currency
Totals = list[float]


def stage_totals(unit: Unit, where: Filter | None) -> dict[int, dict[str, Totals]]:
    """The deals meeting ``where``: per stage and currency, their value, weighted value
    (``with_weights``) and count (one aggregate statement)."""
    stages: dict[int, dict[str, Totals]] = {}
    groups = unit.sum_by("deal", where, ("currency", "stage_id", "probability"), ("value",))
    for g, weighted in with_weights(unit, groups):
        sums = stages.setdefault(g.values["stage_id"], {}).setdefault(
            g.values["currency"], [0.0, 0.0, 0])
        sums[0] += g.sums["value"]
        sums[1] += weighted
        sums[2] += g.count
    return stages


def currency_totals(stages: Mapping[int, Mapping[str, Totals]]) -> dict[str, Totals]:
    """``stage_totals`` added up per currency."""
    out: dict[str, Totals] = {}
    for per_currency in stages.values():
        for code, (value, weighted, count) in per_currency.items():
            total = out.setdefault(code, [0.0, 0.0, 0])
            total[0] += value
            total[1] += weighted
            total[2] += count
    return out


def _default_currency(unit: Unit) -> str:
    user_id = unit.ctx.user_id
    found = unit.get_many("user", [user_id]) if user_id is not None else {}
    return str(found[user_id]["default_currency"]) if user_id in found else "USD"


def converting(unit: Unit, wanted: str | None) -> str | None:
    """The currency ``totals_convert_currency`` names (``default_currency``: the caller's);
    None when it is not given."""
    convert = (wanted or "").strip() or None
    if convert == "default_currency":
        convert = _default_currency(unit)
    if convert is not None and convert not in BY_CODE:
        raise params.bad("totals_convert_currency", "Parameter 'totals_convert_currency'"
                         " must be a currency code or default_currency")
    return convert


def _deal_filters(q: Mapping[str, str], unit: Unit, archived: bool, *, stage: bool
                  ) -> Filter | None:
    saved = saved_filter(unit, q)
    user_id = None if saved is not None else params.optional_id(q, "user_id")
    pipeline_id = params.optional_id(q, "pipeline_id")
    stage_id = params.optional_id(q, "stage_id") if stage else None
    return live(all_of(ARCHIVED if archived else NOT_ARCHIVED, saved,
                  None if user_id is None else Cond("owner_id", "eq", user_id),
                  None if pipeline_id is None else Cond("pipeline_id", "eq", pipeline_id),
                  None if stage_id is None else Cond("stage_id", "eq", stage_id)))


def _summary(api: Api, archived: bool) -> Handler:
    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            status = params.choices(q, "status", DEAL_STATUSES)
            if len(status) > 1:
                raise params.bad("status", "Parameter 'status' takes one of open, won, lost")
            where = all_of(_deal_filters(q, unit, archived, stage=True),
                           Cond("status", "eq", status[0]) if status else None)
            values = currency_totals(stage_totals(unit, where))
            default = _default_currency(unit)
            values_total: dict[str, Row] = {}
            weighted_total: dict[str, Row] = {}
            for code, (raw_value, raw_weighted, count) in sorted(values.items()):
                value, weighted = money(raw_value), money(raw_weighted)
                values_total[code] = {"value": value, "count": int(count),
                                      "value_formatted": format_money(value, code)}
                weighted_total[code] = {"value": weighted, "count": int(count),
                                        "value_formatted": format_money(weighted, code)}
                if code == default:  # (no exchange rates: only the default currency converts)
                    values_total[code].update(value_converted=value,
                                              value_converted_formatted=format_money(value, code))
            converted = values.get(default, [0.0, 0.0, 0])
            in_default, weighted_default = money(converted[0]), money(converted[1])
            return render.success({
                "values_total": values_total, "weighted_values_total": weighted_total,
                "total_count": sum(int(v[2]) for v in values.values()),
                "total_currency_converted_value": in_default,
                "total_weighted_currency_converted_value": weighted_default,
                "total_currency_converted_value_formatted": format_money(in_default, default),
                "total_weighted_currency_converted_value_formatted": format_money(
                    weighted_default, default)})
        return await api.read(request, work, long=True)
    return handler


def periods(start: dt.date, interval: str, amount: int) -> list[tuple[dt.date, dt.date]]:
    """The ``amount`` intervals from ``start``: (first day, the day after the last); a 400
    if the last would end after the calendar does (9999-12-30 is the last day on which
    an interval may end)."""
    def moved(n: int) -> dt.date:
        if interval == "day":
            return start + dt.timedelta(days=n)
        if interval == "week":
            return start + dt.timedelta(weeks=n)
        return add_months(start, n * (1 if interval == "month" else 3))
    try:
        edges = [moved(n) for n in range(amount + 1)]
    except (OverflowError, ValueError):
        raise params.bad("start_date", "The timeline's intervals must end before 9999-12-31"
                         ) from None
    return list(zip(edges, edges[1:], strict=False))


def _date_field(unit: Unit, key: str) -> tuple[str, Kind]:
    """The canonical deal field of a date-type ``field_key`` (built in or custom)."""
    attr = DEAL_V1.by_key.get(key)
    spec = unit.schema.entity("deal")
    name = attr.field if attr is not None else key
    field = spec.by_name.get(name) if name is not None else None
    if field is None or field.kind not in (Kind.DATE, Kind.DATETIME) or (
            attr is None and not field.is_custom):
        raise params.bad("field_key", "Parameter 'field_key' must be the key of a date field"
                         " of deals")
    return field.name, field.kind


def _timeline(api: Api, archived: bool) -> Handler:
    handlers = Handlers(api, FLAT_DEAL_V1)

    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            start = params.date(q, "start_date")
            interval = (q.get("interval") or "").strip()
            if interval not in ("day", "week", "month", "quarter"):
                raise params.bad("interval", "Parameter 'interval' must be day, week, month or"
                                 " quarter")
            if not q.get("amount"):
                raise params.bad("amount", "Parameter 'amount' is required")
            amount = params.integer(q, "amount", 1, 1, MAX_PERIODS)
            name, kind = _date_field(unit, (q.get("field_key") or "").strip())
            exclude = params.flag(q, "exclude_deals")
            convert = converting(unit, q.get("totals_convert_currency"))
            out = []
            spans = periods(start, interval, amount)
            base = all_of(_deal_filters(q, unit, archived, stage=False),
                          Cond("status", "in", ["open", "won"]))
            for first, after in spans:
                low: Any = first if kind is Kind.DATE else dt.datetime.combine(first, dt.time())
                high: Any = after if kind is Kind.DATE else dt.datetime.combine(after, dt.time())
                where = all_of(base, Cond(name, "ge", low), Cond(name, "lt", high))
                groups = unit.sum_by("deal", where, ("status", "currency", "stage_id",
                                                     "probability"), ("value",))
                period: Row = {"period_start": f"{first.isoformat()} 00:00:00",
                               "period_end": f"{(after - dt.timedelta(days=1)).isoformat()}"
                                             " 23:59:59"}
                if not exclude:
                    page = unit.list("deal", Query(where=where, sort=(Sort(name), Sort("id")),
                                                   page=Keyset(None, MAX_TIMELINE_DEALS)))
                    deals, _ = handlers.present(unit, page.items, {})
                    period["deals"] = deals
                period["totals"], converted = _totals(with_weights(unit, groups), convert)
                if convert is not None:
                    period["totals_converted"] = converted
                out.append(period)
            return render.success(out)
        return await api.read(request, work, long=True)
    return handler


def _totals(groups: list[tuple[Aggregate, float]], convert: str | None
            ) -> tuple[Row, Row]:
    """A timeline interval's totals per currency, and those in ``convert`` (no exchange
    rates: only deals already in that currency count)."""
    sums: dict[str, dict[str, float]] = {k: {} for k in (
        "values", "weighted_values", "open_values", "weighted_open_values", "won_values")}
    counts = {"count": 0, "open_count": 0, "won_count": 0}
    for g, weighted in groups:
        code, status = g.values["currency"], g.values["status"]
        parts = [("values", g.sums["value"]), ("weighted_values", weighted),
                 (f"{status}_values", g.sums["value"])]
        if status == "open":
            parts.append(("weighted_open_values", weighted))
        for key, amount in parts:
            sums[key][code] = sums[key].get(code, 0.0) + amount
        counts["count"] += g.count
        counts[f"{status}_count"] += g.count
    totals: Row = {"count": counts["count"]}
    for key in ("values", "weighted_values", "open_count", "open_values", "weighted_open_values",
                "won_count", "won_values"):
        totals[key] = counts[key] if key in counts else {
            code: money(v) for code, v in sorted(sums[key].items())}
    converted = {f"{key}_total": money(sums[key].get(convert or "", 0.0)) for key in sums}
    return totals, converted


# ---- the routes ----------------------------------------------------------------------------

def routes(api: Api) -> list[BaseRoute]:
    v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
    out: list[BaseRoute] = []
    out += routes_at(v1, "/recents", _recents(api), ["GET"])
    for path, (entity, view, _, _) in FLOWS.items():
        out += routes_at(v1, f"/{path}/{{id}}/flow", _flow(api, path), ["GET"])
        out += routes_at(v1, f"/{path}/{{id}}/changelog",
                         cursor_pages(api, entity, _changelog_rows(view)), ["GET"])
    out += routes_at(v1, "/deals/{id}/participantsChangelog",
                     cursor_pages(api, "deal", _participant_rows), ["GET"])
    for tail, archived in (("", False), ("/archived", True)):
        out += routes_at(v1, f"/deals/summary{tail}", _summary(api, archived), ["GET"])
        out += routes_at(v1, f"/deals/timeline{tail}", _timeline(api, archived), ["GET"])
    out += routes_at(v1, "/deals/archived",
                     Handlers(api, replace(DEAL_V1, listed=ARCHIVED)).list, ["GET"])
    out += routes_at(v2, "/deals/archived",
                     Handlers(api, replace(DEAL_V2, listed=ARCHIVED)).list, ["GET"])
    return out


__all__ = ["as_text", "currency_totals", "field_rows", "periods", "routes", "saved_filter",
           "stage_totals"]
