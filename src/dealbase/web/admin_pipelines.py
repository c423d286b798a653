"""The pipelines section: add and rename pipelines; add, rename, reorder, delete stages.

Pipelines and stages are records written as the Pipedrive adapter writes them
(``POST/PUT /stages``: ``unit.create``/``unit.update``; a stage's place is its
``order_nr``, and a move renumbers the pipeline's stages 1..n in one transaction).
Deleting a stage marks it deleted, as ``DELETE /stages/{id}`` does; the service leaves its
deals where they are, so the form offers to move the stage's open and closed deals to
another stage first (each an ordinary deal update), or to leave them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from ..domain.errors import NotFound, invalid
from ..query.ast import Cond, Keyset, Query, Sort
from ..service import Unit, live
from .admin_base import Section, Shown, number, path_id, record_ref, text
from .base import Visitor

Record = dict[str, Any]
MAX_PIPELINES = 500  # pipelines (and stages of one pipeline) the page lists at most
MAX_MOVED = 5_000  # deals a stage's deletion moves at most (more: move them by the API first)


def _stages(unit: Unit, pipeline_id: int) -> list[Record]:
    return unit.list("stage", Query(where=live(Cond("pipeline_id", "eq", pipeline_id)),
                                    sort=(Sort("order_nr"),),
                                    page=Keyset(None, MAX_PIPELINES))).items


def _live(unit: Unit, entity: str, record_id: int, words: str) -> Record:
    found = unit.find(entity, live(Cond("id", "eq", record_id)))
    if found is None:
        raise NotFound(f"{words} not found")
    return found


class Pipelines(Section):
    name = "pipelines"
    template = "admin_pipelines.html"
    what = "manage pipelines"

    def view(self, unit: Unit, request: Request) -> dict[str, Any]:
        pipelines = unit.list("pipeline", Query(where=live(), sort=(Sort("order_nr"),),
                                                page=Keyset(None, MAX_PIPELINES))).items
        stages = {p["id"]: _stages(unit, p["id"]) for p in pipelines}
        ids = [s["id"] for found in stages.values() for s in found]
        deals = unit.count_by("deal", "stage_id", ids)
        neighbour: dict[int, int | None] = {}  # where a deleted stage's deals go by default
        for found in stages.values():
            for at, stage in enumerate(found):
                near = found[at + 1] if at + 1 < len(found) else found[at - 1] if at else None
                neighbour[stage["id"]] = None if near is None else near["id"]
        return {"pipelines": pipelines, "stages": stages, "deals": deals,
                "neighbour": neighbour}

    async def add_pipeline(self, request: Request, visitor: Visitor, form: dict[str, str]
                           ) -> Shown | None:
        name = text(form, "name", "Name")

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            unit.create("pipeline", {"name": name})

        await self.web.write(visitor, work)
        return None

    async def rename_pipeline(self, request: Request, visitor: Visitor, form: dict[str, str]
                              ) -> Shown | None:
        pipeline_id = path_id(request)
        name = text(form, "name", "Name")

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            _live(unit, "pipeline", pipeline_id, "Pipeline")
            unit.update("pipeline", pipeline_id, {"name": name})

        await self.web.write(visitor, work)
        return None

    async def add_stage(self, request: Request, visitor: Visitor, form: dict[str, str]
                        ) -> Shown | None:
        pipeline_id = path_id(request)
        name = text(form, "name", "Name")
        probability = number(form, "deal_probability", "Probability", required=False)

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            _live(unit, "pipeline", pipeline_id, "Pipeline")
            values: Record = {"name": name, "pipeline_id": pipeline_id}
            if probability is not None:
                values["deal_probability"] = probability
            unit.create("stage", values)

        await self.web.write(visitor, work)
        return None

    async def change_stage(self, request: Request, visitor: Visitor, form: dict[str, str]
                           ) -> Shown | None:
        stage_id = path_id(request)
        name = text(form, "name", "Name")
        probability = number(form, "deal_probability", "Probability", required=False)

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            _live(unit, "stage", stage_id, "Stage")
            values: Record = {"name": name}
            if probability is not None:
                values["deal_probability"] = probability
            unit.update("stage", stage_id, values)

        await self.web.write(visitor, work)
        return None

    async def move_stage(self, request: Request, visitor: Visitor, form: dict[str, str]
                         ) -> Shown | None:
        stage_id = path_id(request)
        direction = form.get("direction", "")
        if direction not in ("up", "down"):
            raise invalid("direction", "must be up or down", text="Move a stage up or down.")

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            stage = _live(unit, "stage", stage_id, "Stage")
            order = _stages(unit, stage["pipeline_id"])
            at = next(i for i, s in enumerate(order) if s["id"] == stage_id)
            to = at - 1 if direction == "up" else at + 1
            if not 0 <= to < len(order):
                return  # (already first or last)
            order[at], order[to] = order[to], order[at]
            for place, s in enumerate(order, start=1):
                if s["order_nr"] != place:
                    unit.update("stage", s["id"], {"order_nr": place})

        await self.web.write(visitor, work)
        return None

    async def delete_stage(self, request: Request, visitor: Visitor, form: dict[str, str]
                           ) -> Shown | None:
        stage_id = path_id(request)
        target = record_ref(form, "move_to", "Stage", required=False)
        if target == stage_id:
            raise invalid("move_to", "the stage itself",
                          text="Move the deals to another stage than the one deleted.")

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            _live(unit, "stage", stage_id, "Stage")
            if target is not None:
                _live(unit, "stage", target, "Stage to move the deals to")
                deals = unit.list("deal", Query(where=live(Cond("stage_id", "eq", stage_id)),
                                                page=Keyset(None, MAX_MOVED + 1),
                                                fields=("id",))).items
                if len(deals) > MAX_MOVED:
                    raise invalid("move_to", "too many deals",
                                  text=f"The stage has more than {MAX_MOVED} deals: move them "
                                       "with the API first.")
                for deal in deals:
                    unit.update("deal", deal["id"], {"stage_id": target})
            unit.delete("stage", [stage_id])

        await self.web.write(visitor, work)
        return None

    def routes(self) -> list[BaseRoute]:
        page, act = self.web.page, self.act
        return [Route("/admin/pipelines", page(self.page), methods=["GET"]),
                Route("/admin/pipelines", act(self.add_pipeline), methods=["POST"]),
                Route("/admin/pipelines/{id}", act(self.rename_pipeline), methods=["POST"]),
                Route("/admin/pipelines/{id}/stages", act(self.add_stage), methods=["POST"]),
                Route("/admin/stages/{id}", act(self.change_stage), methods=["POST"]),
                Route("/admin/stages/{id}/move", act(self.move_stage), methods=["POST"]),
                Route("/admin/stages/{id}/delete", act(self.delete_stage), methods=["POST"])]


__all__ = ["Pipelines"]
