"""Deterministic benchmark data: one realistic company, written through the store.

    python bench/generate.py --database-url sqlite:///bench.db --scale full --out company.json

The company, its users, pipelines, stages and custom fields go through the records
service's door (so they are exactly what the server would make);
the bulk rows (organizations, persons, deals, activities) are inserted with the store's
own tables in large batches, with every column filled the way the records service fills
it. The same seed gives the same rows, ids and Pipeliner ids. The JSON written to
``--out`` holds the credentials and the ids that the workloads need.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from dealbase.domain.entities._common import CURRENT_USER, NEW_UID, NOW
from dealbase.service import Context, Service
from dealbase.settings import Settings
from dealbase.store.codec import slot_value
from dealbase.store.database import Database
from dealbase.store.schema import build_metadata


@dataclass(frozen=True)
class Scale:
    users: int
    pipelines: int
    stages: int  # per pipeline
    organizations: int
    persons: int
    deals: int
    activities: int
    projects: int = 0  # each linked to a deal, its person and organization
    tasks: int = 0  # of the projects


SCALES = {
    "full": Scale(50, 5, 6, 100_000, 300_000, 1_000_000, 2_000_000, 100_000, 500_000),
    "small": Scale(50, 5, 6, 10_000, 30_000, 100_000, 200_000, 10_000, 50_000),
    "tiny": Scale(50, 5, 6, 100, 300, 1_000, 2_000, 100, 500),
}
BATCH = 5_000
BASE_TIME = dt.datetime(2024, 1, 1)
SPAN_SECONDS = 2 * 365 * 24 * 3600
WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Soylent",
         "Cyberdyne", "Tyrell", "Wonka", "Aperture", "Vandelay", "Massive", "Dynamic", "Nordic")
KINDS = ("Ltd", "GmbH", "Inc", "d.o.o.", "S.A.", "AB", "BV", "LLC")
FIRST = ("Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances",
         "Edsger", "Radia", "Guido", "Sophie", "Tim", "Hedy", "John", "Ana", "Ivo")
LAST = ("Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie",
        "Allen", "Dijkstra", "Perlman", "Rossum", "Wilson", "Novak", "Horvat", "Kranjc")
PRODUCTS = ("licence", "support plan", "pilot", "rollout", "renewal", "upgrade", "audit")
SOURCES = ("Web", "Referral", "Event", "Cold call", "Partner")


class Rows:
    """Fills every column of one entity the way the records service's create would."""

    TABLES = build_metadata().tables

    def __init__(self, ctx: Context, entity: str) -> None:
        self.spec = ctx.schema.entity(entity)
        self.table = self.TABLES[self.spec.table]
        self.company_id, self.user_id = ctx.company_id, ctx.user_id

    def row(self, rng: random.Random, stamp: dt.datetime, **values: Any) -> dict[str, Any]:
        row: dict[str, Any] = {"company_id": self.company_id}
        for f in self.spec.columns:
            if f.name == "id":
                continue
            if f.name in values:
                row[f.name] = values[f.name]
            elif f.default is NOW:
                row[f.name] = stamp
            elif f.default is CURRENT_USER:
                row[f.name] = values.get("owner_id", self.user_id)
            elif f.default is NEW_UID:
                row[f.name] = "PY-7FFFFFFF-" + str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
            elif isinstance(f.default, tuple):
                row[f.name] = list(f.default)
            else:
                row[f.name] = f.default
        if self.spec.has_custom_fields:
            custom = row["custom"] = values.get("custom", {})
            for f in self.spec.custom:  # the index slots mirror their fields, as writes do
                if f.slot is not None:
                    row[f.slot] = slot_value(f.kind, custom.get(f.custom_key or ""))
        return row


def _stamp(rng: random.Random) -> dt.datetime:
    return BASE_TIME + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS))


def _insert(db: Database, rows: Rows, count: int, make: Callable[[int], dict[str, Any]],
            progress: Progress, label: str) -> None:
    task = progress.add_task(label, total=count)
    for start in range(0, count, BATCH):
        batch = [make(i) for i in range(start, min(count, start + BATCH))]
        with db.write() as conn:
            conn.execute(rows.table.insert(), batch)
        progress.advance(task, len(batch))


def _ids(db: Database, rows: Rows) -> Iterator[int]:
    with db.read() as conn:
        t = rows.table
        yield from conn.execute(t.select().with_only_columns(t.c.id)
                                .where(t.c.company_id == rows.company_id).order_by(t.c.id)).scalars()


def generate(url: str, scale: Scale, seed: int = 1, *, quiet: bool = False) -> dict[str, Any]:
    db = Database(url)
    db.migrate()
    service = Service(Settings(database_url=db.url), db)
    rng = random.Random(seed)
    company = service.create_company(f"Bench {seed}", "admin@bench.example", "Bench Admin")
    stages: list[int] = []
    stage_pipeline = {}
    with service.unit(service.admin(company.company_id, company.user_id), write=True) as records:
        users = [company.user_id] + [
            records.create("user", {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                                    "email": f"user{i}@bench.example"})["id"]
            for i in range(1, scale.users)
        ]
        for p in range(scale.pipelines):
            pipeline = records.create("pipeline", {"name": f"Pipeline {p + 1}"})
            for s in range(scale.stages):
                stage = records.create("stage", {
                    "name": f"Stage {p + 1}.{s + 1}", "pipeline_id": pipeline["id"],
                    "deal_probability": (s + 1) * 100 // scale.stages})
                stages.append(stage["id"])
                stage_pipeline[stage["id"]] = stage["pipeline_id"]
        source = records.create_field("deal", "Lead source", "enum",
                                      [{"label": s} for s in SOURCES])
        manager = records.create_field("deal", "Account manager", "user")
        months = records.create_field("deal", "Contract months", "double")
        code = records.create_field("deal", "Customer code", "varchar")
        renewal = records.create_field("deal", "Renewal date", "date")
    ctx = service.admin(company.company_id, company.user_id)

    own = Progress(TextColumn("{task.description:<14}"), BarColumn(),
                   TextColumn("{task.completed:>9,}/{task.total:,}"), TimeRemainingColumn(),
                   disable=quiet)
    with own:
        org_rows = Rows(ctx, "organization")
        _insert(db, org_rows, scale.organizations, lambda i: org_rows.row(
            rng, _stamp(rng), name=f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i} {rng.choice(KINDS)}",
            owner_id=rng.choice(users), address=f"{rng.randint(1, 200)} Main Street"),
            own, "organizations")
        org_ids = list(_ids(db, org_rows))
        person_rows = Rows(ctx, "person")

        def person(i: int) -> dict[str, Any]:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            return person_rows.row(
                rng, _stamp(rng), name=f"{first} {last}", first_name=first, last_name=last,
                owner_id=rng.choice(users), organization_id=rng.choice(org_ids),
                emails=[{"value": f"{first.lower()}.{last.lower()}{i}@mail.example",
                         "primary": True, "label": "work"}],
                phones=[{"value": f"+386 {i}", "primary": True, "label": "work"}])

        _insert(db, person_rows, scale.persons, person, own, "persons")
        person_ids = list(_ids(db, person_rows))
        deal_rows = Rows(ctx, "deal")
        histories = Histories(random.Random(f"stage moves {seed}"), stage_pipeline)

        def deal(i: int) -> dict[str, Any]:
            stage_id = rng.choice(stages)
            created = _stamp(rng)
            updated = created + dt.timedelta(seconds=rng.randrange(30 * 24 * 3600))
            status = rng.choices(("open", "won", "lost"), (7, 2, 1))[0]
            closed = updated if status != "open" else None
            owner = rng.choice(users)
            if i % 2 == 0:
                histories.add(i, stage_id, owner, created, closed)
            return deal_rows.row(
                rng, created, title=f"{rng.choice(WORDS)} {rng.choice(PRODUCTS)} {i}",
                value=float(rng.randrange(500, 100_000, 50)), currency="EUR",
                owner_id=owner, creator_id=company.user_id,
                watcher_ids=[rng.choice(users)],
                person_id=rng.choice(person_ids), organization_id=rng.choice(org_ids),
                stage_id=stage_id, pipeline_id=stage_pipeline[stage_id], status=status,
                closed_at=closed, won_at=closed if status == "won" else None,
                first_won_at=closed if status == "won" else None,
                lost_at=closed if status == "lost" else None, updated_at=updated,
                custom={source.key: rng.choice(source.options).id,
                        manager.key: rng.choice(users),
                        months.key: float(rng.choice((6, 12, 24, 36))),
                        code.key: f"C{rng.randrange(100_000):05d}",
                        renewal.key: (created.date() + dt.timedelta(days=365)).isoformat()})

        _insert(db, deal_rows, scale.deals, deal, own, "deals")
        first_deal = next(_ids(db, deal_rows))
        histories.write(db, ctx, first_deal, own)
        first_project = _projects(db, ctx, scale, rng, users, first_deal, own)
        _installments(db, ctx, scale, rng, first_deal, own)
        activity_rows = Rows(ctx, "activity")

        def activity(i: int) -> dict[str, Any]:
            due = _stamp(rng)
            meeting = rng.random() < 0.3
            return activity_rows.row(
                rng, due, subject=f"{'Meet' if meeting else 'Call'} #{i}",
                type="meeting" if meeting else "call", owner_id=rng.choice(users),
                deal_id=first_deal + rng.randrange(scale.deals), due_date=due.date(),
                # one in twenty is a project's too
                project_id=first_project + rng.randrange(scale.projects)
                if scale.projects and i % 20 == 0 else None,
                due_time=due.strftime("%H:%M:00"), duration=60 if meeting else None,
                **({"status": 4, "done_at": due} if rng.random() < 1 / 3 else {"status": 1}))

        _insert(db, activity_rows, scale.activities, activity, own, "activities")
        task = own.add_task("counters", total=1)
        with db.engine.connect() as conn:  # planner statistics of the loaded rows, first
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        service.rederive(ctx)  # the derived fields, as the records service keeps them
        own.advance(task, 1)
        task = own.add_task("search index", total=1)
        service.reindex(ctx)  # the full-text index, as the records service keeps it
        own.advance(task, 1)
    with db.engine.connect() as conn:  # planner statistics for the new rows, as after a load
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    db.dispose()
    return {
        "database_url": url, "seed": seed, "scale": scale.__dict__,
        "company_id": company.company_id, "space_id": company.space_id,
        "api_token": company.api_token, "pipeliner_api_token": company.pipeliner_api_token,
        "pipeliner_api_password": company.pipeliner_api_password,
        "stage_ids": stages, "user_ids": users, "first_deal_id": first_deal,
        "first_project_id": first_project,
        "custom": {"source": source.key, "manager": manager.key, "months": months.key,
                   "code": code.key, "renewal": renewal.key},
        "source_options": [o.id for o in source.options],
    }


class Histories:
    """The stage moves of every second deal whose stage is not its pipeline's first, in
    the change log as the records service writes them: the deal made in its pipeline's
    first stage (a ``create`` row), then moved forward through some of the stages between
    to the one it is in (``update`` rows of ``stage_id``), at times spread over the year
    after it was made (before it was closed, if it was). A random source of its own, so
    that every other row is what it was without the moves."""

    def __init__(self, rng: random.Random, stage_pipeline: dict[int, int]) -> None:
        self.rng = rng
        self.stages: dict[int, list[int]] = {}  # pipeline -> its stages, in order
        for stage, pipeline in stage_pipeline.items():
            self.stages.setdefault(pipeline, []).append(stage)
        self.pipeline_of = stage_pipeline
        # (time, deal number, action, changes, user)
        self.entries: list[tuple[dt.datetime, int, str, dict[str, list[Any]], int]] = []

    def add(self, i: int, stage_id: int, owner: int, created: dt.datetime,
            closed: dt.datetime | None) -> None:
        order = self.stages[self.pipeline_of[stage_id]]
        last = order.index(stage_id)
        if last == 0:
            return
        path = [order[0], *(s for s in order[1:last] if self.rng.random() < 0.5), stage_id]
        span = int(((closed - created) if closed else dt.timedelta(days=365)).total_seconds())
        times = sorted(created + dt.timedelta(seconds=self.rng.randrange(1, max(2, span)))
                       for _ in path[1:])
        self.entries.append((created, i, "create", {"stage_id": [None, path[0]],
                                                    "owner_id": [None, owner]}, owner))
        self.entries += [(at, i, "update", {"stage_id": [before, after]}, owner)
                         for at, before, after in zip(times, path[:-1], path[1:], strict=True)]

    def write(self, db: Database, ctx: Context, first_deal: int, progress: Progress) -> None:
        """The rows, oldest first (so that, as for real writes, seq grows with time)."""
        table = Rows.TABLES["change_log"]
        self.entries.sort(key=lambda e: (e[0], e[1]))
        task = progress.add_task("stage moves", total=len(self.entries))
        for start in range(0, len(self.entries), BATCH):
            batch = [{"company_id": ctx.company_id, "entity": "deal", "record_id": first_deal + i,
                      "action": action, "changes": changes, "user_id": user, "created_at": at}
                     for at, i, action, changes, user in self.entries[start:start + BATCH]]
            with db.write() as conn:
                conn.execute(table.insert(), batch)
            progress.advance(task, len(batch))
        self.entries.clear()


def _projects(db: Database, ctx: Context, scale: Scale, rng: random.Random, users: list[int],
              first_deal: int, progress: Progress) -> int:
    """Projects on the company's board (phases spread), each for a deal and that deal's
    person and organization, and their tasks; the first project's id (0: none)."""
    if not scale.projects:
        return 0
    phase_rows, deal_rows = Rows(ctx, "project_phase"), Rows(ctx, "deal")
    with db.read() as conn:
        t = phase_rows.table
        phases = [tuple(r) for r in conn.execute(t.select().with_only_columns(t.c.id, t.c.board_id)
                                                 .where(t.c.company_id == ctx.company_id))]
        d = deal_rows.table
        deals = {r[0]: (r[1], r[2]) for r in conn.execute(
            d.select().with_only_columns(d.c.id, d.c.person_id, d.c.organization_id)
            .where(d.c.company_id == ctx.company_id, d.c.id < first_deal + scale.projects))}
    project_rows = Rows(ctx, "project")

    def project(i: int) -> dict[str, Any]:
        phase, board = rng.choice(phases)
        deal = first_deal + i
        person, org = deals.get(deal, (None, None))
        created = _stamp(rng)
        return project_rows.row(
            rng, created, title=f"{rng.choice(WORDS)} {rng.choice(PRODUCTS)} delivery {i}",
            board_id=board, phase_id=phase, owner_id=rng.choice(users),
            status=rng.choices(("open", "completed", "canceled"), (7, 2, 1))[0],
            status_changed_at=created, deal_ids=[deal], person_ids=[person] if person else [],
            organization_ids=[org] if org else [], start_date=created.date())

    _insert(db, project_rows, scale.projects, project, progress, "projects")
    first_project = next(_ids(db, project_rows))
    task_rows = Rows(ctx, "task")

    def task(i: int) -> dict[str, Any]:
        done = rng.random() < 0.4
        stamp = _stamp(rng)
        return task_rows.row(
            rng, stamp, title=f"Task {i}", project_id=first_project + i % scale.projects,
            assignee_ids=[rng.choice(users)], is_done=done, done_at=stamp if done else None,
            due_date=(stamp + dt.timedelta(days=14)).date())

    _insert(db, task_rows, scale.tasks, task, progress, "tasks")
    return first_project


# The payments of each installment subscription, by their movement of revenue.
INSTALLMENTS = ("new", "expansion", "churn")


def _installments(db: Database, ctx: Context, scale: Scale, rng: random.Random,
                  first_deal: int, progress: Progress) -> None:
    """An installment subscription (in EUR, its ``INSTALLMENTS`` payments 30 days apart)
    for every tenth deal: the 6th, 16th… (the workloads' deal among them)."""
    count = (scale.deals + 4) // 10
    subscription_rows = Rows(ctx, "subscription")
    _insert(db, subscription_rows, count, lambda i: subscription_rows.row(
        rng, _stamp(rng), deal_id=first_deal + 10 * i + 5, kind="installment", currency="EUR"),
        progress, "subscriptions")
    first = next(_ids(db, subscription_rows))
    payment_rows = Rows(ctx, "subscription_payment")

    def payment(i: int) -> dict[str, Any]:
        k, n = divmod(i, len(INSTALLMENTS))
        start = (BASE_TIME + dt.timedelta(days=k % 700)).date()
        return payment_rows.row(
            rng, _stamp(rng), subscription_id=first + k, deal_id=first_deal + 10 * k + 5,
            amount=100.0 * (n + 1), currency="EUR", due_at=start + dt.timedelta(days=30 * n),
            payment_type="installment", change_amount=100.0, revenue_movement_type=INSTALLMENTS[n])

    _insert(db, payment_rows, count * len(INSTALLMENTS), payment, progress, "installments")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    info = generate(args.database_url, SCALES[args.scale], args.seed)
    args.out.write_text(json.dumps(info, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
