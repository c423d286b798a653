"""Create, read, partially update and soft-delete through every Pipeliner collection.

The records service's clock is pinned (``Clock``), so CREATED and MODIFIED are exact:
each update must move MODIFIED to the current tick and leave CREATED and every key that
was not sent exactly as it was (a whole-entity comparison after every call).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.pipeliner.conftest import Pipeliner
from tests.pipeliner.support import (
    DATETIME,
    INT_ID_COLLECTIONS,
    NEVER_ID,
    UID,
    Clock,
    ids,
    listing,
    ok,
    refused,
    stages,
)


@dataclass(frozen=True)
class Refs:
    """Ids every fresh company has: a pipeline with stages, a sales unit, the admin Client."""

    pipeline: str
    stage: str
    unit: int
    user: int


@pytest.fixture
def refs(pl: Pipeliner) -> Refs:
    stage = stages(pl)[0]
    return Refs(stage["PIPELINE_ID"], stage["ID"], listing(pl, "SalesUnits")[0]["ID"],
                listing(pl, "Clients")[0]["ID"])


@dataclass(frozen=True)
class Case:
    create: Callable[[Refs], dict[str, Any]]
    key: str  # the key the three partial updates change
    values: tuple[Any, Any, Any]  # by PUT, by PATCH, by POST with the ID in the body


CASES: dict[str, Case] = {
    "Accounts": Case(lambda r: {"ORGANIZATION": "Northwind", "CITY": "Oslo", "OWNER_ID": r.user,
                                "HOME_PAGE": "https://northwind.example", "ZIP_CODE": "0150"},
                     "CITY", ("Bergen", "Trondheim", "Bodø")),
    "Contacts": Case(lambda r: {"FIRST_NAME": "Ana", "SURNAME": "Novak", "POSITION": "CTO",
                                "EMAIL1": "ana@novak.example", "PHONE1": "+1 555 0100",
                                "SALES_UNIT_ID": r.unit},
                     "POSITION", ("CEO", "CFO", "COO")),
    "Opportunities": Case(lambda r: {"OPPORTUNITY_NAME": "Big deal", "OPPORTUNITY_VALUE": 1500.5,
                                     "CURRENCY_ID": "EUR", "STAGE": r.stage, "RANKING": 40,
                                     "CLOSING_DATE": "2030-02-03"},
                          "OPPORTUNITY_DESCRIPTION", ("first", "second", "third")),
    "Leads": Case(lambda r: {"OPPORTUNITY_NAME": "Warm lead", "OPPORTUNITY_VALUE": 200.0,
                             "CURRENCY_ID": "USD", "RANKING": 10, "OWNER_ID": r.user},
                  "RANKING", (20, 30, 40)),
    "Clients": Case(lambda r: {"FIRSTNAME": "Jo", "LASTNAME": "Doe", "EMAIL": "jo@doe.example",
                               "DEFAULT_SALES_UNIT_ID": r.unit},
                    "EMAIL", ("jo1@doe.example", "jo2@doe.example", "jo3@doe.example")),
    "SalesUnits": Case(lambda r: {"SALES_UNIT_NAME": "East", "PARENT_ID": r.unit},
                       "SALES_UNIT_NAME", ("East 1", "East 2", "East 3")),
    "Pipelines": Case(lambda r: {"NAME": "Renewals", "SORT_ORDER": 5},
                      "NAME", ("Renewals 1", "Renewals 2", "Renewals 3")),
    "Stages": Case(lambda r: {"STAGE_NAME": "Won back", "PIPELINE_ID": r.pipeline, "PERCENT": 50,
                              "SORT_ORDER": 9},
                   "PERCENT", (60, 70, 80)),
    "Activities": Case(lambda r: {"SUBJECT": "Call", "DESCRIPTION": "ring them", "PRIORITY": 3,
                                  "DUE_DATE": "2030-03-04 09:30:00"},
                       "SUBJECT", ("Call 1", "Call 2", "Call 3")),
    "Tasks": Case(lambda r: {"SUBJECT": "Send offer", "DUE_DATE": "2030-03-04 10:00:00",
                             "STATUS": 2},
                  "STATUS", (3, 4, 5)),
    "Appointments": Case(lambda r: {"SUBJECT": "Demo", "START_DATE": "2030-03-04 10:00:00",
                                    "END_DATE": "2030-03-04 11:30:00", "LOCATION": "Room 1"},
                         "LOCATION", ("Room 2", "Room 3", "Room 4")),
    "Notes": Case(lambda r: {"NOTE": "Met at the fair", "OWNER_ID": r.user},
                  "NOTE", ("Met again", "Called back", "Sent offer")),
    "Products": Case(lambda r: {"NAME": "Widget", "SKU": "W-1", "UNIT_SYMBOL": "pcs",
                                "DESCRIPTION": "A widget"},
                     "SKU", ("W-2", "W-3", "W-4")),
}


def _sent_values_echoed(sent: dict[str, Any], entity: dict[str, Any]) -> None:
    for key, value in sent.items():
        assert entity[key] == value, (key, value, entity)


def _id_shape(collection: str, value: Any) -> None:
    if collection in INT_ID_COLLECTIONS:
        assert type(value) is int and value > 0, value
    else:
        assert isinstance(value, str) and UID.fullmatch(value), value


@pytest.mark.parametrize("collection", list(CASES))
def test_lifecycle(pl: Pipeliner, refs: Refs, clock: Clock, collection: str) -> None:
    case = CASES[collection]
    body = case.create(refs)
    created_at = clock.text

    # create: 201, Location ending in the new ID, the body is the entity
    response = pl.post(f"/{collection}", json=body)
    created = ok(response, 201)
    _id_shape(collection, created["ID"])
    location = response.headers["location"]
    assert location.endswith(f"/rest_services/v1/{pl.space_id}/{collection}/{created['ID']}")
    assert location.rsplit("/", 1)[-1] == str(created["ID"])
    _sent_values_echoed(body, created)
    assert created["CREATED"] == created["MODIFIED"] == created_at
    assert created["IS_DELETED"] == 0 and type(created["IS_DELETED"]) is int
    item = f"/{collection}/{created['ID']}"
    assert ok(pl.get(item)) == created
    assert created["ID"] in ids(listing(pl, collection))

    # three partial updates: only the sent key changes, MODIFIED moves, CREATED stays
    current = created
    for how, value in zip(("PUT", "PATCH", "POST"), case.values, strict=True):
        now = clock.tick()
        if how == "POST":
            response = pl.post(f"/{collection}", json={"ID": created["ID"], case.key: value})
        else:
            response = pl.request(how, item, json={case.key: value})
        updated = ok(response, 200)
        assert "location" not in response.headers, how
        expected = {**current, case.key: value, "MODIFIED": now}
        assert updated == expected, how
        assert ok(pl.get(item)) == expected, how
        current = updated
    assert current["CREATED"] == created_at

    # soft delete: IS_DELETED 1, still readable by ID, gone from default lists
    deleted_at = clock.tick()
    gone = ok(pl.delete(item))
    assert gone == {**current, "IS_DELETED": 1, "MODIFIED": deleted_at}
    assert ok(pl.get(item)) == gone
    assert created["ID"] not in ids(listing(pl, collection))
    assert ids(listing(pl, collection, filter="IS_DELETED::1")) == [created["ID"]]
    assert created["ID"] not in ids(listing(pl, collection, filter="IS_DELETED::0"))
    refused(pl.put(item, json={case.key: case.values[0]}), 404, 420)
    refused(pl.delete(item), 404, 420)
    assert ok(pl.get(item)) == gone


@pytest.mark.parametrize("collection", [c for c in CASES if c not in INT_ID_COLLECTIONS])
def test_create_with_a_client_chosen_id(pl: Pipeliner, refs: Refs, collection: str) -> None:
    chosen = "PY-7FFFFFFF-" + str(uuid.uuid4()).upper()
    response = pl.post(f"/{collection}", json={"ID": chosen, **CASES[collection].create(refs)})
    created = ok(response, 201)
    assert created["ID"] == chosen
    assert response.headers["location"].rsplit("/", 1)[-1] == chosen
    assert ok(pl.get(f"/{collection}/{chosen}")) == created
    # the same ID again is an update of that entity, not a second one
    key, value = CASES[collection].key, CASES[collection].values[0]
    again = pl.post(f"/{collection}", json={"ID": chosen, key: value})
    assert ok(again, 200) == {**created, key: value, "MODIFIED": again.json()["MODIFIED"]}
    assert ids(listing(pl, collection)).count(chosen) == 1


def test_client_chosen_ids_are_uppercased_validated_and_never_reused(pl: Pipeliner) -> None:
    chosen = "PY-7FFFFFFF-" + str(uuid.uuid4())
    created = ok(pl.post("/Accounts", json={"ID": chosen, "ORGANIZATION": "Lower"}), 201)
    assert created["ID"] == chosen.upper()
    assert ok(pl.get(f"/Accounts/{chosen}"))["ID"] == chosen.upper()  # IDs are case-insensitive

    for bad in ("1234", "PY-7FFFFFFF-nope", 17, {"x": 1}):
        refused(pl.post("/Accounts", json={"ID": bad, "ORGANIZATION": "Bad id"}), (400, 404))
    assert [a["ORGANIZATION"] for a in listing(pl, "Accounts")] == ["Lower"]

    ok(pl.delete(f"/Accounts/{created['ID']}"))
    refused(pl.post("/Accounts", json={"ID": created["ID"], "ORGANIZATION": "Reuse"}), 409, 430)
    assert listing(pl, "Accounts") == []


def test_a_client_chosen_id_names_one_entity_of_the_space(pl: Pipeliner) -> None:
    """OPPTY_ID (opportunity or lead) and ADDRESSBOOK_ID (contact or account) must stay
    unambiguous: an ID taken in one collection is refused in the other (409, 430)."""
    for first, second in ((("Opportunities", {"OPPORTUNITY_NAME": "o"}), ("Leads", {"OPPORTUNITY_NAME": "l"})),
                          (("Contacts", {"SURNAME": "c"}), ("Accounts", {"ORGANIZATION": "a"})),
                          (("Tasks", {"SUBJECT": "t"}), ("Appointments", {
                              "SUBJECT": "a", "START_DATE": "2030-01-01 10:00:00",
                              "END_DATE": "2030-01-01 11:00:00"}))):
        chosen = "PY-7FFFFFFF-" + str(uuid.uuid4()).upper()
        ok(pl.post(f"/{first[0]}", json={"ID": chosen, **first[1]}), 201)
        refused(pl.post(f"/{second[0]}", json={"ID": chosen, **second[1]}), 409, 430)
        assert listing(pl, second[0], filter=f"ID::{chosen}") == []


def test_read_only_and_echoed_keys_are_not_written(pl: Pipeliner, clock: Clock) -> None:
    """CREATED, MODIFIED and IS_DELETED may be echoed back; they change nothing. QUICK_*
    are stored where the collection has them (Leads, Opportunities) and ignored where it
    does not (Accounts)."""
    account = pl.create("Accounts", {"ORGANIZATION": "Echo", "CREATED": "2001-01-01 00:00:00",
                                     "MODIFIED": "2001-01-01 00:00:00", "IS_DELETED": 1})
    assert account["CREATED"] == account["MODIFIED"] == clock.text
    assert account["IS_DELETED"] == 0
    now = clock.tick()
    echoed = ok(pl.put(f"/Accounts/{account['ID']}", json={**account, "CITY": "Rome"}))
    assert echoed == {**account, "CITY": "Rome", "MODIFIED": now}
    lead = pl.create("Leads", {"OPPORTUNITY_NAME": "Q", "QUICK_ACCOUNT_NAME": "x",
                               "QUICK_EMAIL": "q@x.example"})
    assert (lead["QUICK_ACCOUNT_NAME"], lead["QUICK_EMAIL"]) == ("x", "q@x.example")
    other = pl.create("Accounts", {"ORGANIZATION": "Quick", "QUICK_EMAIL": "q@x.example"})
    assert "QUICK_EMAIL" not in other


def test_booleans_are_0_or_1(pl: Pipeliner) -> None:
    lead = pl.create("Leads", {"OPPORTUNITY_NAME": "Archived", "IS_ARCHIVE": 1})
    assert lead["IS_ARCHIVE"] == 1 and type(lead["IS_ARCHIVE"]) is int
    assert type(lead["IS_DELETED"]) is int and lead["IS_DELETED"] == 0
    lead = ok(pl.put(f"/Leads/{lead['ID']}", json={"IS_ARCHIVE": 0}))
    assert lead["IS_ARCHIVE"] == 0 and type(lead["IS_ARCHIVE"]) is int
    assert ids(listing(pl, "Leads", filter="IS_ARCHIVE::0")) == [lead["ID"]]
    assert listing(pl, "Leads", filter="IS_ARCHIVE::1") == []
    opportunity = pl.create("Opportunities", {"OPPORTUNITY_NAME": "Open"})
    assert opportunity["IS_ARCHIVE"] == 0 and type(opportunity["IS_ARCHIVE"]) is int
    account = pl.create("Accounts", {"ORGANIZATION": "A"})
    contact = pl.create("Contacts", {"SURNAME": "S", "ACCOUNT_RELATIONS": [
        {"ACCOUNT_ID": account["ID"], "IS_PRIMARY": 1}]})
    flag = contact["ACCOUNT_RELATIONS"][0]["IS_PRIMARY"]
    assert flag == 1 and type(flag) is int
    deleted = ok(pl.delete(f"/Contacts/{contact['ID']}"))
    assert deleted["IS_DELETED"] == 1 and type(deleted["IS_DELETED"]) is int
    for bad in (2, -1, "yes", 0.5, [1]):
        refused(pl.put(f"/Leads/{lead['ID']}", json={"IS_ARCHIVE": bad}), 400)
    assert ok(pl.get(f"/Leads/{lead['ID']}"))["IS_ARCHIVE"] == 0


def test_date_time_format(pl: Pipeliner) -> None:
    task = pl.create("Tasks", {"SUBJECT": "iso", "DUE_DATE": "2030-03-04T10:15:00Z"})
    assert task["DUE_DATE"] == "2030-03-04 10:15:00"
    for key in ("CREATED", "MODIFIED"):
        assert DATETIME.fullmatch(task[key]), task
    task = ok(pl.put(f"/Tasks/{task['ID']}", json={"DUE_DATE": "2030-03-04T12:15:00+02:00"}))
    assert task["DUE_DATE"] == "2030-03-04 10:15:00"  # converted to UTC
    appointment = pl.create("Appointments", {"SUBJECT": "iso", "START_DATE": "2030-05-06T08:00:00Z",
                                             "END_DATE": "2030-05-06T09:45:00Z"})
    assert (appointment["START_DATE"], appointment["END_DATE"]) == ("2030-05-06 08:00:00",
                                                                    "2030-05-06 09:45:00")
    opportunity = pl.create("Opportunities", {"OPPORTUNITY_NAME": "d", "CLOSING_DATE": "2030-02-03"})
    assert opportunity["CLOSING_DATE"] == "2030-02-03"  # a date
    opportunity = ok(pl.put(f"/Opportunities/{opportunity['ID']}",
                            json={"CLOSING_DATE": "2030-02-04 00:00:00"}))
    assert opportunity["CLOSING_DATE"] == "2030-02-04"
    for bad in ("tomorrow", "2030-13-01", "04.03.2030", 20300304):
        refused(pl.put(f"/Tasks/{task['ID']}", json={"DUE_DATE": bad}), 400)
        refused(pl.put(f"/Opportunities/{opportunity['ID']}", json={"CLOSING_DATE": bad}), 400)
    assert ok(pl.get(f"/Tasks/{task['ID']}"))["DUE_DATE"] == "2030-03-04 10:15:00"
    refused(pl.put(f"/Appointments/{appointment['ID']}", json={"END_DATE": "2030-05-06 07:00:00"}),
            400)  # before the start


def _relations(items: list[tuple[str, int]], key: str) -> list[dict[str, Any]]:
    return [{key: i, "IS_PRIMARY": p} for i, p in items]


def test_relation_arrays_have_one_primary(pl: Pipeliner) -> None:
    a, b = (pl.create("Accounts", {"ORGANIZATION": n})["ID"] for n in "AB")
    x, y = (pl.create("Contacts", {"SURNAME": n})["ID"] for n in "XY")
    for collection in ("Opportunities", "Leads"):
        entity = pl.create(collection, {
            "OPPORTUNITY_NAME": "rel", "ACCOUNT_RELATIONS": _relations([(b, 0), (a, 1)], "ACCOUNT_ID"),
            "CONTACT_RELATIONS": _relations([(x, 1), (y, 0)], "CONTACT_ID")})
        # the primary comes first, then the others
        assert entity["ACCOUNT_RELATIONS"] == _relations([(a, 1), (b, 0)], "ACCOUNT_ID")
        assert entity["CONTACT_RELATIONS"] == _relations([(x, 1), (y, 0)], "CONTACT_ID")
        item = f"/{collection}/{entity['ID']}"
        assert ok(pl.get(item)) == entity
        updated = ok(pl.put(item, json={"ACCOUNT_RELATIONS": _relations([(b, 1), (a, 0)], "ACCOUNT_ID")}))
        assert updated["ACCOUNT_RELATIONS"] == _relations([(b, 1), (a, 0)], "ACCOUNT_ID")
        assert updated["CONTACT_RELATIONS"] == entity["CONTACT_RELATIONS"]  # not sent: kept
        # no item flagged primary: the first one is
        updated = ok(pl.patch(item, json={"CONTACT_RELATIONS": [{"CONTACT_ID": y}, {"CONTACT_ID": x}]}))
        assert updated["CONTACT_RELATIONS"] == _relations([(y, 1), (x, 0)], "CONTACT_ID")
        assert ok(pl.get(item)) == updated
        cleared = ok(pl.put(item, json={"ACCOUNT_RELATIONS": [], "CONTACT_RELATIONS": None}))
        assert cleared["ACCOUNT_RELATIONS"] == cleared["CONTACT_RELATIONS"] == []

    contact = pl.create("Contacts", {"SURNAME": "Multi", "ACCOUNT_RELATIONS": _relations(
        [(b, 0), (a, 1)], "ACCOUNT_ID")})
    assert contact["ACCOUNT_RELATIONS"] == _relations([(a, 1), (b, 0)], "ACCOUNT_ID")
    item = f"/Contacts/{contact['ID']}"
    for bad in (_relations([(a, 1), (b, 1)], "ACCOUNT_ID"),  # two primaries
                [{"ACCOUNT_ID": NEVER_ID, "IS_PRIMARY": 1}],  # no such account
                [{"IS_PRIMARY": 1}], [{"ACCOUNT_ID": a, "COLOR": "red"}], "A", [a], {"ACCOUNT_ID": a},
                [{"ACCOUNT_ID": a, "IS_PRIMARY": "maybe"}]):
        refused(pl.put(item, json={"ACCOUNT_RELATIONS": bad}), 400)
    refused(pl.put(item, json={"ACCOUNT_RELATIONS": [{"ACCOUNT_ID": x}]}), 400, 406)  # a contact
    refused(pl.put(item, json={"CONTACT_RELATIONS": []}), 400, 402)  # Contacts have no such key
    assert ok(pl.get(item)) == contact


def test_relation_arrays_keep_the_order_of_the_other_items(pl: Pipeliner) -> None:
    """README: the items after the primary "are kept and returned in order"."""
    a, b, c, d = (pl.create("Accounts", {"ORGANIZATION": n})["ID"] for n in "ABCD")
    sent = _relations([(a, 1), (d, 0), (b, 0), (c, 0)], "ACCOUNT_ID")
    for collection, body in (("Opportunities", {"OPPORTUNITY_NAME": "o"}),
                             ("Leads", {"OPPORTUNITY_NAME": "l"}), ("Contacts", {"SURNAME": "c"})):
        entity = pl.create(collection, {**body, "ACCOUNT_RELATIONS": sent})
        assert entity["ACCOUNT_RELATIONS"] == sent, collection
        again = _relations([(c, 1), (d, 0), (a, 0)], "ACCOUNT_ID")
        updated = ok(pl.put(f"/{collection}/{entity['ID']}", json={"ACCOUNT_RELATIONS": again}))
        assert updated["ACCOUNT_RELATIONS"] == again, collection


def test_emails_and_phones_fill_in_order(pl: Pipeliner) -> None:
    contact = pl.create("Contacts", {"SURNAME": "Mail", "EMAIL1": "a@x.example",
                                     "EMAIL2": "b@x.example", "PHONE1": "1"})
    item = f"/Contacts/{contact['ID']}"
    contact = ok(pl.put(item, json={"EMAIL3": "c@x.example"}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 6)] == ["a@x.example", "b@x.example",
                                                           "c@x.example", None, None]
    contact = ok(pl.patch(item, json={"EMAIL1": "z@x.example", "PHONE2": "2"}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 4)] == ["z@x.example", "b@x.example",
                                                           "c@x.example"]
    assert (contact["PHONE1"], contact["PHONE2"]) == ("1", "2")
    contact = ok(pl.put(item, json={"EMAIL4": "d@x.example", "EMAIL5": "e@x.example"}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 6)] == [
        "z@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example"]
    contact = ok(pl.put(item, json={"EMAIL5": None}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 6)] == [
        "z@x.example", "b@x.example", "c@x.example", "d@x.example", None]
    assert ok(pl.get(item)) == contact
    refused(pl.put(item, json={"EMAIL1": 5}), 400)
    refused(pl.put(item, json={"EMAIL6": "f@x.example"}), 400, 402)
    assert ok(pl.get(item)) == contact


def test_email_slots_are_the_emails_in_order(pl: Pipeliner) -> None:
    """EMAIL1..5 are the person's emails in order (as Pipedrive keeps them): writing a slot
    replaces that position, and empty slots close up (documented in the README)."""
    contact = pl.create("Contacts", {"SURNAME": "Gaps", "EMAIL1": "a@x.example"})
    item = f"/Contacts/{contact['ID']}"
    contact = ok(pl.put(item, json={"EMAIL4": "d@x.example"}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 5)] == ["a@x.example", "d@x.example", None, None]
    contact = ok(pl.put(item, json={"EMAIL2": "b@x.example", "EMAIL3": "c@x.example"}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 5)] == [
        "a@x.example", "b@x.example", "c@x.example", None], contact
    contact = ok(pl.put(item, json={"EMAIL2": None}))
    assert [contact[f"EMAIL{i}"] for i in range(1, 5)] == [
        "a@x.example", "c@x.example", None, None], contact


def test_tasks_and_appointments_are_scoped_activities(pl: Pipeliner) -> None:
    task = pl.create("Tasks", {"SUBJECT": "task", "DUE_DATE": "2030-03-04 10:00:00"})
    appointment = pl.create("Appointments", {"SUBJECT": "appointment",
                                             "START_DATE": "2030-03-05 10:00:00",
                                             "END_DATE": "2030-03-05 11:00:00"})
    assert "DUE_DATE" in task and "START_DATE" not in task and "END_DATE" not in task
    assert "START_DATE" in appointment and "END_DATE" in appointment and "DUE_DATE" not in appointment
    assert sorted(ids(listing(pl, "Activities"))) == sorted([task["ID"], appointment["ID"]])
    assert ids(listing(pl, "Tasks")) == [task["ID"]]
    assert ids(listing(pl, "Appointments")) == [appointment["ID"]]
    # each is reachable through Activities, and only through its own sub-collection
    assert ok(pl.get(f"/Activities/{task['ID']}"))["DUE_DATE"] == "2030-03-04 10:00:00"
    through = ok(pl.get(f"/Activities/{appointment['ID']}"))
    assert through["END_DATE"] == "2030-03-05 11:00:00"
    for collection, other in (("Tasks", appointment["ID"]), ("Appointments", task["ID"])):
        refused(pl.get(f"/{collection}/{other}"), 404, 420)
        refused(pl.put(f"/{collection}/{other}", json={"SUBJECT": "moved"}), 404, 420)
        refused(pl.delete(f"/{collection}/{other}"), 404, 420)
    assert ok(pl.get(f"/Appointments/{appointment['ID']}"))["SUBJECT"] == "appointment"
    assert ok(pl.get(f"/Tasks/{task['ID']}"))["SUBJECT"] == "task"
    # an appointment needs both ends; a task has no END_DATE key
    refused(pl.post("/Appointments", json={"SUBJECT": "half", "START_DATE": "2030-03-05 10:00:00"}),
            400, 404)
    refused(pl.post("/Tasks", json={"SUBJECT": "t", "END_DATE": "2030-03-05 10:00:00"}), 400, 402)
    # an activity created with an end is an appointment
    meeting = pl.create("Activities", {"SUBJECT": "via activities", "DUE_DATE": "2030-03-06 09:00:00",
                                       "END_DATE": "2030-03-06 09:30:00"})
    assert meeting["ID"] in ids(listing(pl, "Appointments"))
    assert meeting["ID"] not in ids(listing(pl, "Tasks"))
    assert sorted(ids(listing(pl, "Activities"))) == sorted(
        [task["ID"], appointment["ID"], meeting["ID"]])


def test_an_appointments_end_stays_when_only_its_start_is_sent(pl: Pipeliner) -> None:
    appointment = pl.create("Appointments", {"SUBJECT": "a", "START_DATE": "2030-01-01 10:00:00",
                                             "END_DATE": "2030-01-01 11:30:00"})
    item = f"/Appointments/{appointment['ID']}"
    moved = ok(pl.put(item, json={"START_DATE": "2030-01-01 10:30:00"}))
    assert (moved["START_DATE"], moved["END_DATE"]) == ("2030-01-01 10:30:00", "2030-01-01 11:30:00")
    refused(pl.put(item, json={"START_DATE": "2030-01-01 12:30:00"}), 400)  # after the end
    assert ok(pl.get(item)) == moved
    both = ok(pl.patch(item, json={"START_DATE": "2030-01-02 09:00:00", "END_DATE": "2030-01-02 09:15:00"}))
    assert (both["START_DATE"], both["END_DATE"]) == ("2030-01-02 09:00:00", "2030-01-02 09:15:00")


def test_client_names_round_trip(pl: Pipeliner) -> None:
    for first, last in (("Jo", "van Dyke"), ("Mary Ann", "Smith"), (None, "Prince"), ("Ana", "de la Cruz")):
        client = pl.create("Clients", {"FIRSTNAME": first, "LASTNAME": last,
                                       "EMAIL": f"{last.replace(' ', '')}@x.example"})
        assert (client["FIRSTNAME"], client["LASTNAME"]) == (first, last), client
        renamed = ok(pl.put(f"/Clients/{client['ID']}", json={"LASTNAME": "ter Horst"}))
        assert (renamed["FIRSTNAME"], renamed["LASTNAME"]) == (first, "ter Horst"), renamed


def test_notes_point_at_an_opportunity_or_a_lead(pl: Pipeliner) -> None:
    opportunity = pl.create("Opportunities", {"OPPORTUNITY_NAME": "o"})
    lead = pl.create("Leads", {"OPPORTUNITY_NAME": "l"})
    account = pl.create("Accounts", {"ORGANIZATION": "a"})
    contact = pl.create("Contacts", {"SURNAME": "c"})
    on_opportunity = pl.create("Notes", {"NOTE": "o", "OPPTY_ID": opportunity["ID"],
                                         "ADDRESSBOOK_ID": contact["ID"]})
    on_lead = pl.create("Notes", {"NOTE": "l", "OPPTY_ID": lead["ID"], "ADDRESSBOOK_ID": account["ID"]})
    assert (on_opportunity["OPPTY_ID"], on_opportunity["ADDRESSBOOK_ID"]) == (opportunity["ID"],
                                                                              contact["ID"])
    assert (on_lead["OPPTY_ID"], on_lead["ADDRESSBOOK_ID"]) == (lead["ID"], account["ID"])
    moved = ok(pl.put(f"/Notes/{on_opportunity['ID']}", json={"OPPTY_ID": lead["ID"]}))
    assert (moved["OPPTY_ID"], moved["ADDRESSBOOK_ID"]) == (lead["ID"], contact["ID"])
    assert ok(pl.get(f"/Notes/{on_opportunity['ID']}")) == moved
    unlinked = ok(pl.put(f"/Notes/{on_lead['ID']}", json={"OPPTY_ID": None}))
    assert unlinked["OPPTY_ID"] is None and unlinked["ADDRESSBOOK_ID"] == account["ID"]
    for bad in (account["ID"], NEVER_ID, 7):
        refused(pl.put(f"/Notes/{on_lead['ID']}", json={"OPPTY_ID": bad}), 400)
    refused(pl.put(f"/Notes/{on_lead['ID']}", json={"ADDRESSBOOK_ID": lead["ID"]}), 400)
    assert ok(pl.get(f"/Notes/{on_lead['ID']}")) == unlinked
    task = pl.create("Tasks", {"SUBJECT": "follow up", "OPPTY_ID": lead["ID"],
                               "CONTACT_ID": contact["ID"], "ACCOUNT_ID": account["ID"]})
    assert (task["OPPTY_ID"], task["CONTACT_ID"], task["ACCOUNT_ID"]) == (
        lead["ID"], contact["ID"], account["ID"])


def test_notes_filter_by_oppty_id_and_addressbook_id(pl: Pipeliner) -> None:
    """OPPTY_ID and ADDRESSBOOK_ID each span two entities; a filter finds either kind."""
    opportunity = pl.create("Opportunities", {"OPPORTUNITY_NAME": "o"})
    lead = pl.create("Leads", {"OPPORTUNITY_NAME": "l"})
    account = pl.create("Accounts", {"ORGANIZATION": "a"})
    contact = pl.create("Contacts", {"SURNAME": "c"})
    on_opportunity = pl.create("Notes", {"NOTE": "o", "OPPTY_ID": opportunity["ID"],
                                         "ADDRESSBOOK_ID": contact["ID"]})["ID"]
    on_lead = pl.create("Notes", {"NOTE": "l", "OPPTY_ID": lead["ID"],
                                  "ADDRESSBOOK_ID": account["ID"]})["ID"]
    assert ids(listing(pl, "Notes", filter=f"OPPTY_ID::{opportunity['ID']}")) == [on_opportunity]
    assert ids(listing(pl, "Notes", filter=f"ADDRESSBOOK_ID::{contact['ID']}")) == [on_opportunity]
    assert ids(listing(pl, "Notes", filter=f"OPPTY_ID::{lead['ID']}")) == [on_lead]
    assert ids(listing(pl, "Notes", filter=f"ADDRESSBOOK_ID::{account['ID']}")) == [on_lead]
    both = f"OPPTY_ID::{opportunity['ID']}:{lead['ID']}::in"
    assert sorted(ids(listing(pl, "Notes", filter=both))) == sorted([on_opportunity, on_lead])
    assert listing(pl, "Notes", filter=f"OPPTY_ID::{NEVER_ID}") == []


def _field(tenant: Tenant, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.api.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _data_ids(pl: Pipeliner, tenant: Tenant, key: str) -> list[str]:
    """The Data IDs of a dropdown field's options, in option order (from getFields CHOICES)."""
    for collection in ("Opportunities", "Accounts", "Contacts"):
        for row in ok(pl.get(f"/getFields/{collection}")):
            if row["API_NAME"] == key:
                return list(row["CHOICES"])
    raise AssertionError(f"no field {key}")


def test_custom_fields_are_extra_keys(pl: Pipeliner, tenant: Tenant) -> None:
    text = _field(tenant, "/v1/dealFields", {"name": "Code", "field_type": "varchar"})["key"]
    number = _field(tenant, "/v1/dealFields", {"name": "Score", "field_type": "double"})["key"]
    kind = _field(tenant, "/v1/dealFields", {"name": "Kind", "field_type": "enum",
                                              "options": [{"label": "A"}, {"label": "B"}]})["key"]
    day = _field(tenant, "/v1/dealFields", {"name": "Signed", "field_type": "date"})["key"]
    size = _field(tenant, "/v1/organizationFields", {"name": "Size", "field_type": "enum",
                                                      "options": [{"label": "S"}, {"label": "L"}]})["key"]
    a, b = _data_ids(pl, tenant, kind)
    small, large = _data_ids(pl, tenant, size)

    existing = pl.create("Opportunities", {"OPPORTUNITY_NAME": "before"})
    assert all(existing[k] is None for k in (text, number, kind, day)), existing
    opportunity = pl.create("Opportunities", {"OPPORTUNITY_NAME": "custom", text: "X-1",
                                              number: 4.5, kind: a, day: "2030-06-07"})
    assert (opportunity[text], opportunity[number], opportunity[kind], opportunity[day]) == (
        "X-1", 4.5, a, "2030-06-07")
    item = f"/Opportunities/{opportunity['ID']}"
    assert ok(pl.get(item)) == opportunity
    updated = ok(pl.put(item, json={kind: b, number: 7}))
    assert (updated[kind], updated[number], updated[text], updated[day]) == (b, 7, "X-1", "2030-06-07")
    updated = ok(pl.patch(item, json={text: None, day: "2030-06-08"}))
    assert (updated[text], updated[day], updated[kind]) == (None, "2030-06-08", b)
    for bad in ({kind: small}, {kind: "A"}, {kind: 1}, {number: "many"}, {day: "someday"},
                {text: "x" * 256}, {text: {"a": 1}}):
        refused(pl.put(item, json=bad), 400)
    assert ok(pl.get(item)) == updated
    assert ids(listing(pl, "Opportunities", filter=f"{kind}::{b}")) == [opportunity["ID"]]

    account = pl.create("Accounts", {"ORGANIZATION": "sized", size: large})
    assert account[size] == large
    assert kind not in account  # a deal field is no Account key
    refused(pl.post("/Accounts", json={"ORGANIZATION": "x", kind: a}), 400, 402)
    assert ok(pl.put(f"/Accounts/{account['ID']}", json={size: None}))[size] is None


def test_data_rows_are_the_options_of_dropdown_fields(pl: Pipeliner, tenant: Tenant) -> None:
    kind = _field(tenant, "/v1/dealFields", {"name": "Kind", "field_type": "enum",
                                              "options": [{"label": "A"}, {"label": "B"}]})
    _field(tenant, "/v1/dealFields", {"name": "Plain", "field_type": "varchar"})
    field_row = next(r for r in ok(pl.get("/getFields/Opportunities")) if r["API_NAME"] == kind["key"])
    rows = listing(pl, "Data")
    assert [r["VALUE"] for r in rows] == ["A", "B"]
    for row in rows:
        assert set(row) == {"ID", "VALUE", "ID_FIELD", "IS_DELETED"}
        assert UID.fullmatch(row["ID"]) and row["ID_FIELD"] == field_row["ID"] and row["IS_DELETED"] == 0
        assert ok(pl.get(f"/Data/{row['ID']}")) == row
    assert field_row["CHOICES"] == {r["ID"]: r["VALUE"] for r in rows}

    response = pl.post("/Data", json={"ID_FIELD": field_row["ID"], "VALUE": "C"})
    added = ok(response, 201)
    assert response.headers["location"].rsplit("/", 1)[-1] == added["ID"]
    assert (added["VALUE"], added["ID_FIELD"], added["IS_DELETED"]) == ("C", field_row["ID"], 0)
    assert ok(pl.get(f"/Data/{added['ID']}")) == added
    assert ok(pl.put(f"/Data/{added['ID']}", json={"VALUE": "C1"}))["VALUE"] == "C1"
    assert ok(pl.patch(f"/Data/{added['ID']}", json={"VALUE": "C2"}))["VALUE"] == "C2"
    assert ok(pl.post("/Data", json={"ID": added["ID"], "VALUE": "C3"}))["VALUE"] == "C3"
    assert [r["VALUE"] for r in listing(pl, "Data")] == ["A", "B", "C3"]
    options = tenant.api.get(f"/v1/dealFields/{kind['id']}").json()["data"]["options"]
    assert [o["label"] for o in options] == ["A", "B", "C3"]  # the same options, seen by Pipedrive

    # a Data row can be the value of the field; deleting it removes the option (README)
    opportunity = pl.create("Opportunities", {"OPPORTUNITY_NAME": "o", kind["key"]: added["ID"]})
    assert opportunity[kind["key"]] == added["ID"]
    for bad in ({"VALUE": "no field"}, {"ID_FIELD": NEVER_ID, "VALUE": "x"},
                {"ID_FIELD": field_row["ID"], "VALUE": "x", "COLOR": "red"}):
        refused(pl.post("/Data", json=bad), (400, 404))
    refused(pl.get(f"/Data/{NEVER_ID}"), 404, 420)
    assert [r["VALUE"] for r in listing(pl, "Data")] == ["A", "B", "C3"]
    gone = ok(pl.delete(f"/Data/{added['ID']}"))
    assert gone == {**added, "VALUE": "C3", "IS_DELETED": 1}
    assert added["ID"] not in ids(listing(pl, "Data"))
    refused(pl.get(f"/Data/{added['ID']}"), 404, 420)
    options = tenant.api.get(f"/v1/dealFields/{kind['id']}").json()["data"]["options"]
    assert [o["label"] for o in options] == ["A", "B"]
