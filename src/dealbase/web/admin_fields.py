"""The custom fields section: per entity, list, add, rename, delete fields and add,
relabel and remove the options of enum and set fields.

Every change is the unit's (``create_field``, ``update_field``, ``add_options``,
``relabel_options``, ``remove_options``, ``delete_fields``): the service checks the
caller is an admin, validates names, types and options, and bumps the company's fields
version, as for ``/dealFields`` and the other ``*Fields`` endpoints.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from ..domain.customfields import FIELD_TYPES, OPTION_TYPES, CustomField
from ..domain.errors import NotFound, invalid
from ..service import Unit
from .admin_base import Section, Shown, path_id, record_ref, text
from .base import Visitor

# entity -> (its words, plural)
ENTITIES = {"deal": "Deals", "person": "People", "organization": "Organizations",
            "product": "Products", "activity": "Activities"}
TYPE_LABELS = {
    "varchar": "Text (up to 255 characters)", "varchar_auto": "Autocomplete text",
    "text": "Large text", "phone": "Phone", "double": "Number", "monetary": "Monetary",
    "enum": "Single option", "set": "Multiple options", "user": "User", "org": "Organization",
    "people": "Person", "date": "Date", "daterange": "Date range", "time": "Time",
    "timerange": "Time range", "address": "Address",
}
MAX_NEW_OPTIONS = 500  # options one form adds at most


def _entity(value: str | None) -> str:
    if value not in ENTITIES:
        raise NotFound("No such kind of record has custom fields")
    return value


def _labels(raw: str) -> list[str]:
    found = [line.strip() for line in raw.replace("\r", "\n").split("\n") if line.strip()]
    if len(found) > MAX_NEW_OPTIONS:
        raise invalid("options", "too many options",
                      text=f"Add at most {MAX_NEW_OPTIONS} options at once.")
    return found


def _page_entity(request: Request) -> str:
    """The entity a page shows: the query's; after a refused action, the form's."""
    if request.method == "POST":
        form = getattr(request.state, "body", None) or {}  # (what ``body_of`` read)
        found = request.path_params.get("entity") or form.get("entity")
        return found if found in ENTITIES else "deal"
    return _entity(request.query_params.get("entity", "deal"))


class Fields(Section):
    name = "fields"
    template = "admin_fields.html"
    what = "change custom fields"

    def view(self, unit: Unit, request: Request) -> dict[str, Any]:
        entity = _page_entity(request)
        return {"entity": entity, "entities": ENTITIES, "fields": unit.fields(entity),
                "types": [(t, TYPE_LABELS.get(t, t)) for t in FIELD_TYPES],
                "type_labels": TYPE_LABELS, "option_types": OPTION_TYPES}

    def back(self, request: Request, form: dict[str, str]) -> str:
        entity = request.path_params.get("entity") or form.get("entity")
        return f"/admin/fields?entity={entity}" if entity in ENTITIES else "/admin/fields"

    @staticmethod
    def _field(unit: Unit, request: Request) -> tuple[str, CustomField]:
        entity = _entity(request.path_params.get("entity"))
        unit.administer(Fields.what)
        return entity, unit.field(entity, field_id=path_id(request))

    async def add(self, request: Request, visitor: Visitor, form: dict[str, str]
                  ) -> Shown | None:
        entity = _entity(form.get("entity"))
        name = text(form, "name", "Name")
        field_type = form.get("field_type", "")
        if field_type not in FIELD_TYPES:
            raise invalid("field_type", "unknown type", text="Choose the field's type.")
        options = _labels(form.get("options", "")) if field_type in OPTION_TYPES else None

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            unit.create_field(entity, name, field_type, options)

        await self.web.write(visitor, work)
        return None

    async def rename(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        name = text(form, "name", "Name")

        def work(unit: Unit) -> None:
            entity, found = self._field(unit, request)
            unit.update_field(entity, found.id, name=name)

        await self.web.write(visitor, work)
        return None

    async def delete(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        def work(unit: Unit) -> None:
            entity, found = self._field(unit, request)
            unit.delete_fields(entity, [found.id])

        await self.web.write(visitor, work)
        return None

    async def add_options(self, request: Request, visitor: Visitor, form: dict[str, str]
                          ) -> Shown | None:
        labels = _labels(form.get("options", ""))
        if not labels:
            raise invalid("options", "give an option", text="Write the option to add.")

        def work(unit: Unit) -> None:
            entity, found = self._field(unit, request)
            unit.add_options(entity, found.key, labels)

        await self.web.write(visitor, work)
        return None

    async def relabel(self, request: Request, visitor: Visitor, form: dict[str, str]
                      ) -> Shown | None:
        option_id = record_ref(form, "option_id", "Option")
        label = text(form, "label", "Label")
        assert option_id is not None

        def work(unit: Unit) -> None:
            entity, found = self._field(unit, request)
            unit.relabel_options(entity, found.key, {option_id: label})

        await self.web.write(visitor, work)
        return None

    async def remove(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        option_id = record_ref(form, "option_id", "Option")
        assert option_id is not None

        def work(unit: Unit) -> None:
            entity, found = self._field(unit, request)
            unit.remove_options(entity, found.key, [option_id])

        await self.web.write(visitor, work)
        return None

    def routes(self) -> list[BaseRoute]:
        page, act = self.web.page, self.act
        one = "/admin/fields/{entity}/{id}"
        return [Route("/admin/fields", page(self.page), methods=["GET"]),
                Route("/admin/fields", act(self.add), methods=["POST"]),
                Route(one, act(self.rename), methods=["POST"]),
                Route(f"{one}/delete", act(self.delete), methods=["POST"]),
                Route(f"{one}/options", act(self.add_options), methods=["POST"]),
                Route(f"{one}/options/relabel", act(self.relabel), methods=["POST"]),
                Route(f"{one}/options/remove", act(self.remove), methods=["POST"])]


__all__ = ["Fields"]
