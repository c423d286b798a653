"""Generated code equals what it replaces: compiled Pipedrive views give the objects a
walk of the declarations gives (the walk lives here, as the oracle, with its own
spelling of every format), compiled Pipeliner renders give what the codecs read, and
the compiled fetch-by-ids is the SELECT the general compiler makes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from dealbase.api.app import service_of
from dealbase.api.pipedrive.mapping import VIEWS, RenderContext, View
from dealbase.api.pipedrive.present import Presenter
from dealbase.api.pipeliner.codecs import Env
from dealbase.api.pipeliner.collections import COLLECTIONS, INT_IDS, NAMES
from dealbase.domain.customfields import FIELD_TYPES, CustomField
from dealbase.domain.entities import BY_NAME as SPECS
from dealbase.domain.registry import Schema
from dealbase.query.ast import Cond, Keyset, Query, all_of
from dealbase.query.compile import compile_fetch, compile_list
from dealbase.service import Context
from tests.conftest import Tenant, calls


@pytest.fixture
def world(app: Any, tenant: Tenant) -> Context:
    """Every custom field type on deals, persons and organizations, and records using them."""
    api, ctx = calls(app), tenant.ctx
    for entity in ("deal", "person", "organization"):
        for field_type in FIELD_TYPES:
            options = ["One", "Two", "Three"] if field_type in ("enum", "set") else None
            api.create_field(ctx, entity, f"{entity} {field_type}", field_type, options)
    ctx = api.refresh(ctx)
    org = api.create(ctx, "organization", {"name": "Acme", "address": "1 Main St"})
    person = api.create(ctx, "person", {"name": "Ada Lovelace", "organization_id": org["id"],
                                        "emails": [{"value": "ada@x.example", "primary": True,
                                                    "label": "work"}]})
    for n, entity in enumerate(("deal", "person", "organization")):
        base = {"deal": {"title": "Big", "person_id": person["id"], "organization_id": org["id"],
                         "value": 1234.5, "currency": "EUR", "status": "won"},
                "person": {"name": "Grace Hopper", "organization_id": org["id"]},
                "organization": {"name": "Initech"}}[entity]
        values: dict[str, Any] = {}
        special = {"enum": 2, "set": [1, 3], "user": ctx.user_id, "org": org["id"],
                   "people": person["id"]}
        by_kind = {"float": 12.5, "text": f"text {n}", "date": "2024-02-29", "time": "10:30:00"}
        for cf in ctx.schema.custom_of(entity):
            kind = FIELD_TYPES[cf.field_type][0].value
            values[cf.key] = special[cf.field_type] if cf.field_type in special else by_kind[kind]
            for suffix, sub in FIELD_TYPES[cf.field_type][2]:
                values[f"{cf.key}_{suffix}"] = {"text": "x", "date": "2024-03-01", "time": "11:00:00",
                                                 "int": 1}[sub.value]
        api.create(ctx, entity, {**base, **values})
        api.create(ctx, entity, dict(base))  # and one with every custom value empty
    deal = api.list(ctx, "deal", Query(page=Keyset(None, 1))).items[0]
    label = api.create(ctx, "lead_label", {"name": "Hot", "color": "red"})
    lead = api.create(ctx, "lead", {"title": "Maybe", "person_id": person["id"],
                                    "label_ids": [label["id"]], "value": 5.0, "currency": "EUR"})
    api.create(ctx, "lead", {"title": "Bare", "organization_id": org["id"]})
    for kind, when in (("call", {"due_date": "2024-05-01"}),
                       ("meeting", {"due_date": "2024-05-02", "due_time": "09:30:00",
                                    "duration": 45})):
        api.create(ctx, "activity", {"subject": f"A {kind}", "type": kind,
                                     "deal_id": deal["id"], **when})
    note = api.create(ctx, "note", {"content": "Remember", "deal_id": deal["id"]})
    api.create(ctx, "note", {"content": "Lead note", "lead_id": lead["id"]})
    api.create(ctx, "note_comment", {"content": "Indeed", "note_id": note["id"]})
    api.create(ctx, "deal_discount", {"deal_id": deal["id"], "description": "Loyal",
                                      "amount": 5, "type": "percentage"})
    api.create(ctx, "product", {"name": "Widget", "code": "W-1"})
    board = api.list(ctx, "project_board", Query(page=Keyset(None, 1))).items[0]
    api.create(ctx, "project_template", {"title": "Onboarding", "board_id": board["id"]})
    project = api.create(ctx, "project", {"title": "Roll-out", "deal_ids": [deal["id"]],
                                          "person_ids": [person["id"]],
                                          "organization_ids": [org["id"]],
                                          "start_date": "2024-06-01"})
    api.create(ctx, "project", {"title": "Bare"})
    api.create(ctx, "task", {"title": "Kick-off", "project_id": project["id"],
                             "assignee_ids": [ctx.user_id], "is_done": True})
    return ctx


# ---- the oracle: a walk over the declarations, formats spelled out again -----------------

def _format(value: Any, version: str, style: str) -> Any:
    if value is not None and style == "hhmm":
        return value[:5]
    if value is not None and style == "minutes":
        hours, minutes = divmod(value, 60)
        return f"{hours:02d}:{minutes:02d}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if version == "v1" else "%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if style == "str" and value is not None:
        return f"{value}"
    return value


def _custom_v1(cf: CustomField, record: dict[str, Any]) -> dict[str, Any]:
    value = record.get(cf.key)
    if value is not None and cf.field_type == "enum":
        value = f"{value}"
    elif value is not None and cf.field_type == "set":
        value = ",".join(f"{v}" for v in value)
    out = {cf.key: _format(value, "v1", "")}
    for suffix, _ in FIELD_TYPES[cf.field_type][2]:
        out[f"{cf.key}_{suffix}"] = _format(record.get(f"{cf.key}_{suffix}"), "v1", "")
    return out


def _custom_v2(cf: CustomField, record: dict[str, Any], labels: bool) -> Any:
    value = _format(record.get(cf.key), "v2", "")
    if labels and value is not None and cf.field_type in ("enum", "set"):
        names = {o.id: o.label for o in cf.options}
        value = ({"id": value, "label": names.get(value)} if cf.field_type == "enum"
                 else [{"id": v, "label": names.get(v)} for v in value])
    suffixes = [s for s, _ in FIELD_TYPES[cf.field_type][2]]
    if not suffixes:
        return value
    subs = {s: _format(record.get(f"{cf.key}_{s}"), "v2", "") for s in suffixes}
    if value is None and all(v is None for v in subs.values()):
        return None
    return {"value": value, **subs}


def walk(view: View, schema: Schema, record: dict[str, Any], rc: RenderContext, *,
         include: frozenset[str] = frozenset(), custom_keys: list[str] | None = None,
         option_labels: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in view.attrs:
        if attr.opt_in and attr.key not in include:
            continue
        if attr.compute is not None:
            value = attr.compute(record, rc)
        else:
            value = _format(record.get(attr.field or ""), view.version, attr.style)
        if value is None and (view.omit_nulls or attr.key in view.omit_null):
            continue
        out[attr.key] = value
    if view.has_custom:
        fields = schema.custom_of(view.entity)
        if custom_keys is not None:
            fields = tuple(f for f in fields if f.key in custom_keys)
        if view.version == "v1":
            for cf in fields:
                out.update((k, v) for k, v in _custom_v1(cf, record).items()
                           if v is not None or not view.omit_nulls)
        else:
            out["custom_fields"] = {cf.key: _custom_v2(cf, record, option_labels) for cf in fields}
    return out


@pytest.mark.parametrize("version, path", [(v, p) for v, views in VIEWS.items() for p in views])
def test_compiled_views_equal_the_walk(app: Any, world: Context, version: str, path: str) -> None:
    service, ctx, presenter = service_of(app), world, Presenter()
    view = VIEWS[version][path]
    with service.unit(ctx) as unit:
        items = unit.list(view.entity, Query(page=Keyset(None, 100))).items
        assert items
        rc = presenter.load(unit, view, items, {"id": ctx.company_id, "name": "Acme"})
    options: list[dict[str, Any]] = [{}]
    if version == "v2":
        keys = [cf.key for cf in ctx.schema.custom_of(view.entity)][:3]
        options += [{"include": view.opt_in_keys}, {"custom_keys": keys},
                    {"option_labels": True}, {"include": view.opt_in_keys, "option_labels": True}]
    for opts in options:
        for record in items:  # compared as JSON: True and 1 are not the same on the wire
            walked = walk(view, ctx.schema, record, rc, **opts)
            compiled = presenter.one(view, ctx.schema, record, rc, **opts)
            assert _json(compiled) == _json(walked), opts


@pytest.mark.parametrize("name", [c.name for c in COLLECTIONS])
def test_compiled_pipeliner_renders_equal_the_codecs(app: Any, world: Context, name: str) -> None:
    service, ctx = service_of(app), world
    coll = next(c for c in COLLECTIONS if c.name == name)
    with service.unit(ctx) as unit:
        items = unit.list(coll.entity, Query(where=coll.scope, page=Keyset(None, 100))).items
        env = Env(unit.ids, unit.uids, NAMES, INT_IDS)
        cols = coll.cols(ctx.schema)
        compiled = coll.render(items, env, cols, ctx.schema)
        by_codec = [{c.key: c.codec.read(r, env) for c in cols} for r in items]
        assert items and _json(compiled) == _json(by_codec)
        chosen = cols[::3]  # a loadonly choice: its own compiled renderer
        assert _json(coll.render(items, env, chosen, ctx.schema)) == _json(
            [{c.key: c.codec.read(r, env) for c in chosen} for r in items])


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("ids", [[7], [3, 9, 12], list(range(1, 41))])
@pytest.mark.parametrize("live_only", [False, True])
@pytest.mark.parametrize("fields", [None, ("uid",), ("title", "value")])
def test_compiled_fetch_is_the_general_select(backend: str, ids: list[int], live_only: bool,
                                              fields: tuple[str, ...] | None) -> None:
    spec = SPECS["deal"]
    fetch = compile_fetch(spec, ids, 5, backend, live_only=live_only, fields=fields)
    general = compile_list(Query(where=all_of(Cond("id", "in", ids),
                                              Cond("is_deleted", "eq", False) if live_only else None),
                                 page=Keyset(None, len(ids)), fields=fields), spec, 5, backend)
    assert (fetch.sql, fetch.params, fetch.columns) == (general.sql, general.params, general.columns)
    assert fetch.sql.count("?" if backend == "sqlite" else "%s") == len(fetch.params)
