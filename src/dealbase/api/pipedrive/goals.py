"""Goals (v1 tag Goals): ``POST /goals``, ``GET /goals/find``, ``PUT/DELETE /goals/{id}`` and
``GET /goals/{id}/results``.

A goal is the ``goal`` record (``domain.entities.goal``); its wire id is the UUID of its
string id as 32 hex digits, as Pipedrive shows goal ids. The nested wire objects (``type``,
``assignee``, ``expected_outcome``, ``duration``) are renamed to and from the record's
flat fields here; each object given in a body replaces what the goal had. Results are
``domain.goals``'s, over the deals, their stage moves (the change log) and the activities
read here through the unit.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain import goals
from ...domain.currencies import BY_CODE, CURRENCIES
from ...domain.entities._common import ACTIVITY_DONE
from ...domain.entities.goal import (
    ACTIVITY_GOALS,
    ASSIGNEE_TYPES,
    GOAL_TYPES,
    INTERVALS,
    METRICS,
)
from ...domain.errors import Reason
from ...domain.types import INT_MAX, Kind, clean_text, loosen, parse_int
from ...query.ast import And, Cond, Filter, Keyset, Or, Query, all_of
from ...service import Unit, live
from ..body import query_params
from . import params, render
from .mapping import wire_uuid
from .rates import rates_of
from .routes import PREFIXES, Api, routes_at, uid_record

Record = dict[str, Any]
PAGE = 5_000  # records read per statement
MAX_OWNERS = 500  # a team's members filtered in SQL at most (more: in Python)
BY_ID = {c.id: c for c in CURRENCIES}
TOP = frozenset({"title", "assignee", "type", "expected_outcome", "duration", "interval"})
REQUIRED = ("type", "assignee", "expected_outcome", "duration", "interval")
PARAMS = frozenset({"pipeline_id", "stage_id", "activity_type_id"})
# find: parameters after which everyone's goals are listed (else the caller's own)
EVERYONE = ("type.name", "assignee.type", "expected_outcome.target",
            "expected_outcome.tracking_metric", "expected_outcome.currency_id",
            "type.params.pipeline_id", "type.params.stage_id", "type.params.activity_type_id")


# ---- the wire object ---------------------------------------------------------------------

def wire_id(goal: Mapping[str, Any]) -> str:
    """The goal's id: its UUID as 32 hex digits."""
    found = wire_uuid(goal["uid"])
    try:
        return uuid.UUID(found).hex
    except ValueError:
        return found  # (a string id a Pipeliner client chose)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def present(goal: Mapping[str, Any]) -> dict[str, Any]:
    """The goal as Pipedrive shows it (keys the spec types as non-nullable: left out when
    null)."""
    type_params: dict[str, Any] = {}
    for key, name in (("pipeline_id", "pipeline_ids"), ("stage_id", "stage_id"),
                      ("activity_type_id", "activity_type_ids")):
        if goal[name] is not None:
            type_params[key] = goal[name]
    outcome: dict[str, Any] = {"target": _number(goal["target"]),
                               "tracking_metric": goal["tracking_metric"]}
    if goal["currency"] is not None:
        outcome["currency_id"] = BY_CODE[goal["currency"]].id
    duration = {"start": render.day(goal["start_date"])}
    if goal["end_date"] is not None:
        duration["end"] = render.day(goal["end_date"])
    out: dict[str, Any] = {"id": wire_id(goal), "owner_id": goal["owner_id"]}
    if goal["title"] is not None:
        out["title"] = goal["title"]
    return {**out, "type": {"name": goal["type_name"], "params": type_params},
            "assignee": {"id": goal["assignee_id"], "type": goal["assignee_type"]},
            "interval": goal["cadence"], "duration": duration, "expected_outcome": outcome,
            "is_active": not goal["is_deleted"], "report_ids": []}


# ---- bodies --------------------------------------------------------------------------------

def _object(body: Mapping[str, Any], key: str, allowed: frozenset[str],
            required: Sequence[str]) -> dict[str, Any]:
    value = body[key]
    if not isinstance(value, dict):
        raise params.bad(key, f"{key} must be an object", Reason.INVALID)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise params.bad(f"{key}.{unknown[0]}", f"Unknown field(s) of {key}: "
                         f"{', '.join(unknown)[:200]}", Reason.UNKNOWN_FIELD)
    missing = [k for k in required if value.get(k) is None]
    if missing:
        raise params.bad(f"{key}.{missing[0]}", f"{key}.{missing[0]} is required",
                         Reason.REQUIRED)
    return value


def _ids(key: str, value: Any) -> list[int] | None:
    """A list of ids (null: all)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise params.bad(key, f"{key} must be an array of integers or null", Reason.INVALID)
    return [loosen(Kind.INT, v) for v in value]


def _currency(value: Any) -> str:
    found = loosen(Kind.INT, value)
    if isinstance(found, bool) or not isinstance(found, int) or found not in BY_ID:
        raise params.bad("expected_outcome.currency_id",
                         "expected_outcome.currency_id must be the id of a currency",
                         Reason.INVALID)
    return BY_ID[found].code


def _choice(key: str, value: Any, allowed: Sequence[str]) -> Any:
    if value not in allowed:
        raise params.bad(key, f"{key} must be one of {', '.join(allowed)}", Reason.INVALID)
    return value


def values_of(body: Any, creating: bool, company_id: int) -> dict[str, Any]:
    """A goal body in canonical values (each object given replaces the goal's)."""
    if not isinstance(body, dict):
        raise params.bad("body", "The request body must be a JSON object", Reason.MALFORMED)
    unknown = sorted(set(body) - TOP)
    if unknown:
        raise params.bad(unknown[0], f"Unknown field(s): {', '.join(unknown)[:200]}",
                         Reason.UNKNOWN_FIELD)
    missing = [k for k in REQUIRED if creating and body.get(k) is None]
    if missing or (not creating and any(k in body and body[k] is None for k in REQUIRED)):
        key = missing[0] if missing else next(k for k in REQUIRED if k in body)
        raise params.bad(key, f"{key} is required", Reason.REQUIRED)
    out: dict[str, Any] = {}
    if "title" in body:
        out["title"] = body["title"]
    if "interval" in body:
        out["cadence"] = _choice("interval", body["interval"], INTERVALS)
    if "assignee" in body:
        who = _object(body, "assignee", frozenset({"id", "type"}), ("id", "type"))
        out["assignee_type"] = _choice("assignee.type", who["type"], ASSIGNEE_TYPES)
        out["assignee_id"] = loosen(Kind.INT, who["id"])
        goals.company_assignee(out["assignee_type"], out["assignee_id"], company_id)
    if "type" in body:
        kind = _object(body, "type", frozenset({"name", "params"}), ("name",))
        out["type_name"] = _choice("type.name", kind["name"], GOAL_TYPES)
        given = kind.get("params") or {}
        found = _object({"type.params": given}, "type.params", PARAMS, ())
        out["pipeline_ids"] = _ids("type.params.pipeline_id", found.get("pipeline_id"))
        out["activity_type_ids"] = _ids("type.params.activity_type_id",
                                        found.get("activity_type_id"))
        out["stage_id"] = loosen(Kind.INT, found.get("stage_id"))
    if "expected_outcome" in body:
        outcome = _object(body, "expected_outcome",
                          frozenset({"target", "tracking_metric", "currency_id"}),
                          ("target", "tracking_metric"))
        out["target"] = loosen(Kind.FLOAT, outcome["target"])
        out["tracking_metric"] = _choice("expected_outcome.tracking_metric",
                                         outcome["tracking_metric"], METRICS)
        currency = outcome.get("currency_id")
        out["currency"] = None if currency is None else _currency(currency)
    if "duration" in body:
        duration = _object(body, "duration", frozenset({"start", "end"}), ("start",))
        out["start_date"], out["end_date"] = duration["start"], duration.get("end")
    return out


# ---- results -------------------------------------------------------------------------------

def _every(unit: Unit, entity: str, where: Filter | None, fields: tuple[str, ...]
           ) -> Iterator[Record]:
    """Every record of ``entity`` meeting ``where``, a page at a time."""
    after: tuple[Any, ...] | None = None
    while True:
        page = unit.list(entity, Query(where=where, page=Keyset(after, PAGE), fields=fields))
        yield from page.items
        after = page.last_key()
        if after is None:
            return


def _owners(unit: Unit, goal: Mapping[str, Any]) -> frozenset[int] | None:
    """Whose records count: the user, the team's members, or (a company goal) anyone's."""
    if goal["assignee_type"] == "person":
        return frozenset({goal["assignee_id"]})
    if goal["assignee_type"] == "team":
        return frozenset(u["id"] for u in _every(
            unit, "user", Cond("team_id", "eq", goal["assignee_id"]), ("id",)))
    return None


def _window(name: str, start: dt.datetime, end: dt.datetime) -> Filter:
    return And((Cond(name, "ge", start), Cond(name, "lt", end)))


def _deal_facts(unit: Unit, target: goals.Target, start: dt.datetime, end: dt.datetime
                ) -> tuple[list[goals.Deal], list[goals.Move]]:
    owners = target.owners
    by_owner = (Cond("owner_id", "in", sorted(owners))
                if owners is not None and len(owners) <= MAX_OWNERS else None)
    pipelines = (Cond("pipeline_id", "in", sorted(target.pipelines))
                 if target.pipelines and target.kind != "deals_progressed" else None)
    won = And((Cond("status", "eq", "won"), _window("won_at", start, end)))
    when: Filter = {
        "deals_won": won,
        "deals_started": _window("created_at", start, end),
        "deals_progressed": And((Cond("created_at", "lt", end), Cond("updated_at", "ge", start))),
        "revenue_forecast": Or((won, And((
            Cond("status", "eq", "open"), Cond("expected_close_date", "ge", start.date()),
            Cond("expected_close_date", "lt", end.date()))))),
    }[target.kind]
    rows = list(_every(unit, "deal", live(all_of(when, by_owner, pipelines)), (
        "id", "owner_id", "pipeline_id", "stage_id", "status", "value", "currency",
        "created_at", "won_at", "expected_close_date", "probability")))
    stages: dict[int, Record] = {}
    if target.kind == "revenue_forecast":
        stages = unit.get_many("stage", {r["stage_id"] for r in rows if r["probability"] is None},
                               ("id", "deal_probability"))
    deals = [goals.Deal(
        id=r["id"], owner_id=r["owner_id"], pipeline_id=r["pipeline_id"], status=r["status"],
        value=float(r["value"] or 0), currency=r["currency"], added=r["created_at"],
        won_at=r["won_at"], expected_close_date=r["expected_close_date"],
        probability=r["probability"] if r["probability"] is not None
        else stages.get(r["stage_id"], {}).get("deal_probability", 100)) for r in rows]
    moves = (unit.moves("deal", "stage_id", [d.id for d in deals], end)
             if target.kind == "deals_progressed" and deals else [])
    return deals, moves


def _activity_facts(unit: Unit, target: goals.Target, start: dt.datetime, end: dt.datetime
                    ) -> list[goals.Activity]:
    owners = target.owners
    when = (_window("created_at", start, end) if target.kind == "activities_added"
            else And((Cond("status", "eq", ACTIVITY_DONE), _window("done_at", start, end))))
    return [goals.Activity(id=r["id"], owner_id=r["owner_id"], type=r["type"],
                           added=r["created_at"], done_at=r["done_at"])
            for r in _every(unit, "activity", live(all_of(
                when, Cond("owner_id", "in", sorted(owners))
                if owners is not None and len(owners) <= MAX_OWNERS else None,
                Cond("type", "in", sorted(target.activity_types))
                if target.activity_types else None)),
                ("id", "owner_id", "type", "created_at", "done_at"))]


def progress(unit: Unit, goal: Mapping[str, Any], first: dt.date, last: dt.date
             ) -> goals.Progress:
    """The goal's progress during ``first``..``last``, from the company's records."""
    start, end = goals.period(first, last, goal["start_date"], goal["end_date"])
    types: frozenset[str] | None = None
    if goal["activity_type_ids"] is not None:
        types = frozenset(t["key"] for t in unit.get_many(
            "activity_type", goal["activity_type_ids"], ("id", "key")).values())
    target = goals.Target(
        kind=goal["type_name"], metric=goal["tracking_metric"], currency=goal["currency"],
        pipelines=None if goal["pipeline_ids"] is None else frozenset(goal["pipeline_ids"]),
        stage_id=goal["stage_id"], activity_types=types, owners=_owners(unit, goal),
        rates=rates_of(unit) if goal["tracking_metric"] == "sum" else {})
    if target.owners is not None and not target.owners:
        return goals.Progress()  # (a team without members)
    if target.kind in ACTIVITY_GOALS:
        return goals.progress(target, start, end,
                              activities=_activity_facts(unit, target, start, end))
    deals, moves = _deal_facts(unit, target, start, end)
    return goals.progress(target, start, end, deals=deals, moves=moves)


# ---- find ----------------------------------------------------------------------------------

def _id_param(q: Mapping[str, str], name: str) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    found = parse_int(raw, 1, INT_MAX)
    if found is None:
        raise params.bad(name, f"Parameter '{name}' must be a positive integer")
    return found


def _id_list_param(q: Mapping[str, str], name: str) -> list[int] | None:
    """``1,2`` (or a JSON-like ``[1,2]``); ``null``: goals on all."""
    raw = (q.get(name) or "").strip().strip("[]")
    if raw == "null":
        return None
    found = [parse_int(p.strip(), 1, INT_MAX) for p in raw.split(",") if p.strip()]
    if not found or None in found:
        raise params.bad(name, f"Parameter '{name}' must be a list of positive integers or null")
    return [i for i in found if i is not None]


def _enum_param(q: Mapping[str, str], name: str, allowed: Sequence[str]) -> str | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise params.bad(name, f"Parameter '{name}' must be one of {', '.join(allowed)}")
    return raw


def _find_filter(q: Mapping[str, str], ctx_user: int | None) -> tuple[Filter | None, Callable[
        [Record], bool]]:
    """The find parameters as a filter on goals, and the part checked on each goal (lists)."""
    active = params.flag(q, "is_active") if q.get("is_active") else True  # (by default)
    parts: list[Filter | None] = [Cond("is_deleted", "eq", not active)]
    kind = _enum_param(q, "type.name", GOAL_TYPES)
    who_type = _enum_param(q, "assignee.type", ASSIGNEE_TYPES)
    who = _id_param(q, "assignee.id")
    everyone = any(q.get(name) not in (None, "") for name in EVERYONE)
    if who is not None:
        parts += [Cond("assignee_id", "eq", who), Cond("assignee_type", "eq", who_type or "person")]
    elif who_type is not None:
        parts.append(Cond("assignee_type", "eq", who_type))
    elif not everyone:
        parts += [Cond("assignee_id", "eq", ctx_user or 0), Cond("assignee_type", "eq", "person")]
    parts.append(None if kind is None else Cond("type_name", "eq", kind))
    if q.get("title") not in (None, ""):
        parts.append(Cond("title", "eq", clean_text("title", q["title"], 255)))
    if q.get("expected_outcome.target") not in (None, ""):
        target = loosen(Kind.FLOAT, q["expected_outcome.target"])
        if not isinstance(target, float) or not math.isfinite(target):
            raise params.bad("expected_outcome.target",
                             "Parameter 'expected_outcome.target' must be a number")
        parts.append(Cond("target", "eq", target))
    metric = _enum_param(q, "expected_outcome.tracking_metric", METRICS)
    parts.append(None if metric is None else Cond("tracking_metric", "eq", metric))
    currency = _id_param(q, "expected_outcome.currency_id")
    if currency is not None:
        parts.append(Cond("currency", "eq", BY_ID[currency].code) if currency in BY_ID
                     else Cond("id", "eq", 0))
    stage = _id_param(q, "type.params.stage_id")
    parts.append(None if stage is None else Cond("stage_id", "eq", stage))
    first, last = q.get("period.start"), q.get("period.end")
    if bool(first) != bool(last):
        raise params.bad("period.start", "Parameters 'period.start' and 'period.end' go together")
    if first and last:
        start, end = params.date(q, "period.start"), params.date(q, "period.end")
        if end < start:
            raise params.bad("period.end", "Parameter 'period.end' must not be before "
                             "'period.start'")
        parts += [Cond("start_date", "le", end),
                  Or((Cond("end_date", "is_null", True), Cond("end_date", "ge", start)))]
    lists = [(name, _id_list_param(q, f"type.params.{key}"))
             for key, name in (("pipeline_id", "pipeline_ids"),
                               ("activity_type_id", "activity_type_ids"))
             if q.get(f"type.params.{key}") not in (None, "")]

    def keep(goal: Record) -> bool:
        return all(goals.same_ids(goal[name], wanted) for name, wanted in lists)
    return all_of(*parts), keep


# ---- handlers ------------------------------------------------------------------------------

class GoalHandlers:
    def __init__(self, api: Api) -> None:
        self.api = api

    @staticmethod
    def _goal(unit: Unit, request: Request) -> int:
        """The live goal the path names (else not found)."""
        return uid_record(unit, "goal", request.path_params["id"])

    async def add(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            values = values_of(self.api.parse_body(request, raw), True, unit.ctx.company_id)
            return render.success({"goal": present(unit.create("goal", values))})
        return await self.api.write(request, work, raw)

    async def update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            goal_id = self._goal(unit, request)
            values = values_of(self.api.parse_body(request, raw), False, unit.ctx.company_id)
            goal = unit.update("goal", goal_id, values) if values else unit.get("goal", goal_id)
            return render.success({"goal": present(goal)})
        return await self.api.write(request, work, raw)

    async def delete(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            unit.delete("goal", [self._goal(unit, request)])
            return render.JSON({"success": True})
        return await self.api.write(request, work)

    async def find(self, request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            where, keep = _find_filter(q, unit.ctx.user_id)
            found = [present(g) for g in _every(unit, "goal", where, tuple(
                f.name for f in unit.schema.entity("goal").columns)) if keep(g)]
            return render.success({"goals": found})
        return await self.api.read(request, work)

    async def results(self, request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            goal = unit.get("goal", self._goal(unit, request))
            first, last = params.date(q, "period.start"), params.date(q, "period.end")
            found = progress(unit, goal, first, last)
            return render.success({"progress": found.whole, "goal": present(goal)},
                                  additional_data={"currencies_without_rate": sorted(
                                      found.without_rate)} if goal["currency"] else None)
        return await self.api.read(request, work, long=True)


def routes(api: Api) -> list[BaseRoute]:
    h = GoalHandlers(api)
    v1 = PREFIXES["v1"]
    return [*routes_at(v1, "/goals", h.add, ["POST"]),
            *routes_at(v1, "/goals/find", h.find, ["GET"]),
            *routes_at(v1, "/goals/{id}", h.update, ["PUT"]),
            *routes_at(v1, "/goals/{id}", h.delete, ["DELETE"]),
            *routes_at(v1, "/goals/{id}/results", h.results, ["GET"])]


__all__ = ["present", "progress", "routes", "values_of"]

