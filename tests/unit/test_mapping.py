"""Each Pipedrive view maps its entity's canonical fields one-to-one, or hides them on purpose."""

from __future__ import annotations

import pytest

from dealbase.api.pipedrive.mapping import SPECS, VIEWS, View

ALL_VIEWS = [view for views in VIEWS.values() for view in views.values()]


@pytest.mark.parametrize("view", ALL_VIEWS, ids=[f"{v.version}-{v.path}" for v in ALL_VIEWS])
def test_view_is_a_bijection_over_the_entity(view: View) -> None:
    keys = [a.key for a in view.attrs]
    assert len(keys) == len(set(keys)), "duplicate keys"
    fields = [a.field for a in view.attrs if a.field is not None]
    assert len(fields) == len(set(fields)), "one canonical field under two keys"
    entity = {name for name, spec in SPECS[view.entity].items() if not spec.virtual}
    assert set(fields) <= entity, "a key names a field the entity does not have"
    assert set(fields) | (view.hidden & entity) == entity, "a field is neither mapped nor hidden"
    assert not set(fields) & view.hidden


@pytest.mark.parametrize("view", ALL_VIEWS, ids=[f"{v.version}-{v.path}" for v in ALL_VIEWS])
def test_writable_keys_name_writable_fields(view: View) -> None:
    for key, attr in view.inputs.items():
        if attr.parse is not None:
            continue  # it says itself which fields it writes
        spec = SPECS[view.entity][attr.field or ""]
        assert not spec.readonly or key in ("id",), f"{key} writes read-only {spec.name}"
