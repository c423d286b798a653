"""Turn canonical records into Pipedrive objects (v1 or v2), with related records loaded once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ...domain.registry import Schema
from ...service import Context, Records
from ...store.database import Tx
from . import customvalues
from .compiled import CompiledViews, Render
from .mapping import RenderContext, View, org_object, person_object, user_object
from .render import day, v1_time, v2_time


def _format(value: Any, version: str, style: str) -> Any:
    if isinstance(value, dt.datetime):
        return v1_time(value) if version == "v1" else v2_time(value)
    if isinstance(value, dt.date):
        return day(value)
    if style == "str" and value is not None:
        return str(value)
    return value


class Presenter:
    """Loads what a page of records refers to (one query per related entity), then renders."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.compiled = CompiledViews()

    def load(self, ctx: Context, view: View, items: list[dict[str, Any]],
             company: dict[str, Any], tx: Tx | None = None) -> RenderContext:
        if not view.loads and not (view.entity == "organization" and view.version == "v1"):
            return RenderContext({}, ctx.user_id, company)
        if tx is None:
            with self.records.db.tx() as own:
                return self.load(ctx, view, items, company, own)
        wanted: dict[str, set[int]] = defaultdict(set)
        for entity, field in view.loads:
            for item in items:
                if item.get(field) is not None:
                    wanted[entity].add(item[field])
        related: dict[str, dict[int, dict[str, Any]]] = {
            entity: self.records._get_many(tx, ctx, entity, ids) for entity, ids in wanted.items()
        }
        org_ids = set(related.get("organization", {}))
        if view.entity == "organization" and view.version == "v1":
            org_ids |= {i["id"] for i in items}
        if org_ids:
            counts = self.records._count_by(tx, ctx, "person", "organization_id", org_ids)
            related["people_count"] = {k: {"n": v} for k, v in counts.items()}
        return RenderContext(related, ctx.user_id, company)

    def one(self, view: View, schema: Schema, record: dict[str, Any], rc: RenderContext, *,
            include: frozenset[str] = frozenset(), custom_keys: list[str] | None = None,
            option_labels: bool = False) -> dict[str, Any]:
        return self.renderer(view, schema, include=include, custom_keys=custom_keys,
                             option_labels=option_labels)(record, rc)

    def renderer(self, view: View, schema: Schema, *, include: frozenset[str] = frozenset(),
                 custom_keys: list[str] | None = None, option_labels: bool = False) -> Render:
        """The view compiled for this schema and these options (see ``compiled.py``)."""
        return self.compiled.get(view, schema, include,
                                 None if custom_keys is None else tuple(custom_keys), option_labels)

    def walk(self, view: View, schema: Schema, record: dict[str, Any], rc: RenderContext, *,
             include: frozenset[str] = frozenset(), custom_keys: list[str] | None = None,
             option_labels: bool = False) -> dict[str, Any]:
        """The same object as ``one``, by walking the declarations (the compiler's oracle)."""
        out: dict[str, Any] = {}
        for attr in view.attrs:
            if attr.opt_in and attr.key not in include:
                continue
            if attr.compute is not None:
                value = attr.compute(record, rc)
            else:
                value = _format(record.get(attr.field or ""), view.version, attr.style)
            if value is None and attr.key in view.omit_null:
                continue
            out[attr.key] = value
        if view.has_custom:
            fields = schema.custom_of(view.entity)
            if custom_keys is not None:
                fields = tuple(f for f in fields if f.key in custom_keys)
            if view.version == "v1":
                for cf in fields:
                    out.update(customvalues.v1_out(cf, record))
            else:
                out["custom_fields"] = {cf.key: customvalues.v2_out(cf, record, option_labels)
                                        for cf in fields}
        return out

    def related_objects(self, view: View, rc: RenderContext) -> dict[str, Any] | None:
        if view.version != "v1" or not view.related_objects:
            return None
        from .mapping import PIPELINE_V1, STAGE_V1

        blocks: dict[str, Any] = {}
        makers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "user": lambda r: user_object(r, has_pic_as_int=True),
            "person": person_object,
            "organization": lambda r: org_object(r, rc),
            "stage": lambda r: self._simple(STAGE_V1, r, rc),
            "pipeline": lambda r: self._simple(PIPELINE_V1, r, rc),
        }
        for key in view.related_objects:
            records = rc.related.get(key, {})
            if records:
                blocks[key] = {str(i): makers[key](r) for i, r in records.items()}
        return blocks

    def _simple(self, view: View, record: dict[str, Any], rc: RenderContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for attr in view.attrs:
            value = (attr.compute(record, rc) if attr.compute is not None
                     else _format(record.get(attr.field or ""), "v1", attr.style))
            if value is None and attr.key in view.omit_null:
                continue
            out[attr.key] = value
        return out
