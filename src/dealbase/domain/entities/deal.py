"""The deal: an opportunity moving through a pipeline's stages.

Rules: a deal always sits in a stage, and its pipeline is that stage's pipeline
(a stage of another pipeline is refused); moving to a pipeline alone puts the deal
in that pipeline's first stage; status changes stamp the won/lost/close times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import Reason, ValidationError, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import (
    CURRENT_USER,
    access,
    activity_tallies,
    apart,
    counter,
    id_list,
    identity,
    labels,
    lifecycle,
    note_tally,
    owned,
    owners_team,
    people_lists,
    quick_fields,
    team,
    visibility,
)
from .subscription import recurring_revenue

STATUSES = ("open", "won", "lost")


def _bad(field: str, message: str, reason: Reason = Reason.INVALID) -> ValidationError:
    return invalid(field, message, reason)


def _place_in_stage(values: dict[str, Any], before: Mapping[str, Any] | None,
                    lookup: Lookup) -> None:
    stage_id = values.get("stage_id")
    pipeline_id = values.get("pipeline_id")
    if stage_id is not None:
        stage = lookup.fetch("stage", stage_id)
        if stage is None:
            raise _bad("stage_id", "stage not found", Reason.MISSING_RELATED)
        if pipeline_id is not None and pipeline_id != stage["pipeline_id"]:
            raise _bad("stage_id", f"stage {stage_id} does not belong to pipeline {pipeline_id}")
        values["pipeline_id"] = stage["pipeline_id"]
    elif pipeline_id is not None:
        if before is not None and before["pipeline_id"] == pipeline_id:
            return
        if lookup.fetch("pipeline", pipeline_id) is None:
            raise _bad("pipeline_id", "pipeline not found", Reason.MISSING_RELATED)
        first = lookup.first("stage", {"pipeline_id": pipeline_id}, "order_nr")
        if first is None:
            raise _bad("pipeline_id", "pipeline has no stages")
        values["stage_id"] = first["id"]
    elif before is None:
        pipeline = lookup.first("pipeline", {}, "order_nr")
        first = None
        if pipeline is not None:
            first = lookup.first("stage", {"pipeline_id": pipeline["id"]}, "order_nr")
        if pipeline is None or first is None:
            raise _bad("stage_id", "the company has no pipeline with stages")
        values["stage_id"], values["pipeline_id"] = first["id"], pipeline["id"]


def _stamp(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    now = lookup.now()
    if "stage_id" in values and (before is None or before["stage_id"] != values["stage_id"]):
        values["stage_changed_at"] = now if before is not None else None
    probability = values.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        raise _bad("probability", "must be between 0 and 100")
    status = values.get("status")
    if status is None or (before is not None and before["status"] == status):
        return
    if status == "open":
        values.update(closed_at=None, won_at=None, lost_at=None)
        if before is not None:
            values.setdefault("lost_reason", None)
    elif status == "won":
        values.update(closed_at=now, won_at=now, lost_at=None)
        if before is None or before.get("first_won_at") is None:
            values["first_won_at"] = now
    elif status == "lost":
        values.update(closed_at=now, lost_at=now, won_at=None)


def _archive(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """Archiving stamps the time (unless given); unarchiving clears it."""
    archived = values.get("is_archived")
    if archived is None or (before is not None and before["is_archived"] == archived):
        return
    if archived:
        if values.get("archived_at") is None:
            values["archived_at"] = lookup.now()
    else:
        values["archived_at"] = None



def rotten_since(deal: Mapping[str, Any], stage: Mapping[str, Any] | None, now: dt.datetime
                 ) -> dt.datetime | None:
    """When an open deal began to rot: its stage rots deals (``is_rotting_enabled``,
    ``rotting_days``) and it has not changed for that many days since its last update;
    None when it is not rotting. (The web app's board shows it; the Pipedrive dialect
    answers ``rotten_time`` null.)"""
    if stage is None or not stage.get("is_rotting_enabled") or not stage.get("rotting_days") \
            or deal.get("status") != "open":
        return None
    since = deal.get("updated_at") or deal.get("stage_changed_at") or deal.get("created_at")
    if not isinstance(since, dt.datetime):
        return None
    rots = since + dt.timedelta(days=int(stage["rotting_days"]))
    return rots if rots <= now else None


def weighted_value(value: float, probability: int | None, stage: Mapping[str, Any] | None,
                   pipeline: Mapping[str, Any] | None) -> float:
    """A deal's weighted value: its value times its own probability (else its stage's
    ``deal_probability``) where its pipeline weighs deals by probability
    (``is_deal_probability_enabled``); its value otherwise."""
    if pipeline is None or not pipeline["is_deal_probability_enabled"]:
        return float(value)
    if probability is None:
        probability = stage["deal_probability"] if stage else None
    return float(value) * (100 if probability is None else probability) / 100


DEAL = EntitySpec(
    name="deal",
    table="deals",
    title_field="title",
    has_custom_fields=True,
    fields=(
        *identity(),
        FieldSpec("title", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Title"),
        FieldSpec("value", Kind.FLOAT, default=0.0, nullable=False, field_type="monetary",
                  label="Value"),
        FieldSpec("currency", Kind.TEXT, default="USD", max_length=3, nullable=False,
                  label="Currency"),
        owned(),
        FieldSpec("creator_id", Kind.REF, ref="user", readonly=True, default=CURRENT_USER,
                  field_type="user", label="Creator"),
        FieldSpec("person_id", Kind.REF, ref="person", field_type="people", label="Contact person"),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        # Pipedrive reports the deal's pipeline field as type "double"; v2 has no "pipeline" type.
        FieldSpec("pipeline_id", Kind.REF, ref="pipeline", nullable=False, field_type="double",
                  label="Pipeline"),
        FieldSpec("stage_id", Kind.REF, ref="stage", nullable=False, field_type="stage",
                  label="Stage"),
        FieldSpec("status", Kind.TEXT, choices=STATUSES, default="open", nullable=False,
                  field_type="status", label="Status"),
        FieldSpec("probability", Kind.INT, field_type="double", label="Probability"),
        FieldSpec("lost_reason", Kind.TEXT, max_length=255, label="Lost reason"),
        visibility(),
        labels(),
        FieldSpec("expected_close_date", Kind.DATE, field_type="date",
                  label="Expected close date"),
        FieldSpec("stage_changed_at", Kind.DATETIME, readonly=True, field_type="date"),
        FieldSpec("closed_at", Kind.DATETIME, readonly=True, field_type="date",
                  label="Deal closed on"),
        FieldSpec("won_at", Kind.DATETIME, readonly=True, field_type="date", label="Won time"),
        FieldSpec("first_won_at", Kind.DATETIME, readonly=True, field_type="date"),
        FieldSpec("lost_at", Kind.DATETIME, readonly=True, field_type="date", label="Lost time"),
        FieldSpec("is_archived", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean"),
        FieldSpec("archived_at", Kind.DATETIME, field_type="date"),
        FieldSpec("origin", Kind.TEXT, default="API", max_length=255, field_type="varchar"),
        FieldSpec("origin_id", Kind.TEXT, max_length=255),
        FieldSpec("channel", Kind.INT, field_type="enum"),
        FieldSpec("channel_id", Kind.TEXT, max_length=255),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        id_list("participant_ids", "person", "Other contacts"),
        id_list("organization_ids", "organization", "Other organizations"),
        team(),
        # what Pipeliner's Opportunities have besides
        FieldSpec("value_foreign", Kind.FLOAT, field_type="double", label="Value (foreign)"),
        FieldSpec("value_auto_calculate", Kind.BOOL, field_type="boolean",
                  label="Value calculated from products"),
        FieldSpec("currency_exchange_fixed", Kind.BOOL, field_type="boolean",
                  label="Exchange rate fixed"),
        FieldSpec("price_list_ref", Kind.TEXT, max_length=120, label="Product price list"),
        FieldSpec("reason_of_close_ref", Kind.TEXT, max_length=120, label="Reason of close"),
        *quick_fields(),
        *access(),
        *people_lists(),
        *activity_tallies("deal_id"),
        note_tally("deal_id"),
        counter("products_count", "deal_product", "deal_id", label="Products"),
        recurring_revenue("mrr", "MRR"),
        recurring_revenue("arr", "ARR"),
        recurring_revenue("acv", "ACV"),
        *lifecycle(),
    ),
    rules=(_place_in_stage, _stamp, _archive, owners_team, apart("person_id", "participant_ids"),
           apart("organization_id", "organization_ids")),
    # A pipeline board: the open deals of one stage, latest update first (all dialects),
    # and (its last four columns) the board's column totals, read from the index alone;
    # one owner's deals in one pipeline added before a time (the pipeline's statistics).
    indexes=(("stage_id", "status", "is_deleted", "updated_at", "id", "is_archived", "currency",
              "probability", "value"),
             ("pipeline_id", "owner_id", "created_at")),
)
