"""Insight (``GET /insight``): a pipeline's funnel and its conversion and movement
statistics over a period, drawn as charts.

``/insight?pipeline=<id>&from=YYYY-MM-DD&to=YYYY-MM-DD&user=<id>`` (defaults: the first
pipeline the user sees, the three months up to today, every owner). The funnel counts the
pipeline's open deals per stage and sums their values per currency (one aggregate
statement, ``Unit.sum_by``); the conversion and movement figures are the records service's
``Unit.stage_statistics`` — the very call behind Pipedrive's
``/v1/pipelines/{id}/conversion_statistics`` and ``/movement_statistics``, over the same
deals (the pipeline's live deals added before the period ended, of the chosen owner), so
the page and the API agree figure for figure.

Charts are inline SVG drawn on the server (no chart library, no script): horizontal bars in
a ``viewBox`` that scales with the page, each chart with a ``<title>``, a ``<desc>`` that
says every figure in words and a small legend. Every bar carries ``data-key`` and
``data-value`` (the exact figure), which tests read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import statistics
from ..domain.errors import Forbidden, NotFound, Reason, invalid
from ..query.ast import Cond, Filter, Keyset, Query, Sort, all_of
from ..service import Unit, live
from .base import Visitor, Web, money, param_id

WIDTH = 400  # the charts' viewBox width; they scale to the page's width
BAR = 16  # a bar's height
ROW = 38  # a row: its label line, then its bar
NOTE = 14  # a row's extra line (the funnel's values)
TOP = 18  # room above the first row's label
MAX_LABEL = 34  # characters of a label drawn in a chart (the whole one in its <title>)
MAX_ROWS = 1_000  # stages (as the API reads them), pipelines or users one page lists at most
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2999, 12, 31)
TONES = {"stage": "Open deals", "conversion": "Stage to next stage", "won": "Won",
         "lost": "Lost", "new": "New", "moved": "Moved between stages", "open": "Left open",
         "age": "Average age (days)"}


@dataclass(frozen=True)
class Bar:
    """One figure of a chart: what it is, its value, how it reads, and where it is drawn."""

    key: str  # a stable name of the figure (``data-key``)
    label: str
    value: float  # the figure itself (``data-value``)
    text: str  # the figure as the page shows it
    tone: str  # one of TONES: the bar's colour (a class in insight.css)
    note: str = ""  # a line under the bar (the funnel's values per currency)
    values: tuple[tuple[str, float], ...] = ()  # (currency, value): the note's figures
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0

    @property
    def data_values(self) -> str:
        return ";".join(f"{c}={v!r}" for c, v in self.values)

    @property
    def short(self) -> str:
        return self.label if len(self.label) <= MAX_LABEL else self.label[:MAX_LABEL - 1] + "…"


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: ``bars`` laid out in a ``WIDTH`` × ``height`` viewBox."""

    id: str
    title: str
    bars: list[Bar]
    height: float
    track: bool  # a full-width track behind each bar (not the funnel's)
    empty: str  # what the chart says when it has no bars
    legend: list[tuple[str, str]] = field(default_factory=list)  # (tone, words)

    @property
    def summary(self) -> str:
        """Every figure in words (the SVG's ``<desc>``)."""
        if not self.bars:
            return self.empty
        return "; ".join(f"{b.label}: {b.text}" + (f" ({b.note})" if b.note else "")
                         for b in self.bars) + "."


def chart(chart_id: str, title: str, bars: Sequence[Bar], *, scale: float | None = None,
          centered: bool = False, empty: str = "Nothing in this period.") -> Chart:
    """``bars`` laid out one under the other, their lengths proportional to their values
    (``scale``: the value of a full-width bar; by default the largest value). A centered
    chart (the funnel) draws its bars about the middle."""
    top = scale if scale is not None else max((b.value for b in bars), default=0.0)
    laid, y = [], float(TOP)
    for b in bars:
        width = WIDTH * b.value / top if top > 0 else 0.0
        width = max(width, 2.0) if b.value > 0 else 0.0
        x = (WIDTH - width) / 2 if centered else 0.0
        laid.append(Bar(b.key, b.label, b.value, b.text, b.tone, b.note, b.values,
                        round(x, 2), round(y, 2), round(width, 2)))
        y += ROW + (NOTE if b.note else 0)
    tones = list(dict.fromkeys(b.tone for b in bars))
    return Chart(chart_id, title, laid, y - ROW + BAR + 8 if bars else 0.0,
                 track=not centered, empty=empty,
                 legend=[(t, TONES[t]) for t in tones])


# ---- reading the request ------------------------------------------------------------------

def _date(q: Mapping[str, str], name: str, default: dt.date) -> dt.date:
    raw = (q.get(name) or "").strip()
    if not raw:
        return default
    try:
        if not DATE.fullmatch(raw):
            raise ValueError
        found = dt.date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"'{name}' must be a date as YYYY-MM-DD", Reason.BAD_PARAMETER,
                      text=f"The date '{name}' must be written YYYY-MM-DD.") from None
    if not FIRST_DAY <= found <= LAST_DAY:
        raise invalid(name, "out of range", Reason.BAD_PARAMETER,
                      text=f"The date '{name}' must lie between {FIRST_DAY} and {LAST_DAY}.")
    return found


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time())

    @property
    def end(self) -> dt.datetime:  # (the period is [start, end): whole UTC days)
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time())


def period_of(q: Mapping[str, str], today: dt.date) -> Period:
    """The request's ``from``..``to`` (whole days; by default the three months up to
    ``today``); 400 when either is not a date or they are the wrong way round."""
    last = _date(q, "to", today)
    first = _date(q, "from", _months_before(last, 3) + dt.timedelta(days=1))
    if last < first:
        raise invalid("to", "must not be before 'from'", Reason.BAD_PARAMETER,
                      text="The period must end on or after the day it starts.")
    return Period(first, last)


# ---- the figures ----------------------------------------------------------------------------

def _values(values: Mapping[str, float]) -> str:
    return " · ".join(money(v, c) for c, v in sorted(values.items()) if v) or "no value"


def _count(n: int, word: str = "deal") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def funnel(unit: Unit, stages: Sequence[Mapping[str, Any]], where: Filter | None) -> Chart:
    """The open deals of each stage: a bar per stage as long as its count, its values per
    currency under it (one aggregate statement)."""
    counts: dict[int, int] = {}
    values: dict[int, dict[str, float]] = {}
    for g in unit.sum_by("deal", all_of(where, Cond("status", "eq", "open"),
                                        Cond("is_archived", "eq", False)),
                         ("stage_id", "currency"), ("value",)):
        stage = int(g.values["stage_id"])
        counts[stage] = counts.get(stage, 0) + g.count
        per = values.setdefault(stage, {})
        per[g.values["currency"]] = per.get(g.values["currency"], 0.0) + g.sums["value"]
    bars = [Bar(f"funnel:{s['id']}", str(s["name"]), counts.get(s["id"], 0),
                _count(counts.get(s["id"], 0)), "stage", _values(values.get(s["id"], {})),
                tuple(sorted(values.get(s["id"], {}).items())))
            for s in stages]
    return chart("funnel", "Open deals per stage", bars, centered=True,
                 empty="This pipeline has no stages.")


def conversion_chart(found: statistics.Conversion, names: Mapping[int, str]) -> Chart:
    bars = [Bar(f"conversion:{a}:{b}", f"{names.get(a, a)} → {names.get(b, b)}", rate,
                f"{rate}%", "conversion") for a, b, rate in found.stages]
    bars += [Bar("conversion:won", "Won", found.won, f"{found.won}%", "won"),
             Bar("conversion:lost", "Lost", found.lost, f"{found.lost}%", "lost")]
    return chart("conversion", "Conversion", bars, scale=100.0)


def movement_charts(found: statistics.Movement, names: Mapping[int, str]) -> list[Chart]:
    groups = [("new", "New deals", found.new), ("won", "Won deals", found.won),
              ("lost", "Lost deals", found.lost), ("open", "Deals left open", found.left_open)]
    counts = [Bar("movement:new", "New deals", len(found.new.ids), _count(len(found.new.ids)),
                  "new"),
              Bar("movement:moved", "Moves between stages", found.moves,
                  _count(found.moves, "move"), "moved"),
              *[Bar(f"movement:{key}", words, len(group.ids), _count(len(group.ids)), key)
                for key, words, group in groups[1:]]]
    out = [chart("movement", "Movement", counts)]
    currencies = sorted({c for _, _, g in groups for c in g.values})
    for currency in currencies:
        bars = [Bar(f"value:{key}:{currency}", words, g.values.get(currency, 0.0),
                    money(g.values.get(currency, 0.0), currency), key)
                for key, words, g in groups]
        out.append(chart(f"values-{currency.lower()}", f"Values in {currency}", bars))
    if not currencies:
        out.append(chart("values", "Values", [], empty="No deal values in this period."))
    ages = [Bar(f"age:{stage}", str(names.get(stage, stage)), days, _count(days, "day"), "age")
            for stage, days in found.age_by_stage]
    ages.append(Bar("age:all", "All stages", found.average_age,
                    _count(found.average_age, "day"), "age"))
    out.append(chart("age", "Average age of the deals left open", ages if found.age_by_stage
                     else [], empty="No deal was left open at the end of this period."))
    return out


@dataclass(frozen=True)
class Insight:
    pipelines: list[tuple[int, str]]
    users: list[tuple[int, str]]
    pipeline: tuple[int, str] | None
    user: int | None
    period: Period
    charts: list[Chart]
    today: dt.date

    @property
    def owner_name(self) -> str:
        return dict(self.users).get(self.user or 0, str(self.user))


def insight(unit: Unit, q: Mapping[str, str]) -> Insight:
    """Everything the page shows, read in one transaction (as the signed-in user)."""
    today = unit.now().date()
    period = period_of(q, today)
    wanted = param_id(q.get("pipeline"), "pipeline",
                      "The pipeline must be given by its id (a whole number).")
    owner = param_id(q.get("user"), "user", "The owner must be given by its id (a whole number).")
    pipelines = [(int(p["id"]), str(p["name"])) for p in unit.list("pipeline", Query(
        where=live(), sort=(Sort("order_nr"), Sort("id")), page=Keyset(None, MAX_ROWS),
        fields=("id", "name", "order_nr"))).items]
    try:
        users = [(int(u["id"]), str(u["name"] or u["email"])) for u in unit.list("user", Query(
            where=Cond("is_active", "eq", True), sort=(Sort("name"), Sort("id")),
            page=Keyset(None, MAX_ROWS), fields=("id", "name", "email"))).items]
    except Forbidden:  # (a user who may not list users picks everyone or themselves)
        users = []
    if owner is not None and unit.find("user", Cond("id", "eq", owner)) is None:
        raise NotFound("User not found")
    if owner is not None and owner not in dict(users):
        users.append((owner, str(unit.get("user", owner).get("name") or owner)))
    if wanted is not None:
        found = unit.find("pipeline", live(Cond("id", "eq", wanted)))
        if found is None:
            raise NotFound("Pipeline not found")
        pipeline: tuple[int, str] | None = (int(found["id"]), str(found["name"]))
    else:
        pipeline = pipelines[0] if pipelines else None
    if pipeline is None:
        return Insight(pipelines, users, None, owner, period, [], today)
    stages = unit.list("stage", Query(
        where=live(Cond("pipeline_id", "eq", pipeline[0])), sort=(Sort("order_nr"),),
        page=Keyset(None, MAX_ROWS), fields=("id", "name", "order_nr"))).items
    names = {int(s["id"]): str(s["name"]) for s in stages}
    deals = live(all_of(Cond("pipeline_id", "eq", pipeline[0]),
                        None if owner is None else Cond("owner_id", "eq", owner)))
    # (as the Pipedrive adapter asks: the deals added before the period ended)
    added = all_of(deals, Cond("created_at", "lt", period.end))
    ids = list(names)
    conversion = unit.stage_statistics(statistics.Conversion, added, ids, period.start,
                                       period.end)
    movement = unit.stage_statistics(statistics.Movement, added, ids, period.start, period.end)
    charts = [funnel(unit, stages, deals), conversion_chart(conversion, names),
              *movement_charts(movement, names)]
    return Insight(pipelines, users, pipeline, owner, period, charts, today)


def _presets(today: dt.date) -> list[tuple[str, str, str]]:
    """(words, from, to) of a few common periods ending today."""
    return [("Last 30 days", str(today - dt.timedelta(days=29)), str(today)),
            ("Last 3 months", str(_months_before(today, 3) + dt.timedelta(days=1)), str(today)),
            ("This year", str(dt.date(today.year, 1, 1)), str(today)),
            ("Last 12 months", str(_months_before(today, 12) + dt.timedelta(days=1)),
             str(today))]


def routes(web: Web) -> list[BaseRoute]:
    async def page(request: Request, visitor: Visitor) -> Response:
        q = dict(request.query_params)
        found = await web.read(visitor, lambda unit: insight(unit, q), long=True)
        return web.render(request, visitor, "insight.html", found=found, width=WIDTH,
                          bar=BAR, presets=_presets(found.today))

    return [Route("/insight", web.page(page), methods=["GET"])]


__all__ = ["Bar", "Chart", "Insight", "Period", "chart", "insight", "period_of", "routes"]
