"""A realistic demo company for newcomers, written through the records service.

Seeding is idempotent by name: when a company of that name exists, nothing is seeded
again; the demo admin's Pipedrive token and Pipeliner token + password are rotated (the
old ones stop working) so that the command always prints working credentials.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..query.ast import Cond, Offset, Query
from ..service import NewCompany, Service, Unit

FIRST = ("Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances",
         "Edsger", "Radia", "Guido", "Sophie", "Tim", "Hedy", "John")
LAST = ("Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton",
        "Ritchie", "Allen", "Dijkstra", "Perlman", "van Rossum", "Wilson", "Berners-Lee")
ORGS = ("Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
        "Soylent", "Cyberdyne", "Tyrell", "Wonka Industries", "Aperture Science")
PRODUCTS = ("licence", "support plan", "pilot", "rollout", "renewal", "upgrade")


@dataclass(frozen=True)
class Demo:
    company: NewCompany
    deals: int
    created: bool = True  # False: the company existed; its credentials were rotated


def seed_demo(service: Service, name: str = "Demo Company", email: str = "admin@demo.example",
              deals: int = 60, seed: int = 7) -> Demo:
    rng = random.Random(seed)
    existing = [c for c in service.companies() if c.name == name.strip()]
    if existing:
        return Demo(_fresh_credentials(service, existing[0].id), _count(service, existing[0].id),
                    created=False)
    company = service.create_company(name, email, "Demo Admin")
    with service.unit(service.admin(company.company_id, company.user_id), write=True) as unit:
        _seed(unit, company, rng, deals)
    return Demo(company, deals)


def _fresh_credentials(service: Service, company_id: int) -> NewCompany:
    """The demo admin's credentials, rotated (one token of each kind, made if missing)."""
    ctx = service.owner(company_id)
    assert ctx.user_id is not None
    mine = {t.kind: t.id for t in reversed(service.tokens(company_id)) if t.user_id == ctx.user_id}
    issued = {kind: service.rotate_token(company_id, mine[kind]) if kind in mine
              else service.create_token(company_id, ctx.user_id, kind)
              for kind in ("pipedrive", "pipeliner")}
    pipeliner = issued["pipeliner"]
    assert pipeliner.password is not None
    return NewCompany(company_id, ctx.space_id or "", ctx.user_id, issued["pipedrive"].token,
                      pipeliner.token, pipeliner.password)


def _count(service: Service, company_id: int) -> int:
    with service.unit(service.owner(company_id)) as unit:
        return unit.count("deal", Cond("is_deleted", "eq", False))


def _seed(records: Unit, company: NewCompany, rng: random.Random, deals: int) -> None:
    source = records.create_field("deal", "Lead source", "enum",
                                  [{"label": s} for s in ("Web", "Referral", "Event", "Cold call")])
    records.create_field("deal", "Contract length (months)", "double")
    sales = records.create("user", {"name": "Sam Seller", "email": "sam@demo.example"})
    stages = records.list("stage", Query(where=Cond("is_deleted", "eq", False),
                                         page=Offset(0, 100))).items
    orgs = [records.create("organization", {"name": n, "address": f"{rng.randint(1, 99)} Main St"})
            for n in ORGS]
    persons = []
    for i in range(len(FIRST)):
        org = orgs[i % len(orgs)]
        first, last = FIRST[i], LAST[i % len(LAST)]
        persons.append(records.create("person", {
            "name": f"{first} {last}", "first_name": first, "last_name": last,
            "organization_id": org["id"],
            "emails": [{"value": f"{first.lower()}@{org['name'].split()[0].lower()}.example",
                        "primary": True, "label": "work"}],
        }))
    for _n in range(deals):
        person = rng.choice(persons)
        status = rng.choices(("open", "won", "lost"), (6, 2, 2))[0]
        values = {
            "title": f"{rng.choice(ORGS)} {rng.choice(PRODUCTS)}",
            "value": float(rng.randrange(500, 50_000, 250)), "currency": "USD",
            "person_id": person["id"], "organization_id": person["organization_id"],
            "stage_id": rng.choice(stages)["id"],
            "owner_id": rng.choice((company.user_id, sales["id"])),
            source.key: rng.choice(source.options).id,
        }
        deal = records.create("deal", values)
        if status != "open":
            records.update("deal", deal["id"], {"status": status})
