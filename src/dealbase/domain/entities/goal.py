"""The goal: a target for a user, a team or the whole company over a duration, tracked per
interval (Pipedrive's Goals).

A goal counts deals won, deals started (added), deals progressed (moved into a stage),
activities added or completed, or a revenue forecast, by number (``quantity``) or by value
(``sum``, in one currency; deal goals only). Rules: ``stage_id`` belongs to deals
progressed goals (which need one) and lies in one of the goal's pipelines;
``activity_type_ids`` belong to activity goals, ``pipeline_ids`` to deal goals (null: every
pipeline, every activity type); a sum has a known currency, a quantity none; the end
(null: open-ended) is not before the start; the target is not negative; a user or team
assignee is one of the company's (a company assignee is checked by the caller, who
knows the company: ``domain.goals.company_assignee``). Results: ``domain.goals``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..currencies import BY_CODE
from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import CURRENT_USER, identity, lifecycle

DEAL_GOALS = ("deals_won", "deals_progressed", "deals_started", "revenue_forecast")
ACTIVITY_GOALS = ("activities_completed", "activities_added")
GOAL_TYPES = (*DEAL_GOALS, *ACTIVITY_GOALS)
ASSIGNEE_TYPES = ("person", "company", "team")
INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
METRICS = ("quantity", "sum")
MAX_TARGET = 1e15


def _merged(values: Mapping[str, Any], before: Mapping[str, Any] | None, name: str) -> Any:
    return values[name] if name in values else (before or {}).get(name)


def _goal(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    def now(name: str) -> Any:
        return _merged(values, before, name)

    kind = now("type_name")
    if values.get("pipeline_ids") == []:
        values["pipeline_ids"] = None  # (no pipelines named: every pipeline)
    if values.get("activity_type_ids") == []:
        values["activity_type_ids"] = None
    if now("stage_id") is not None and kind != "deals_progressed":
        raise invalid("stage_id", "only a deals_progressed goal has a stage")
    if kind == "deals_progressed" and now("stage_id") is None:
        raise invalid("stage_id", "a deals_progressed goal needs a stage", Reason.REQUIRED)
    if now("activity_type_ids") is not None and kind not in ACTIVITY_GOALS:
        raise invalid("activity_type_ids", "only an activity goal has activity types")
    if now("pipeline_ids") is not None and kind in ACTIVITY_GOALS:
        raise invalid("pipeline_ids", "an activity goal has no pipelines")
    stage_id, pipelines = now("stage_id"), now("pipeline_ids")
    if stage_id is not None and pipelines and ("stage_id" in values or "pipeline_ids" in values):
        stage = lookup.fetch("stage", stage_id)
        if stage is not None and stage["pipeline_id"] not in pipelines:
            raise invalid("stage_id", f"stage {stage_id} is not in the goal's pipelines")
    metric, currency = now("tracking_metric"), now("currency")
    if metric == "sum" and kind in ACTIVITY_GOALS:
        raise invalid("tracking_metric", "an activity goal is tracked by quantity")
    if metric == "sum" and currency is None:
        raise invalid("currency", "a sum goal needs a currency", Reason.REQUIRED)
    if metric == "quantity" and currency is not None:
        raise invalid("currency", "only a sum goal has a currency")
    if currency is not None and currency not in BY_CODE:
        raise invalid("currency", "must be a known currency")
    if kind == "revenue_forecast" and metric != "sum":
        raise invalid("tracking_metric", "a revenue forecast is tracked by sum")
    target = now("target")
    if target is not None and not 0 <= target <= MAX_TARGET:
        raise invalid("target", f"must be between 0 and {MAX_TARGET:.0f}")
    start, end = now("start_date"), now("end_date")
    if start is not None and end is not None and end < start:
        raise invalid("end_date", "must not be before the start date")
    if "assignee_type" in values or "assignee_id" in values:
        who, who_id = now("assignee_type"), now("assignee_id")
        entity = {"person": "user", "team": "team"}.get(who)
        if entity is not None and (who_id is None or lookup.fetch(entity, who_id) is None):
            raise invalid("assignee_id", f"{who} {who_id} not found", Reason.MISSING_RELATED)


GOAL = EntitySpec(
    name="goal",
    table="goals",
    title_field="title",
    fields=(
        *identity(),
        FieldSpec("title", Kind.TEXT, max_length=255, label="Title"),
        FieldSpec("owner_id", Kind.REF, ref="user", readonly=True, default=CURRENT_USER,
                  nullable=False, field_type="user", label="Creator"),
        FieldSpec("type_name", Kind.TEXT, required=True, choices=GOAL_TYPES, nullable=False,
                  max_length=32, label="Type"),
        FieldSpec("pipeline_ids", Kind.JSON, ref="pipeline", field_type="set",
                  label="Pipelines"),
        FieldSpec("stage_id", Kind.REF, ref="stage", field_type="stage", label="Stage"),
        FieldSpec("activity_type_ids", Kind.JSON, ref="activity_type", field_type="set",
                  label="Activity types"),
        FieldSpec("assignee_type", Kind.TEXT, required=True, choices=ASSIGNEE_TYPES,
                  nullable=False, max_length=16, label="Assignee type"),
        FieldSpec("assignee_id", Kind.INT, required=True, nullable=False, field_type="int",
                  label="Assignee"),
        FieldSpec("cadence", Kind.TEXT, required=True, choices=INTERVALS, nullable=False,
                  max_length=16, label="Interval"),
        FieldSpec("start_date", Kind.DATE, required=True, nullable=False, field_type="date",
                  label="Start"),
        FieldSpec("end_date", Kind.DATE, field_type="date", label="End"),
        FieldSpec("target", Kind.FLOAT, required=True, nullable=False, field_type="double",
                  label="Target"),
        FieldSpec("tracking_metric", Kind.TEXT, required=True, choices=METRICS, nullable=False,
                  max_length=16, label="Tracking metric"),
        FieldSpec("currency", Kind.TEXT, max_length=3, label="Currency"),
        *lifecycle(),
    ),
    rules=(_goal,),
    indexes=(("assignee_type", "assignee_id"),),
)
