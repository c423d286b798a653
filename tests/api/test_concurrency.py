"""Concurrent writes of one record: every change survives, and the change log chains.

Requests really overlap: each round fires its requests at once through the in-process
app (one ``asyncio.gather`` on the test client's portal). On SQLite the write units meet
in the writer's group commit, one after the other; on PostgreSQL they run side by side in
the thread pool, each in its own transaction, so an update must not work from a stale
copy of the record: one that rewrites a JSON column (custom fields, e-mails, phones)
from what it read would undo a concurrent change of another field, and one that logs
the value it read as the old value would break the change log's chain.

Every round gives every field a value it did not have, and after each round every
change is read back through Pipedrive v1, v2 and Pipeliner; the losses of all rounds are
reported together. The change log is read straight from the ``change_log`` table.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import SyncClient, Tenant

ROUNDS = 6  # rounds of concurrent requests per test (the PostgreSQL race shows in each)
Path = tuple[str | int, ...]


class Call(NamedTuple):
    method: str
    url: str
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Check:
    """After a round: the value at ``path`` of the record as ``dialect`` shows it."""

    dialect: str  # "v1", "v2" or "pl"
    path: Path
    expected: Any


@dataclass
class Change:
    """One request of a round and what it must leave behind in the record ``target``
    names. Changes may share one call (a batch): it is sent once."""

    target: str
    name: str
    call: Call
    checks: list[Check] = field(default_factory=list)
    answer: Any = None  # when given: the call's JSON answer


class Client:
    """Both dialects of one tenant over the raw httpx client, one at a time or all at once."""

    def __init__(self, http: SyncClient, tenant: Tenant) -> None:
        company = tenant.company
        self.http = http
        self.pd = {"x-api-token": company.api_token}
        secret = f"{company.pipeliner_api_token}:{company.pipeliner_api_password}"
        self.pl_auth = {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
        self.pl_base = f"/rest_services/v1/{company.space_id}"

    def v1(self, method: str, path: str, body: Any = None) -> Call:
        return Call(method, f"/v1/{path}", body, self.pd)

    def v2(self, method: str, path: str, body: Any = None) -> Call:
        return Call(method, f"/api/v2/{path}", body, self.pd)

    def pl(self, method: str, path: str, body: Any = None) -> Call:
        return Call(method, f"{self.pl_base}/{path}", body, self.pl_auth)

    def one(self, call: Call) -> Any:
        """One call on its own; its JSON answer, which must be a 200 or 201."""
        response = self.http.request(call.method, call.url, json=call.body, headers=call.headers)
        assert response.status_code in (200, 201), (call, response.status_code, response.text)
        return response.json()

    def fire(self, calls: Sequence[Call]) -> list[httpx.Response]:
        """All ``calls`` at once; their responses, in order."""
        client = self.http.client

        async def together() -> list[httpx.Response]:
            return list(await asyncio.gather(*(
                client.request(c.method, c.url, json=c.body, headers=c.headers) for c in calls)))

        responses: list[httpx.Response] = self.http.portal.call(together)
        return responses

    def fire_ok(self, calls: Sequence[Call]) -> list[httpx.Response]:
        """All ``calls`` at once; every one must answer 2xx."""
        responses = self.fire(calls)
        failed = [(c.method, c.url, c.body, r.status_code, r.text[:500])
                  for c, r in zip(calls, responses, strict=True) if not 200 <= r.status_code < 300]
        assert not failed, f"{len(failed)} of {len(calls)} concurrent requests failed: {failed}"
        return responses


def dig(body: Any, path: Path) -> Any:
    for step in path:
        if isinstance(step, int):
            body = body[step] if isinstance(body, list) and step < len(body) else None
        else:
            body = body.get(step) if isinstance(body, dict) else None
    return body


def short(path: Path) -> str:
    """A path for messages, field keys cut to 8 characters."""
    return ".".join(f"{p[:8]}…" if isinstance(p, str) and len(p) >= 40 else str(p) for p in path)


def v1_v2_pl(v1: Path | str, v2: Path | str, pl: Path | str, v1_value: Any, v2_value: Any,
             pl_value: Any) -> list[Check]:
    def path(p: Path | str) -> Path:
        return (p,) if isinstance(p, str) else p

    return [Check("v1", path(v1), v1_value), Check("v2", path(v2), v2_value),
            Check("pl", path(pl), pl_value)]


def same(v1: Path | str, v2: Path | str, pl: Path | str, value: Any) -> list[Check]:
    return v1_v2_pl(v1, v2, pl, value, value, value)


def custom(key: str, value: Any) -> list[Check]:
    """A custom field shown the same way by all three (texts, numbers, dates)."""
    return same(key, ("custom_fields", key), key, value)


class Fields:
    """Custom fields of one entity, made through Pipedrive v1: three texts, three numbers,
    two enums, a set, a date and a monetary field; and the Pipeliner Data IDs of the options."""

    def __init__(self, client: Client, entity: str, collection_entity: str) -> None:
        def make(name: str, kind: str, **extra: Any) -> dict[str, Any]:
            made: dict[str, Any] = client.one(client.v1("POST", f"{entity}Fields", {
                "name": name, "field_type": kind, **extra}))["data"]
            return made

        self.text = [make(f"Text {i}", "varchar")["key"] for i in range(3)]
        self.number = [make(f"Number {i}", "double")["key"] for i in range(3)]
        labels = [{"label": label} for label in ("Red", "Green", "Blue")]
        self.enum = [make(f"Choice {i}", "enum", options=labels) for i in range(2)]
        self.set = make("Tags", "set", options=labels)
        self.date = make("Renewal", "date")["key"]
        self.money = make("Budget", "monetary")["key"]
        described = client.one(client.pl("GET", f"getFields/{collection_entity}"))
        choices = {d["API_NAME"]: d["CHOICES"] for d in described if d.get("CUSTOM")}
        # option id -> Pipeliner Data ID, per field key
        self.data_ids: dict[str, dict[int, str]] = {}
        for f in (*self.enum, self.set):
            by_label = {label: data_id for data_id, label in choices[f["key"]].items()}
            self.data_ids[f["key"]] = {o["id"]: by_label[o["label"]] for o in f["options"]}

    @staticmethod
    def option_ids(f: dict[str, Any]) -> list[int]:
        return [int(o["id"]) for o in f["options"]]


@dataclass
class Target:
    """A record as the three dialects name it."""

    id: int
    uid: str
    v1: str  # "deals/12"
    v2: str
    pl: str  # "Opportunities/PY-…"


def pl_uid(client: Client, collection: str, key: str, value: str) -> str:
    found = client.one(client.pl("GET", f"{collection}?filter={key}::{value}&limit=-1"))
    assert len(found) == 1, found
    return str(found[0]["ID"])


def make_deal(client: Client, title: str, **values: Any) -> Target:
    made = client.one(client.v2("POST", "deals", {"title": title, **values}))["data"]
    uid = pl_uid(client, "Opportunities", "OPPORTUNITY_NAME", title)
    return Target(made["id"], uid, f"deals/{made['id']}", f"deals/{made['id']}",
                  f"Opportunities/{uid}")


def make_person(client: Client, surname: str) -> Target:
    made = client.one(client.pl("POST", "Contacts", {
        "FIRST_NAME": "Pat", "SURNAME": surname, "EMAIL1": "one@pat.example",
        "EMAIL2": "two@pat.example", "EMAIL3": "three@pat.example",
        "PHONE1": "+1 555 0100", "PHONE2": "+1 555 0200"}))
    uid = made["ID"]
    people = client.one(client.v2("GET", "persons?limit=500"))["data"]
    [person_id] = [p["id"] for p in people if p["name"] == f"Pat {surname}"]
    return Target(person_id, uid, f"persons/{person_id}", f"persons/{person_id}",
                  f"Contacts/{uid}")


def read(client: Client, target: Target) -> dict[str, Any]:
    """The record as each dialect shows it now."""
    return {"v1": client.one(client.v1("GET", target.v1))["data"],
            "v2": client.one(client.v2("GET", target.v2))["data"],
            "pl": client.one(client.pl("GET", target.pl))}


def missing(client: Client, targets: dict[str, Target], changes: Sequence[Change]) -> list[str]:
    """The changes whose checks the records fail now, each with what the dialects show."""
    seen = {name: read(client, target) for name, target in targets.items()}
    lost = []
    for change in changes:
        views = seen[change.target]
        wrong = [c for c in change.checks if dig(views[c.dialect], c.path) != c.expected]
        if wrong:
            first, where = wrong[0], "/".join(dict.fromkeys(c.dialect for c in wrong))
            lost.append(f"{change.target}: {change.name}: not in {where} ({first.dialect} "
                        f"{short(first.path)} is {dig(views[first.dialect], first.path)!r}, "
                        f"wanted {first.expected!r})")
    return lost


def fire_round(client: Client, changes: Sequence[Change]) -> None:
    """The round's calls at once (a shared call once); all must answer 2xx (and as told)."""
    calls: dict[int, Call] = {}
    for change in changes:
        calls.setdefault(id(change.call), change.call)
    answers = dict(zip(calls, client.fire_ok(list(calls.values())), strict=True))
    for change in changes:
        if change.answer is not None:
            got = answers[id(change.call)].json()
            assert got == change.answer, (change.name, got)


def run_rounds(client: Client, targets: dict[str, Target],
               round_changes: Callable[[int], list[Change]]) -> dict[int, list[str]]:
    """ROUNDS rounds of concurrent requests; per round with losses, what was lost."""
    losses: dict[int, list[str]] = {}
    for r in range(ROUNDS):
        changes = round_changes(r)
        fire_round(client, changes)
        lost = missing(client, targets, changes)
        if lost:
            losses[r] = lost
    return losses


def report(losses: dict[int, list[str]], per_round: int) -> str:
    lines = [f"{len(losses)} of {ROUNDS} rounds of {per_round} concurrent requests lost changes "
             f"(all answered 2xx):"]
    for r, lost in losses.items():
        lines.append(f"  round {r}: {len(lost)} changes lost:")
        lines += [f"    {entry}" for entry in lost]
    return "\n".join(lines)


# ---- the scenes: one round of different fields of one record --------------------------------

CURRENCIES = ("EUR", "GBP", "CHF")
Writer = Callable[[Any], Call]


def writers(client: Client, target: Target) -> tuple[Writer, Writer, Writer]:
    """A body to a call that updates ``target``: v1 PUT, v2 PATCH, Pipeliner PUT."""
    return (functools.partial(client.v1, "PUT", target.v1),
            functools.partial(client.v2, "PATCH", target.v2),
            functools.partial(client.pl, "PUT", target.pl))


def deal_round(client: Client, fields: Fields, deal: Target, r: int) -> list[Change]:
    """17 requests, each changing other fields of one deal: 6 through v1, 6 through v2,
    5 through Pipeliner; natives and custom fields (texts, numbers, enums, a set, a date,
    a monetary value with its currency)."""
    change = functools.partial(Change, "deal")
    v1, v2, pl = writers(client, deal)
    t, n = fields.text, fields.number
    enum0, enum1 = fields.enum
    options0, options1 = Fields.option_ids(enum0), Fields.option_ids(enum1)
    tags = Fields.option_ids(fields.set)
    tagged = [[tags[0]], [tags[0], tags[1]], [tags[1], tags[2]], [tags[0], tags[2]]][r % 4]
    choice0, choice1 = options0[r % 3], options1[(r + 1) % 3]
    day, renewal = f"2027-01-{r + 1:02d}", f"2028-02-{r + 1:02d}"
    money, money_currency = 50.5 + r, ("USD", "EUR")[r % 2]
    currency = CURRENCIES[r % 3]
    return [
        change("title (v1)", v1({"title": f"Deal {r}"}),
               same("title", "title", "OPPORTUNITY_NAME", f"Deal {r}")),
        change("value (v2)", v2({"value": 1000 + r}),
               same("value", "value", "OPPORTUNITY_VALUE", 1000 + r)),
        change("probability (v1)", v1({"probability": 10 + r}),
               same("probability", "probability", "RANKING", 10 + r)),
        change("expected_close_date (pl)", pl({"CLOSING_DATE": day}),
               same("expected_close_date", "expected_close_date", "CLOSING_DATE", day)),
        change("currency (pl)", pl({"CURRENCY_ID": currency}),
               same("currency", "currency", "CURRENCY_ID", currency)),
        change("lost_reason (v2)", v2({"lost_reason": f"reason {r}"}),
               same("lost_reason", "lost_reason", "REASON_OF_CLOSE_DESCRIPTION", f"reason {r}")),
        change("text 0 (v1)", v1({t[0]: f"one {r}"}), custom(t[0], f"one {r}")),
        change("text 1 (v2)", v2({"custom_fields": {t[1]: f"two {r}"}}), custom(t[1], f"two {r}")),
        change("text 2 (pl)", pl({t[2]: f"three {r}"}), custom(t[2], f"three {r}")),
        change("number 0 (v1)", v1({n[0]: r + 0.25}), custom(n[0], r + 0.25)),
        change("number 1 (v2)", v2({"custom_fields": {n[1]: r + 0.5}}), custom(n[1], r + 0.5)),
        change("number 2 (pl)", pl({n[2]: r + 0.75}), custom(n[2], r + 0.75)),
        change("enum 0 (v2)", v2({"custom_fields": {enum0["key"]: choice0}}),
               v1_v2_pl(enum0["key"], ("custom_fields", enum0["key"]), enum0["key"],
                        str(choice0), choice0, fields.data_ids[enum0["key"]][choice0])),
        change("enum 1 (pl)", pl({enum1["key"]: fields.data_ids[enum1["key"]][choice1]}),
               v1_v2_pl(enum1["key"], ("custom_fields", enum1["key"]), enum1["key"],
                        str(choice1), choice1, fields.data_ids[enum1["key"]][choice1])),
        change("set (v1)", v1({fields.set["key"]: ",".join(map(str, tagged))}),
               v1_v2_pl(fields.set["key"], ("custom_fields", fields.set["key"]), fields.set["key"],
                        ",".join(map(str, tagged)), tagged,
                        [fields.data_ids[fields.set["key"]][o] for o in tagged])),
        change("date (v2)", v2({"custom_fields": {fields.date: renewal}}), custom(fields.date, renewal)),
        change("monetary (v1)", v1({fields.money: money, f"{fields.money}_currency": money_currency}),
               [Check("v1", (fields.money,), money),
                Check("v1", (f"{fields.money}_currency",), money_currency),
                Check("v2", ("custom_fields", fields.money),
                      {"value": money, "currency": money_currency}),
                Check("pl", (fields.money,), money),
                Check("pl", (f"{fields.money}_currency",), money_currency)]),
    ]


def person_round(client: Client, fields: Fields, person: Target, r: int) -> list[Change]:
    """11 requests, each changing other fields of one person: the EMAIL2, EMAIL3, PHONE1 and
    PHONE2 slots (each rewrites the whole e-mail or phone list), POSITION and COMMENTS
    through Pipeliner; the birthday and custom fields through v1 and v2."""
    change = functools.partial(Change, "person")
    v1, v2, pl = writers(client, person)
    t, n = fields.text, fields.number
    email2, email3 = f"two.{r}@pat.example", f"three.{r}@pat.example"
    phone1, phone2 = f"+1 555 01{r:02d}", f"+1 555 02{r:02d}"
    birthday = f"1990-03-{r + 1:02d}"
    return [
        change("EMAIL2 (pl)", pl({"EMAIL2": email2}),
               v1_v2_pl(("email", 1, "value"), ("emails", 1, "value"), "EMAIL2",
                        email2, email2, email2)),
        change("EMAIL3 (pl)", pl({"EMAIL3": email3}),
               v1_v2_pl(("email", 2, "value"), ("emails", 2, "value"), "EMAIL3",
                        email3, email3, email3)),
        change("PHONE1 (pl)", pl({"PHONE1": phone1}),
               v1_v2_pl(("phone", 0, "value"), ("phones", 0, "value"), "PHONE1",
                        phone1, phone1, phone1)),
        change("PHONE2 (pl)", pl({"PHONE2": phone2}),
               v1_v2_pl(("phone", 1, "value"), ("phones", 1, "value"), "PHONE2",
                        phone2, phone2, phone2)),
        change("job_title (pl)", pl({"POSITION": f"Role {r}"}),
               same("job_title", "job_title", "POSITION", f"Role {r}")),
        change("notes (pl)", pl({"COMMENTS": f"Note {r}"}),
               v1_v2_pl("notes", "notes", "COMMENTS", f"Note {r}", f"Note {r}", f"Note {r}")),
        change("birthday (v1)", v1({"birthday": birthday}),
               [Check("v1", ("birthday",), birthday), Check("v2", ("birthday",), birthday)]),
        change("text 0 (v1)", v1({t[0]: f"one {r}"}), custom(t[0], f"one {r}")),
        change("number 0 (v1)", v1({n[0]: r + 0.25}), custom(n[0], r + 0.25)),
        change("text 1 (v2)", v2({"custom_fields": {t[1]: f"two {r}"}}), custom(t[1], f"two {r}")),
        change("number 1 (v2)", v2({"custom_fields": {n[1]: r + 0.5}}), custom(n[1], r + 0.5)),
    ]


# ---- the change log ---------------------------------------------------------------------------

def change_log(database: Any, company_id: int, entity: str, record_id: int
               ) -> list[tuple[int, str, dict[str, list[Any]]]]:
    """(seq, action, changes) of one record, in seq order."""
    with database.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, action, changes FROM change_log WHERE company_id = :c AND entity = :e "
            "AND record_id = :r ORDER BY seq"), {"c": company_id, "e": entity, "r": record_id}).all()
    return [(int(seq), action, json.loads(changes) if isinstance(changes, str | bytes) else changes)
            for seq, action, changes in rows]


def canonical(v2: dict[str, Any], name: str) -> Any:
    """A canonical field's value as v2 shows it (custom fields by key)."""
    cf = v2.get("custom_fields") or {}
    if name in cf:
        value = cf[name]
        return value["value"] if isinstance(value, dict) and "currency" in value else value
    base = name.removesuffix("_currency")
    if base != name and base in cf:  # a monetary field's currency (none without a value)
        return cf[base]["currency"] if isinstance(cf[base], dict) else None
    assert name in v2, f"v2 does not show {name}"
    return v2[name]


def chain_breaks(rows: Sequence[tuple[int, str, dict[str, list[Any]]]]
                 ) -> tuple[list[str], dict[str, Any]]:
    """Rows whose old value of a field is not the previous row's new value of it (from the
    create row on; a field the create did not set was null); and each field's last new value."""
    last: dict[str, Any] = {}
    breaks = []
    for seq, action, changes in rows:
        for name, (old, new) in changes.items():
            if action != "create" and old != last.get(name):
                breaks.append(f"seq {seq} {name}: old {old!r}, but the previous new was "
                              f"{last.get(name)!r}")
            last[name] = new
    return breaks, last


def check_chain(client: Client, database: Any, tenant: Tenant, entity: str, target: Target,
                watched: Sequence[str]) -> None:
    """The record's change log chains, and ends at the record's values of ``watched``."""
    rows = change_log(database, tenant.company.company_id, entity, target.id)
    assert rows and rows[0][1] == "create", rows[:1]
    breaks, last = chain_breaks(rows)
    never = [name for name in watched if name not in last]
    assert not never, f"fields written but never logged: {never}"
    v2 = client.one(client.v2("GET", target.v2))["data"]
    stale = [f"{name}: the log's last new value is {last[name]!r}, the record has "
             f"{canonical(v2, name)!r}"
             for name in watched if last[name] != canonical(v2, name)]
    shown = 20
    assert not breaks and not stale, "\n  ".join([
        f"{len(rows)} change-log rows of {entity} {target.id}: {len(stale)} of {len(watched)} "
        f"fields end on a value the record does not have, {len(breaks)} old values are not "
        f"the previous new value", *stale,
        *(b[:300] for b in breaks[:shown]),
        *([f"... and {len(breaks) - shown} more"] if len(breaks) > shown else [])])


def deal_watched(fields: Fields) -> list[str]:
    return ["title", "value", "probability", "expected_close_date", "currency", "lost_reason",
            *fields.text, *fields.number, *(f["key"] for f in fields.enum), fields.set["key"],
            fields.date, fields.money, f"{fields.money}_currency"]


def person_watched(fields: Fields) -> list[str]:
    return ["emails", "phones", "job_title", "notes", "birthday", *fields.text[:2],
            *fields.number[:2]]


# ---- the tests --------------------------------------------------------------------------------

@pytest.fixture
def client(http: SyncClient, tenant: Tenant) -> Client:
    return Client(http, tenant)


def test_concurrent_updates_of_different_deal_fields_all_survive(client: Client) -> None:
    """Each round: 17 requests at once, each changing other fields of one deal through v1,
    v2 and Pipeliner; every change is there afterwards, as all three dialects read it."""
    fields = Fields(client, "deal", "Opportunity")
    deal = make_deal(client, "Concurrent deal")
    losses = run_rounds(client, {"deal": deal}, functools.partial(deal_round, client, fields, deal))
    assert not losses, report(losses, len(deal_round(client, fields, deal, 0)))


def test_concurrent_updates_of_different_person_fields_all_survive(client: Client) -> None:
    """Each round: 11 requests at once on one person, among them Pipeliner's EMAIL2 and
    EMAIL3 (two writes of one e-mail list) and PHONE1 and PHONE2; every change is there."""
    fields = Fields(client, "person", "Contact")
    person = make_person(client, "Concurrent")
    losses = run_rounds(client, {"person": person},
                        functools.partial(person_round, client, fields, person))
    assert not losses, report(losses, len(person_round(client, fields, person, 0)))


BATCHED = 4  # deals a setEntities batch updates


def test_set_entities_batch_beside_single_updates_of_the_same_deals(client: Client) -> None:
    """Each round: one setEntities batch updating four deals (a custom text and RANKING of
    each) at once with three single updates of each of those deals' other fields (v1, v2,
    Pipeliner; custom fields and a native one); every change is there afterwards."""
    fields = Fields(client, "deal", "Opportunity")
    deals = {f"deal {i}": make_deal(client, f"Batched deal {i}") for i in range(BATCHED)}
    t, n = fields.text, fields.number

    def round_changes(r: int) -> list[Change]:
        batch = client.pl("POST", "setEntities?entityName=Opportunity", [
            {"ID": deal.uid, t[0]: f"batch {r}.{i}", "RANKING": 10 * i + r}
            for i, deal in enumerate(deals.values())])
        uids = [deal.uid for deal in deals.values()]
        batched, singles = [], []
        for i, (name, deal) in enumerate(deals.items()):
            day = f"2027-0{i + 1}-{r + 1:02d}"
            batched.append(Change(name, "text 0 and RANKING (setEntities)", batch,
                                  [*custom(t[0], f"batch {r}.{i}"),
                                   *same("probability", "probability", "RANKING", 10 * i + r)],
                                  answer=uids))
            singles += [
                Change(name, "text 1 (v1)", client.v1("PUT", deal.v1, {t[1]: f"v1 {r}.{i}"}),
                       custom(t[1], f"v1 {r}.{i}")),
                Change(name, "number 0 (v2)",
                       client.v2("PATCH", deal.v2, {"custom_fields": {n[0]: r + i / 8}}),
                       custom(n[0], r + i / 8)),
                Change(name, "text 2 and CLOSING_DATE (pl)",
                       client.pl("PUT", deal.pl, {t[2]: f"pl {r}.{i}", "CLOSING_DATE": day}),
                       [*custom(t[2], f"pl {r}.{i}"),
                        *same("expected_close_date", "expected_close_date", "CLOSING_DATE", day)]),
            ]
        middle = len(singles) // 2  # the batch goes out amid the single updates
        return singles[:middle] + batched + singles[middle:]

    losses = run_rounds(client, deals, round_changes)
    assert not losses, report(losses, 1 + 3 * BATCHED)


@pytest.mark.parametrize("entity", ["deal", "person"])
def test_change_log_chains_after_concurrent_updates(client: Client, database: Any, tenant: Tenant,
                                                    entity: str) -> None:
    """After rounds like those of the first two tests: each change-log row's old value of a
    field is the previous row's new value of it (from the create row on), and the last
    logged value of every field written is the record's value."""
    rounds: Callable[[int], list[Change]]
    if entity == "deal":
        fields = Fields(client, "deal", "Opportunity")
        target = make_deal(client, "Logged deal")
        rounds, watched = functools.partial(deal_round, client, fields, target), deal_watched(fields)
    else:
        fields = Fields(client, "person", "Contact")
        target = make_person(client, "Logged")
        rounds = functools.partial(person_round, client, fields, target)
        watched = person_watched(fields)
    for r in range(ROUNDS):
        fire_round(client, rounds(r))
    check_chain(client, database, tenant, entity, target, watched)


SAME_FIELD_WRITERS = 12


@pytest.mark.parametrize("kind", ["native", "custom"])
def test_concurrent_updates_of_the_same_field(client: Client, database: Any, tenant: Tenant,
                                              kind: str) -> None:
    """Each round: 12 writers of one field of one deal at once (the title, or a custom
    text), through v1, v2 and Pipeliner in turn: all answer 2xx, all three dialects show
    one of the values written, and the change log chains."""
    fields = Fields(client, "deal", "Opportunity")
    deal = make_deal(client, "Contested deal")
    key = fields.text[0]

    def write(r: int, i: int) -> Call:
        value = f"r{r} w{i}"
        bodies: tuple[dict[str, Any], ...]
        if kind == "native":
            bodies = ({"title": value}, {"title": value}, {"OPPORTUNITY_NAME": value})
        else:
            bodies = ({key: value}, {"custom_fields": {key: value}}, {key: value})
        return writers(client, deal)[i % 3](bodies[i % 3])

    strays = []
    for r in range(ROUNDS):
        client.fire_ok([write(r, i) for i in range(SAME_FIELD_WRITERS)])
        views = read(client, deal)
        written = {f"r{r} w{i}" for i in range(SAME_FIELD_WRITERS)}
        if kind == "native":
            shown = (views["v1"]["title"], views["v2"]["title"], views["pl"]["OPPORTUNITY_NAME"])
        else:
            shown = (views["v1"][key], views["v2"]["custom_fields"][key], views["pl"][key])
        if len(set(shown)) != 1 or shown[0] not in written:
            strays.append(f"round {r}: v1, v2, Pipeliner show {shown}")
    assert not strays, strays
    check_chain(client, database, tenant, "deal", deal, ["title" if kind == "native" else key])
