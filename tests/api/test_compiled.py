"""Generated code equals what it replaces: compiled Pipedrive views give the objects the
walking renderer gives, compiled Pipeliner renders give what the codecs read, and the
compiled fetch-by-ids is the SELECT the general compiler makes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from dealbase.api.pipedrive.mapping import VIEWS
from dealbase.api.pipeliner.codecs import Env
from dealbase.api.pipeliner.collections import COLLECTIONS, _renderer
from dealbase.domain.customfields import FIELD_TYPES
from dealbase.domain.entities import ENTITIES
from dealbase.query.ast import Cond, Keyset, Query, all_of
from dealbase.query.compile import compile_fetch, compile_list
from dealbase.service import Context
from tests.conftest import Tenant, calls

SPECS = {e.name: e for e in ENTITIES}


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
    api.create(ctx, "lead", {"title": "Maybe", "person_id": person["id"]})
    for kind, when in (("call", {"due_date": "2024-05-01"}),
                       ("meeting", {"due_date": "2024-05-02", "due_time": "09:30:00",
                                    "duration": 45})):
        api.create(ctx, "activity", {"subject": f"A {kind}", "type": kind,
                                             "deal_id": deal["id"], **when})
    api.create(ctx, "note", {"content": "Remember", "deal_id": deal["id"]})
    api.create(ctx, "product", {"name": "Widget", "code": "W-1"})
    return ctx


@pytest.mark.parametrize("version, path", [(v, p) for v, views in VIEWS.items() for p in views])
def test_compiled_views_equal_the_walk(app: Any, world: Context, version: str, path: str) -> None:
    api, ctx = calls(app), world
    view = VIEWS[version][path]
    items = api.list(ctx, view.entity, Query(page=Keyset(None, 100))).items
    assert items
    rc = api.presenter.load(ctx, view, items, {"id": ctx.company_id, "name": "Acme"})
    options: list[dict[str, Any]] = [{}]
    if version == "v2":
        keys = [cf.key for cf in ctx.schema.custom_of(view.entity)][:3]
        options += [{"include": view.opt_in_keys}, {"custom_keys": keys},
                    {"option_labels": True}, {"include": view.opt_in_keys, "option_labels": True}]
    for opts in options:
        for record in items:  # compared as JSON: True and 1 are not the same on the wire
            walked = api.presenter.walk(view, ctx.schema, record, rc, **opts)
            compiled = api.presenter.one(view, ctx.schema, record, rc, **opts)
            assert _json(compiled) == _json(walked), opts


@pytest.mark.parametrize("name", [c.name for c in COLLECTIONS])
def test_compiled_pipeliner_renders_equal_the_codecs(app: Any, world: Context, name: str) -> None:
    api, ctx = calls(app), world
    coll = next(c for c in COLLECTIONS if c.name == name)
    with api.db.tx() as tx:
        items = api._list(tx, ctx, coll.entity, Query(where=coll.scope,
                                                               page=Keyset(None, 100))).items
        env = Env(lambda e, uids: api._ids(tx, ctx, e, uids),
                  lambda e, ids: api._uids(tx, ctx, e, ids))
        cols = coll.cols(ctx.schema)
        compiled = coll.render(items, env, cols, ctx.schema)
        by_codec = [{c.key: c.codec.read(r, env) for c in cols} for r in items]
    assert items and _json(compiled) == _json(by_codec)
    assert _json(_renderer(cols)(items[0], env)) == _json(by_codec[0])


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
