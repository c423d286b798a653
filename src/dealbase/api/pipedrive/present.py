"""Turn canonical records into Pipedrive objects (v1 or v2), with related records loaded once.

Every object is made by the view's compiled renderer (``compiled.py``), related objects
included; there is no other renderer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ...domain.registry import Schema
from ...service import Unit
from .compiled import CompiledViews, Render
from .mapping import RenderContext, View, org_object, person_object, user_object


class Presenter:
    """Loads what a page of records refers to (one query per related entity), then renders."""

    def __init__(self) -> None:
        self.compiled = CompiledViews()

    def load(self, unit: Unit, view: View, items: list[dict[str, Any]],
             company: dict[str, Any]) -> RenderContext:
        ctx = unit.ctx
        if not view.loads:
            return RenderContext({}, ctx.user_id, company)
        wanted: dict[str, set[int]] = defaultdict(set)
        for entity, field in view.loads:
            for item in items:
                value = item.get(field)
                if isinstance(value, list):  # a list of ids (a lead's labels)
                    wanted[entity].update(value)
                elif value is not None:
                    wanted[entity].add(value)
        related: dict[str, dict[int, dict[str, Any]]] = {
            entity: unit.get_many(entity, ids) for entity, ids in wanted.items()
        }
        return RenderContext(related, ctx.user_id, company)

    def renderer(self, view: View, schema: Schema, *, include: frozenset[str] = frozenset(),
                 custom_keys: list[str] | None = None, option_labels: bool = False) -> Render:
        """The view compiled for this schema and these options (see ``compiled.py``)."""
        return self.compiled.get(view, schema, include,
                                 None if custom_keys is None else tuple(custom_keys), option_labels)

    def one(self, view: View, schema: Schema, record: dict[str, Any], rc: RenderContext, *,
            include: frozenset[str] = frozenset(), custom_keys: list[str] | None = None,
            option_labels: bool = False) -> dict[str, Any]:
        return self.renderer(view, schema, include=include, custom_keys=custom_keys,
                             option_labels=option_labels)(record, rc)

    def related_objects(self, view: View, schema: Schema, rc: RenderContext
                        ) -> dict[str, Any] | None:
        if view.version != "v1" or not view.related_objects:
            return None
        from .mapping import PIPELINE_V1, STAGE_V1

        stage, pipeline = self.renderer(STAGE_V1, schema), self.renderer(PIPELINE_V1, schema)
        blocks: dict[str, Any] = {}
        makers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "user": lambda r: user_object(r, has_pic_as_int=True),
            "person": person_object,
            "organization": lambda r: org_object(r, rc),
            "stage": lambda r: stage(r, rc),
            "pipeline": lambda r: pipeline(r, rc),
        }
        for key in view.related_objects:
            records = rc.related.get(key, {})
            if records:
                blocks[key] = {str(i): makers[key](r) for i, r in records.items()}
        return blocks
