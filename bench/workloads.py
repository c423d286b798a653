"""The workloads, declared once: what each sends, how deep pages are reached, what it is
weighed against.

A workload is a cycle of HTTP requests (``Req``) that the load generator repeats; the
in-process floor replays the SQL that the same requests ran. Deep pages are reached the
way each dialect's clients reach them (``reach``): a v2 client follows ``next_cursor``,
a v1 client walks ``start`` page by page, a Pipeliner client walks ``offset``; the walk
runs once before the measurement, in the process that is then measured.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

PAGE = 100


@dataclass(frozen=True)
class Req:
    method: str
    path: str  # with its query string
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


Send = Callable[[Req], tuple[int, Mapping[str, str], bytes]]


@dataclass(frozen=True)
class Company:
    """The generated company as the workloads address it (see ``resolve``)."""

    space: str
    pipedrive: Mapping[str, str]  # auth headers
    pipeliner: Mapping[str, str]
    stage_id: int
    stage_uid: str
    deal_id: int
    deal_uid: str
    owner_id: int  # a user (Client) that owns deals and manages deals
    manager_key: str  # the deals' "Account manager" custom field (a user field)
    depth: int  # the deep page's first row: 50,000 at full scale
    person_id: int  # a contact and an organization that new deals are made for
    person_uid: str
    org_id: int
    org_uid: str
    write_stage_id: int  # where new deals go: another stage than the one lists read
    write_stage_uid: str
    search_term: str  # matches a few dozen deals and persons (``search_term``)
    filter_id: int  # a saved deal filter: the stage, and the account manager is ``owner_id``
    project_id: int = 0  # a project with tasks (and a few activities)
    pipeline_id: int = 0  # the pipeline of ``stage_id`` (its statistics)
    goal_id: str = ""  # a goal: the owner's deals moved into ``stage_id`` in 2024
    # Pipedrive auth headers of a user who is not an admin (``owner_id``): what they read
    # goes through visibility (their role, the records' ``visible_to``)
    user: Mapping[str, str] = field(default_factory=dict)
    # The web app: the admin's session (its Cookie and X-CSRF-Token headers), the pipeline
    # of the stage with the most deals (its board), and a deal of that stage that the card
    # moves carry back and forth between it and the next stage.
    web: Mapping[str, str] = field(default_factory=dict)
    board_pipeline_id: int = 0
    move_deal_id: int = 0
    move_stage_ids: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Workload:
    name: str
    dialect: str  # v1, v2, pipeliner, web
    requests: Callable[[Company], tuple[Req, ...]]
    # Deep pages: walks to the page and returns the request for it.
    reach: Callable[[Company, Send], Req] | None = None
    # Lua walkers (``loadgen.WALKERS``): every connection walks from row 0 to ``depth``.
    walker: str | None = None
    items: int = 1  # records per request (setEntities)
    writes: bool = False


def _q(path: str, **params: Any) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _pl(c: Company, tail: str) -> str:
    return f"/rest_services/v1/{c.space}/{tail}"


def _get(headers: Callable[[Company], Mapping[str, str]], path: Callable[[Company], str]
         ) -> Callable[[Company], tuple[Req, ...]]:
    return lambda c: (Req("GET", path(c), headers(c)),)


def _pd(c: Company) -> Mapping[str, str]:
    return c.pipedrive


def _user(c: Company) -> Mapping[str, str]:
    return c.user


def _plh(c: Company) -> Mapping[str, str]:
    return c.pipeliner


def _post(c: Company, headers: Mapping[str, str], path: str, body: Any) -> Req:
    return Req("POST", path, {**headers, "Content-Type": "application/json"}, _json(body))


# ---- the list every dialect serves: 100 open deals of one stage, latest update first ----

def v1_stage(c: Company) -> str:
    return _q("/v1/deals", stage_id=c.stage_id, status="open", sort="update_time DESC",
              limit=PAGE)


def v2_stage(c: Company) -> str:
    return _q("/api/v2/deals", stage_id=c.stage_id, status="open", sort_by="update_time",
              sort_direction="desc", limit=PAGE)


def pl_stage(c: Company, prefix: str = "") -> str:
    return prefix + _q(_pl(c, "Opportunities"), filter=f"STAGE::{c.stage_uid}|STATUS::open",
                       sort="-MODIFIED", limit=PAGE)


# ---- all deals, latest update first: page 1 and the page at row ``depth`` ----------------

def v1_all(c: Company, start: int = 0) -> str:
    return _q("/v1/deals", sort="update_time DESC", limit=PAGE, **({"start": start} if start else {}))


def v2_all(c: Company, cursor: str | None = None) -> str:
    return _q("/api/v2/deals", sort_by="update_time", sort_direction="desc", limit=PAGE,
              **({"cursor": cursor} if cursor else {}))


def pl_all(c: Company, offset: int = 0) -> str:
    return _q(_pl(c, "Opportunities"), sort="-MODIFIED", limit=PAGE,
              **({"offset": offset} if offset else {}))


def _ok(status: int, what: str) -> None:
    if status >= 300:
        raise RuntimeError(f"{what}: HTTP {status}")


def reach_v1(c: Company, send: Send) -> Req:
    start = 0
    while start < c.depth:
        status, _, body = send(Req("GET", v1_all(c, start), c.pipedrive))
        _ok(status, "v1 walk")
        start = json.loads(body)["additional_data"]["pagination"]["next_start"]
    return Req("GET", v1_all(c, start), c.pipedrive)


def reach_v2(c: Company, send: Send) -> Req:
    cursor, row = None, 0
    while row < c.depth:
        status, _, body = send(Req("GET", v2_all(c, cursor), c.pipedrive))
        _ok(status, "v2 walk")
        cursor, row = json.loads(body)["additional_data"]["next_cursor"], row + PAGE
    return Req("GET", v2_all(c, cursor), c.pipedrive)


def reach_pipeliner(c: Company, send: Send) -> Req:
    offset = 0
    while offset < c.depth:
        status, headers, _ = send(Req("GET", pl_all(c, offset), c.pipeliner))
        _ok(status, "Pipeliner walk")
        offset = int(headers["content-range"].split(" ")[1].split("/")[0].split("-")[1]) + 1
    return Req("GET", pl_all(c, offset), c.pipeliner)


# ---- activities (2,000,000 at full scale) ------------------------------------------------

def v1_deal_activities(c: Company) -> str:
    return _q(f"/v1/deals/{c.deal_id}/activities", limit=PAGE)


def v2_deal_activities(c: Company) -> str:
    return _q("/api/v2/activities", deal_id=c.deal_id, limit=PAGE)


def pl_deal_activities(c: Company) -> str:
    return _q(_pl(c, "Activities"), filter=f"OPPTY_ID::{c.deal_uid}", limit=PAGE)


def v1_undone(c: Company) -> str:
    return _q("/v1/activities", user_id=c.owner_id, done=0, sort="due_date ASC", limit=PAGE)


def v2_undone(c: Company) -> str:
    return _q("/api/v2/activities", owner_id=c.owner_id, done="false", sort_by="due_date",
              limit=PAGE)


def pl_undone(c: Company) -> str:
    return _q(_pl(c, "Activities"), filter=f"OWNER_ID::{c.owner_id}|STATUS::4::ne",
              sort="DUE_DATE", limit=PAGE)


# ---- a pipeline's statistics (seed 002) ----------------------------------------------------

def v1_movement_statistics(c: Company) -> str:
    """A quarter of the generated years, the deals of one owner in one pipeline."""
    return _q(f"/v1/pipelines/{c.pipeline_id}/movement_statistics", start_date="2024-04-01",
              end_date="2024-06-30", user_id=c.owner_id)


def v1_conversion_statistics(c: Company) -> str:
    return _q(f"/v1/pipelines/{c.pipeline_id}/conversion_statistics", start_date="2024-04-01",
              end_date="2024-06-30", user_id=c.owner_id)


def v1_goal_results(c: Company) -> str:
    """A quarter of a goal's progress: the owner's deals moved into one stage (the change
    log), as the movement statistics read them."""
    return _q(f"/v1/goals/{c.goal_id}/results", **{"period.start": "2024-04-01",
                                                  "period.end": "2024-06-30"})


# ---- subscriptions: a deal's payments (seed 004), installments of 100 deals (v2) -----------

def v2_installments(c: Company) -> str:
    """The installments of 100 deals from the workloads' deal on (every tenth has three)."""
    return _q("/api/v2/deals/installments", limit=PAGE,
              deal_ids=",".join(str(c.deal_id + n) for n in range(PAGE)))


def reach_payments(c: Company, send: Send) -> Req:
    """The payments of the workloads' deal's subscription (found by its deal first)."""
    status, _, body = send(Req("GET", f"/v1/subscriptions/find/{c.deal_id}", c.pipedrive))
    _ok(status, "the deal's subscription")
    return Req("GET", f"/v1/subscriptions/{json.loads(body)['data']['id']}/payments",
               c.pipedrive)


# ---- a saved filter, and the same narrowing by query parameters --------------------------

def v1_saved_filter(c: Company) -> str:
    return _q("/v1/deals", filter_id=c.filter_id, sort="update_time DESC", limit=PAGE)


def v1_by_parameters(c: Company) -> str:
    return _q("/v1/deals", stage_id=c.stage_id, user_id=c.owner_id, sort="update_time DESC",
              limit=PAGE)


def v2_saved_filter(c: Company) -> str:
    return _q("/api/v2/deals", filter_id=c.filter_id, limit=PAGE)


def v2_by_parameters(c: Company) -> str:
    return _q("/api/v2/deals", stage_id=c.stage_id, owner_id=c.owner_id, limit=PAGE)


# ---- search (1,000,000 deals and 300,000 persons at full scale) ----------------------------

def search_term(deals: int) -> str:
    """A term that begins about a dozen deals' titles and persons' phone numbers (the
    generator writes the row's number into both): the first digits of 12345…, two fewer
    than the number of deals has, so that it begins ``t`` and ``t0``…``t9``."""
    return "1234567890"[:max(1, len(str(deals)) - 2)]


def v1_search(c: Company) -> str:
    return _q("/v1/itemSearch", term=c.search_term, item_types="deal,person", limit=PAGE)


def v2_search(c: Company) -> str:
    return _q("/api/v2/itemSearch", term=c.search_term, item_types="deal,person", limit=PAGE)


# ---- writes ------------------------------------------------------------------------------

# New deals look like the generated ones (a contact, an organization, an owner, the
# account manager), so that lists read after writes stay like lists read before.

def v1_create(c: Company) -> Req:
    return _post(c, c.pipedrive, "/v1/deals", {
        "title": "Bench deal", "value": 1200, "currency": "EUR", "stage_id": c.write_stage_id,
        "user_id": c.owner_id, "person_id": c.person_id, "org_id": c.org_id,
        c.manager_key: c.owner_id})


def v2_create(c: Company) -> Req:
    return _post(c, c.pipedrive, "/api/v2/deals", {
        "title": "Bench deal", "value": 1200, "currency": "EUR", "stage_id": c.write_stage_id,
        "owner_id": c.owner_id, "person_id": c.person_id, "org_id": c.org_id,
        "custom_fields": {c.manager_key: c.owner_id}})


def pl_deal(c: Company, n: int = 0) -> dict[str, Any]:
    return {"OPPORTUNITY_NAME": f"Bench deal {n}", "OPPORTUNITY_VALUE": 1200 + n,
            "CURRENCY_ID": "EUR", "STAGE": c.write_stage_uid, "OWNER_ID": c.owner_id,
            "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": c.org_uid, "IS_PRIMARY": 1}],
            "CONTACT_RELATIONS": [{"CONTACT_ID": c.person_uid, "IS_PRIMARY": 1}],
            c.manager_key: c.owner_id}


def pl_create(c: Company) -> Req:
    return _post(c, c.pipeliner, _pl(c, "Opportunities"), pl_deal(c))


def pl_batch(c: Company) -> Req:
    return _post(c, c.pipeliner, _q(_pl(c, "setEntities"), entityName="Opportunity"),
                 [pl_deal(c, n) for n in range(1000)])


def v2_update(c: Company) -> Req:
    return Req("PATCH", f"/api/v2/deals/{c.deal_id}",
               {**c.pipedrive, "Content-Type": "application/json"},
               _json({"title": "Bench deal (renamed)", "value": 1500}))


# ---- the web app: the pipeline board ------------------------------------------------------

def web_board(c: Company) -> str:
    """The board of the pipeline whose stage holds the most deals (its first paint)."""
    return _q("/board", pipeline=c.board_pipeline_id)


def web_board_totals(c: Company) -> str:
    """That board's column totals (the page asks for them once its cards are painted)."""
    return _q("/board/totals", pipeline=c.board_pipeline_id)


def web_moves(c: Company) -> tuple[Req, ...]:
    """A card moved to the next stage and back (each answer: the card and both columns'
    totals)."""
    return tuple(Req("POST", f"/deals/{c.move_deal_id}/move",
                     {**c.web, "Content-Type": "application/json", "Accept": "application/json"},
                     _json({"stage_id": stage}))
                 for stage in (c.move_stage_ids[1], c.move_stage_ids[0]))


def mixed(c: Company) -> tuple[Req, ...]:
    """Eight reads to two writes, across the dialects."""
    return (Req("GET", v2_stage(c), c.pipedrive), Req("GET", f"/api/v2/deals/{c.deal_id}", c.pipedrive),
            Req("GET", v1_stage(c), c.pipedrive), Req("GET", f"/v1/deals/{c.deal_id}", c.pipedrive),
            v2_create(c), Req("GET", pl_stage(c), c.pipeliner),
            Req("GET", _pl(c, f"Opportunities/{c.deal_uid}"), c.pipeliner),
            Req("GET", v2_all(c), c.pipedrive), v2_update(c),
            Req("GET", f"/api/v2/deals/{c.deal_id}", c.pipedrive))


WORKLOADS: tuple[Workload, ...] = (
    Workload("list 100 · v1", "v1", _get(_pd, v1_stage)),
    Workload("list 100 · v2", "v2", _get(_pd, v2_stage)),
    Workload("list 100 · pipeliner", "pipeliner", _get(_plh, pl_stage)),
    Workload("list 100 without total · pipeliner", "pipeliner",
             _get(_plh, lambda c: pl_stage(c, "/bench/no-total"))),
    # The same list and get read by a user who is not an admin: the cost of visibility.
    Workload("list 100 as a user · v2", "v2", _get(_user, v2_stage)),
    Workload("get as a user · v2", "v2", _get(_user, lambda c: f"/api/v2/deals/{c.deal_id}")),
    Workload("get · v1", "v1", _get(_pd, lambda c: f"/v1/deals/{c.deal_id}")),
    Workload("get · v2", "v2", _get(_pd, lambda c: f"/api/v2/deals/{c.deal_id}")),
    Workload("get · pipeliner", "pipeliner",
             _get(_plh, lambda c: _pl(c, f"Opportunities/{c.deal_uid}"))),
    Workload("page 1 · v1", "v1", _get(_pd, v1_all)),
    Workload("page at depth · v1", "v1", _get(_pd, v1_all), reach=reach_v1),
    Workload("walk to depth · v1", "v1", _get(_pd, v1_all), walker="v1"),
    Workload("page 1 · v2", "v2", _get(_pd, v2_all)),
    Workload("page at depth · v2", "v2", _get(_pd, v2_all), reach=reach_v2),
    Workload("page 1 · pipeliner", "pipeliner", _get(_plh, pl_all)),
    Workload("page at depth · pipeliner", "pipeliner", _get(_plh, pl_all),
             reach=reach_pipeliner),
    Workload("walk to depth · pipeliner", "pipeliner", _get(_plh, pl_all), walker="pipeliner"),
    Workload("filter native column · pipeliner", "pipeliner", _get(_plh, lambda c: _q(
        _pl(c, "Opportunities"), filter=f"OWNER_ID::{c.owner_id}", limit=PAGE))),
    Workload("filter custom field · pipeliner", "pipeliner", _get(_plh, lambda c: _q(
        _pl(c, "Opportunities"), filter=f"{c.manager_key}::{c.owner_id}", limit=PAGE))),
    Workload("a deal's activities · v1", "v1", _get(_pd, v1_deal_activities)),
    Workload("a deal's activities · v2", "v2", _get(_pd, v2_deal_activities)),
    Workload("a deal's activities · pipeliner", "pipeliner", _get(_plh, pl_deal_activities)),
    Workload("a deal's followers · v1", "v1", _get(_pd, lambda c: f"/v1/deals/{c.deal_id}/followers")),
    Workload("a deal's followers · v2", "v2",
             _get(_pd, lambda c: f"/api/v2/deals/{c.deal_id}/followers")),
    Workload("movement statistics · v1", "v1", _get(_pd, v1_movement_statistics)),
    Workload("conversion statistics · v1", "v1", _get(_pd, v1_conversion_statistics)),
    Workload("goal results · v1", "v1", _get(_pd, v1_goal_results)),
    Workload("undone by due date · v1", "v1", _get(_pd, v1_undone)),
    Workload("undone by due date · v2", "v2", _get(_pd, v2_undone)),
    Workload("undone by due date · pipeliner", "pipeliner", _get(_plh, pl_undone)),
    Workload("saved filter · v1", "v1", _get(_pd, v1_saved_filter)),
    Workload("by parameters · v1", "v1", _get(_pd, v1_by_parameters)),
    Workload("saved filter · v2", "v2", _get(_pd, v2_saved_filter)),
    Workload("by parameters · v2", "v2", _get(_pd, v2_by_parameters)),
    Workload("search · v1", "v1", _get(_pd, v1_search)),
    Workload("search · v2", "v2", _get(_pd, v2_search)),
    Workload("projects list 100 · v1", "v1", _get(_pd, lambda c: _q("/v1/projects", limit=PAGE))),
    Workload("projects list 100 · v2", "v2", _get(_pd, lambda c: _q("/api/v2/projects",
                                                                    limit=PAGE))),
    Workload("tasks list 100 · v1", "v1", _get(_pd, lambda c: _q("/v1/tasks", limit=PAGE))),
    Workload("tasks list 100 · v2", "v2", _get(_pd, lambda c: _q("/api/v2/tasks", limit=PAGE))),
    Workload("a project's tasks · v1", "v1",
             _get(_pd, lambda c: f"/v1/projects/{c.project_id}/tasks")),
    Workload("a project's activities · v1", "v1",
             _get(_pd, lambda c: f"/v1/projects/{c.project_id}/activities")),
    Workload("a project's plan · v1", "v1", _get(_pd, lambda c: f"/v1/projects/{c.project_id}/plan")),
    Workload("a deal's installments · v2", "v2", _get(_pd, v2_installments)),
    Workload("roles list · v1", "v1", _get(_pd, lambda c: _q("/v1/roles", limit=PAGE))),
    Workload("a subscription's payments · v1", "v1",
             _get(_pd, lambda c: f"/v1/subscriptions/find/{c.deal_id}"), reach=reach_payments),
    Workload("board first paint · web", "web", _get(lambda c: c.web, web_board)),
    Workload("board totals · web", "web", _get(lambda c: c.web, web_board_totals)),
    Workload("create · v1", "v1", lambda c: (v1_create(c),), writes=True),
    Workload("create · v2", "v2", lambda c: (v2_create(c),), writes=True),
    Workload("create · pipeliner", "pipeliner", lambda c: (pl_create(c),), writes=True),
    Workload("setEntities 1,000 · pipeliner", "pipeliner", lambda c: (pl_batch(c),),
             items=1000, writes=True),
    Workload("mixed 8 reads : 2 writes", "all", mixed, writes=True),
    Workload("card move · web", "web", web_moves, writes=True),
)

FLOOR = "floor"  # the in-process floor of the same workload
HTTP = "http floor"  # the precomputed body of the same workload, served by the same stack


@dataclass(frozen=True)
class Target:
    """``workload`` against ``versus`` (FLOOR, HTTP or another workload): the ratio
    versus-throughput ÷ workload-throughput must be at most ``ratio``; or the workload
    must reach ``per_second`` items/s on ``backend``."""

    workload: str
    versus: str | None = None
    ratio: float | None = None
    per_second: int | None = None
    backend: str | None = None


TARGETS: tuple[Target, ...] = (
    *(Target(f"{w} · {d}", FLOOR, 1.5) for w in ("list 100", "a deal's activities",
                                                  "undone by due date")
      for d in ("v1", "v2", "pipeliner")),
    *(Target(f"search · {d}", FLOOR, 1.5) for d in ("v1", "v2")),
    *(Target(f"saved filter · {d}", FLOOR, 1.5) for d in ("v1", "v2")),
    *(Target(f"saved filter · {d}", f"by parameters · {d}", 1.5) for d in ("v1", "v2")),
    *(Target(f"get · {d}", HTTP, 2.0) for d in ("v1", "v2", "pipeliner")),
    *(Target(f"page at depth · {d}", f"page 1 · {d}", 1.2) for d in ("v1", "v2", "pipeliner")),
    *(Target(f"walk to depth · {d}", f"page 1 · {d}", 1.2) for d in ("v1", "pipeliner")),
    Target("filter custom field · pipeliner", "filter native column · pipeliner", 1.5),
    Target("movement statistics · v1", FLOOR, 2.0),
    Target("list 100 as a user · v2", "list 100 · v2", 1.2),
    Target("get as a user · v2", "get · v2", 1.2),
    Target("list 100 · pipeliner", "list 100 without total · pipeliner", 2.0),
    *(Target(f"create · {d}", per_second=1000, backend="sqlite") for d in ("v1", "v2", "pipeliner")),
    *(Target(f"create · {d}", per_second=700, backend="postgresql")
      for d in ("v1", "v2", "pipeliner")),
    Target("setEntities 1,000 · pipeliner", per_second=20_000, backend="sqlite"),
)

# What N workers run (scaling): a list, a get, a write and the mix.
SCALING = ("list 100 · v2", "get · v2", "create · v2", "mixed 8 reads : 2 writes")


def basic(token: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{token}:{password}".encode()).decode()


def by_name(name: str) -> Workload:
    for w in WORKLOADS:
        if w.name == name:
            return w
    raise KeyError(name)


__all__ = ["FLOOR", "HTTP", "PAGE", "SCALING", "TARGETS", "WORKLOADS", "Company", "Req", "Send",
           "Target", "Workload", "basic", "by_name", "search_term"]
