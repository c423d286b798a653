"""The whole-company recomputation of derived fields (``Service.rederive``: one set-based
UPDATE per parent and child) gives exactly what the records service keeps write by
write, on both backends, and leaves other companies alone."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import text

from dealbase.domain.types import Kind
from tests.conftest import Tenant


def _derived(tenant: Tenant) -> dict[str, tuple[str, ...]]:
    """Parent entity -> its derived fields."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in tenant.ctx.schema.entities.values():
        names = tuple(f.name for f in spec.columns if f.derived is not None)
        if names:
            out[spec.name] = names
    return out


def _snapshot(tenant: Tenant, derived: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    service = tenant.records.service
    out: dict[str, Any] = {}
    with service.database.engine.connect() as conn:
        for entity, names in derived.items():
            table = tenant.ctx.schema.entity(entity).table
            rows = conn.execute(text(
                f"SELECT id, {', '.join(names)} FROM {table} WHERE company_id = :c ORDER BY id"),
                {"c": tenant.company.company_id}).all()
            out[entity] = [tuple(r) for r in rows]
    return out


def _scramble(tenant: Tenant, derived: dict[str, tuple[str, ...]]) -> None:
    """Wrong values in every derived column (as rows loaded around the service have)."""
    service = tenant.records.service
    with service.database.engine.begin() as conn:
        for entity, names in derived.items():
            spec = tenant.ctx.schema.entity(entity)
            sets = ", ".join(f"{n} = {'7' if spec.field(n).kind is Kind.INT else 'NULL'}"
                             for n in names)
            conn.execute(text(f"UPDATE {spec.table} SET {sets} WHERE company_id = :c"),
                         {"c": tenant.company.company_id})


def test_rederive_equals_what_writes_keep(tenant: Tenant, other: Tenant) -> None:
    rng = random.Random(7)
    direct = tenant.records
    orgs = [direct.create("organization", {"name": f"O{n}"})["id"] for n in range(4)]
    persons = [direct.create("person", {"name": f"P{n}", "organization_id": rng.choice(orgs)})["id"]
               for n in range(6)]
    deals = []
    for n in range(12):
        deal = direct.create("deal", {"title": f"D{n}", "person_id": rng.choice(persons),
                                      "organization_id": rng.choice(orgs)})["id"]
        deals.append(deal)
        if n % 3 == 0:
            direct.update("deal", deal, {"status": rng.choice(("won", "lost"))})
    base = dt.date(2030, 1, 1)
    for n in range(40):
        activity = direct.create("activity", {
            "subject": f"A{n}", "type": "call", "deal_id": rng.choice(deals),
            "person_id": rng.choice(persons), "organization_id": rng.choice(orgs),
            "due_date": (base + dt.timedelta(days=rng.randrange(30))).isoformat(),
            "due_time": rng.choice((None, "09:00", "17:30"))})["id"]
        if n % 4 == 0:
            direct.update("activity", activity, {"done": True})
        if n % 9 == 0:
            direct.delete("activity", [activity])
    for n in range(10):
        note = direct.create("note", {"content": f"N{n}", "deal_id": rng.choice(deals),
                                      "person_id": rng.choice(persons)})["id"]
        if n % 5 == 0:
            direct.delete("note", [note])
    for n, deal in enumerate(deals[:4]):  # subscriptions: sums (lifetime value, MRR…)
        subscription = direct.create("subscription", {
            "deal_id": deal, "kind": "recurring", "currency": "EUR", "cadence_type": "monthly",
            "cycle_amount": 10.0 * (n + 1), "cycles_count": 3, "start_date": "2030-01-31"})["id"]
        for m in range(3):
            direct.create("subscription_payment", {
                "subscription_id": subscription, "deal_id": deal, "amount": 10.0 * (n + 1),
                "currency": "EUR", "due_at": f"2030-0{m + 1}-15", "payment_type": "recurring"})
        if n == 3:
            direct.update("subscription", subscription, {"is_active": False})
    direct.delete("deal", [deals[-1]])
    other.records.create("deal", {"title": "theirs"})  # another company, untouched

    derived = _derived(tenant)
    assert {"deal", "person", "organization"} <= set(derived)
    kept = _snapshot(tenant, derived)
    theirs = _snapshot(other, _derived(other))
    _scramble(tenant, derived)
    assert _snapshot(tenant, derived) != kept
    direct.service.rederive(direct.ctx)
    assert _snapshot(tenant, derived) == kept
    assert _snapshot(other, _derived(other)) == theirs


def _index_rows(tenant: Tenant) -> list[tuple[Any, ...]]:
    service = tenant.records.service
    key = "rowid" if service.database.backend == "sqlite" else "key"
    with service.database.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {key}, words FROM search_index WHERE company_id = :c ORDER BY 1"),
            {"c": tenant.company.company_id}).all()]


def test_reindex_equals_what_writes_keep(tenant: Tenant, other: Tenant) -> None:
    direct = tenant.records
    field = direct.create_field("person", "Nickname", "varchar")
    org = direct.create("organization", {"name": "Crème Ltd", "address": "Main St 1"})["id"]
    ada = direct.create("person", {"name": "Ada", "organization_id": org, field.key: "Countess",
                                   "emails": [{"value": "ada@x.example", "primary": True}]})["id"]
    deal = direct.create("deal", {"title": "Engine", "person_id": ada})["id"]
    direct.update("deal", deal, {"title": "Analytical engine"})
    gone = direct.create("deal", {"title": "Gone"})["id"]
    direct.delete("deal", [gone])
    direct.create("note", {"content": "<b>punch</b> cards", "deal_id": deal})
    direct.create("product", {"name": "Gear", "code": "G-1"})
    other.records.create("deal", {"title": "theirs"})
    kept, theirs = _index_rows(tenant), _index_rows(other)
    assert len(kept) >= 8
    service = direct.service
    with service.database.engine.begin() as conn:  # a damaged index
        conn.execute(text("DELETE FROM search_index WHERE company_id = :c"),
                     {"c": tenant.company.company_id})
    assert _index_rows(tenant) == []
    service.reindex(direct.ctx)
    assert _index_rows(tenant) == kept
    assert _index_rows(other) == theirs
