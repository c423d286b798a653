"""New records drafted by one unit and written by a later one (``Unit.draft`` then
``Unit.insert``: the import's pipeline) against ``create_many`` in one unit: the same
records, change-log rows and index rows; and a draft whose reads changed in between
(drafted again, or refused), another company's draft, a string id taken meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dealbase.domain.errors import Conflict, NotFound, ValidationError
from dealbase.query.ast import Keyset, Query
from dealbase.service import Service, live
from tests.store.test_batch_equivalence import UID, Company, _normal, pinned  # noqa: F401


def _symbolic(count: int) -> list[dict[str, Any]]:
    """Deals of every shape the batch path groups (statuses, lists, custom fields, a
    stage or none, a string id chosen by the client)."""
    rows: list[dict[str, Any]] = [
        {"title": f"Draft {n}", "value": float(n), "status": ("won", "open", "lost")[n % 3],
         "Months": n % 40, "watcher_ids": (["admin"], [], None)[n % 5 % 3],
         "Source": "ab"[n % 2], "Code": f"c{n}" if n % 7 else None,
         "expected_close_date": "2031-07-08" if n % 11 else None} for n in range(count)]
    for n, row in enumerate(rows):
        if n % 3:  # (the others go to the first pipeline's first stage)
            row["stage_id"] = ("first", "second")[n % 2]
    rows[5]["uid"] = 1
    return rows


@pytest.fixture
def drafts(pinned: Service) -> Iterator[list[int]]:  # noqa: F811
    """How many records ``Records.draft`` drafted, call by call."""
    records = pinned._records
    draft = records.draft
    calls: list[int] = []

    def counted(tx: Any, ctx: Any, entity: str, items: Any) -> Any:
        calls.append(len(items))
        return draft(tx, ctx, entity, items)

    records.draft = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        records.draft = draft  # type: ignore[method-assign]


def test_a_draft_written_later_is_what_create_many_writes(pinned: Service,  # noqa: F811
                                                          drafts: list[int]) -> None:
    ours, theirs = Company(pinned, "Drafted"), Company(pinned, "Created")
    symbolic = _symbolic(1234)  # (more than one multi-row INSERT of each size)
    with pinned.unit(ours.ctx) as unit:
        draft = unit.draft("deal", [ours.concrete(r) for r in symbolic])
    with pinned.unit(ours.ctx) as unit:
        assert unit.count("deal", live()) == 0  # (a draft writes nothing)
    with pinned.unit(ours.ctx, write=True) as unit:
        mine = unit.insert(draft)
    assert drafts == [1234]  # nothing it read changed: not drafted again
    with pinned.unit(theirs.ctx, write=True) as unit:
        other = unit.create_many("deal", [theirs.concrete(r) for r in symbolic])
    assert mine == sorted(mine) and len(set(mine)) == len(symbolic)

    where = {c: c.positions() for c in (ours, theirs)}
    with pinned.unit(ours.ctx) as unit:
        got = unit.get_many("deal", mine)
        logs = {i: unit.changes("deal", i) for i in mine[::97]}
    with pinned.unit(theirs.ctx) as unit:
        expected = unit.get_many("deal", other)
        their_logs = {i: unit.changes("deal", i) for i in other[::97]}
    assert [_normal(ours, where[ours], got[i]) for i in mine] == [
        _normal(theirs, where[theirs], expected[i]) for i in other]
    assert got[mine[5]]["uid"] == UID.format(1)
    assert [[(c.action, c.at, c.user_id == ours.user_id,
              _normal(ours, where[ours], c.changes, changes=True)) for c in log]
            for log in logs.values()] == [
        [(c.action, c.at, c.user_id == theirs.user_id,
          _normal(theirs, where[theirs], c.changes, changes=True)) for c in log]
        for log in their_logs.values()]
    assert ours.index({a: n for n, a in enumerate(mine)}) == theirs.index(
        {b: n for n, b in enumerate(other)})
    with pinned.unit(ours.ctx) as unit:  # found by what the index holds
        assert [h.id for h in unit.search(["deal"], "Draft 1233", exact=True)] == [mine[-1]]


def test_a_draft_whose_stage_moved_is_drafted_again(pinned: Service,  # noqa: F811
                                                     drafts: list[int]) -> None:
    company = Company(pinned, "Moved")
    stage = company.stages["first"]
    with pinned.unit(company.ctx, write=True) as unit:
        second = unit.create("pipeline", {"name": "Second"})["id"]
    with pinned.unit(company.ctx) as unit:
        draft = unit.draft("deal", [{"title": f"M{n}", "stage_id": stage} for n in range(600)])
    with pinned.unit(company.ctx, write=True) as unit:  # another writer, in between
        unit.update("stage", stage, {"pipeline_id": second})
    with pinned.unit(company.ctx, write=True) as unit:
        ids = unit.insert(draft)
    assert drafts == [600, 600]  # drafted again, in the writing unit
    with pinned.unit(company.ctx) as unit:
        found = unit.get_many("deal", ids, ("stage_id", "pipeline_id"))
    assert {(r["stage_id"], r["pipeline_id"]) for r in found.values()} == {(stage, second)}


def test_a_draft_whose_reference_went_is_refused_and_writes_nothing(
        pinned: Service) -> None:  # noqa: F811
    company = Company(pinned, "Went")
    with pinned.unit(company.ctx, write=True) as unit:
        person = unit.create("person", {"name": "Milton"})["id"]
    with pinned.unit(company.ctx) as unit:
        draft = unit.draft("deal", [{"title": f"W{n}", "person_id": person if n == 450 else None}
                                    for n in range(500)])
    with pinned.unit(company.ctx, write=True) as unit:
        unit.delete("person", [person])
    with pytest.raises(ValidationError) as refused, pinned.unit(company.ctx, write=True) as unit:
        unit.insert(draft)
    assert [p.field for p in refused.value.problems] == ["person_id"]
    with pinned.unit(company.ctx) as unit:
        assert unit.count("deal", live()) == 0


def test_another_companys_draft_and_a_string_id_taken_meanwhile_are_refused(
        pinned: Service) -> None:  # noqa: F811
    ours, theirs = Company(pinned, "Ours"), Company(pinned, "Theirs")
    chosen = UID.format(9)
    with pinned.unit(ours.ctx) as unit:
        draft = unit.draft("deal", [{"title": "Mine", "uid": chosen}, {"title": "Also"}])
    with pytest.raises(NotFound), pinned.unit(theirs.ctx, write=True) as unit:
        unit.insert(draft)
    with pinned.unit(ours.ctx, write=True) as unit:
        unit.create("deal", {"title": "First", "uid": chosen})
    with pytest.raises(Conflict), pinned.unit(ours.ctx, write=True) as unit:
        unit.insert(draft)
    for company, titles in ((ours, ["First"]), (theirs, [])):
        with pinned.unit(company.ctx) as unit:
            assert [r["title"] for r in unit.list("deal", Query(
                where=live(), page=Keyset(None, 10))).items] == titles


def test_a_draft_written_by_another_user_is_drafted_again_as_theirs(
        pinned: Service, drafts: list[int]) -> None:  # noqa: F811
    company = Company(pinned, "Two")
    with pinned.unit(company.ctx, write=True) as unit:
        kim = unit.create("user", {"name": "Kim", "email": "kim@two.example"})["id"]
    as_kim = pinned.admin(company.ctx.company_id, kim)
    with pinned.unit(company.ctx) as unit:
        draft = unit.draft("deal", [{"title": "Theirs"}])
    with pinned.unit(as_kim, write=True) as unit:
        [made] = unit.insert(draft)
    assert drafts == [1, 1]
    with pinned.unit(as_kim) as unit:
        record, log = unit.get("deal", made), unit.changes("deal", made)
    assert (record["creator_id"], record["owner_id"], log[0].user_id) == (kim, kim, kim)
