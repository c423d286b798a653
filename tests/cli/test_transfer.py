"""import and export: custom fields by name, duplicates by key, bad rows, round trips."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from dealbase.query.ast import Keyset, Query
from dealbase.service import live
from dealbase.store.database import Database
from tests.cli.helpers import one_line_error, run
from tests.conftest import Tenant


def _fields(tenant: Tenant) -> None:
    tenant.records.create_field("deal", "Lead source", "enum",
                                [{"label": s} for s in ("Web", "Referral")])
    tenant.records.create_field("deal", "Contract months", "double")


def _deals(tenant: Tenant) -> list[dict[str, object]]:
    return tenant.records.list("deal", Query(where=live(), page=Keyset(None, 500))).items


def test_csv_import_custom_fields_duplicates_and_bad_rows(database: Database, tenant: Tenant,
                                                           tmp_path: Path) -> None:
    _fields(tenant)
    source = tmp_path / "deals.csv"
    source.write_text(
        "Title,Value,Lead source,Contract months,Expected close date\n"
        "Alpha,100,Web,12,2030-01-31\n"
        "Beta,oops,Referral,6,2030-02-01\n"          # row 3: bad value
        "Gamma,300,Nope,3,2030-03-01\n"              # row 4: unknown option
        "Delta,400,Referral,24,not a date\n"         # row 5: refused by the service
        "Alpha,150,Referral,18,\n",                  # row 6: updates Alpha (--key title)
        encoding="utf-8")
    report = tmp_path / "errors.csv"
    company = str(tenant.company.company_id)
    result = run(database, "import", "deals", str(source), "--key", "title", "--errors",
                 str(report), "--company", company)
    assert "3 row(s) refused" in one_line_error(result)
    assert "1 deal record(s) created, 1 updated" in result.stdout
    rows = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert [(r["row"], r["column"]) for r in rows] == [
        ("3", "Value"), ("4", "Lead source"), ("5", "Expected close date")]
    assert all(r["message"] for r in rows)
    deals = _deals(tenant)
    assert [d["title"] for d in deals] == ["Alpha"]  # nothing of a bad row went in
    spec = tenant.ctx.schema.entity("deal")
    source_field = next(f for f in spec.fields if f.label == "Lead source")
    months = next(f for f in spec.fields if f.label == "Contract months")
    referral = next(o.id for o in source_field.options if o.label == "Referral")
    assert deals[0]["value"] == 150.0 and deals[0][source_field.name] == referral
    assert deals[0][months.name] == 18.0 and str(deals[0]["expected_close_date"]) == "2030-01-31"

    fixed = tmp_path / "fixed.csv"
    fixed.write_text("Title,Value,Lead source\nBeta,200,Referral\nGamma,300,Web\nBeta,250,Web\n",
                     encoding="utf-8")
    again = run(database, "import", "deals", str(fixed), "--key", "title", "--company", company)
    assert again.exit_code == 0, again.output
    assert "2 deal record(s) created, 1 updated, 0 row(s) refused" in again.stdout
    by_title = {d["title"]: d for d in _deals(tenant)}
    assert sorted(by_title) == ["Alpha", "Beta", "Gamma"] and by_title["Beta"]["value"] == 250.0


def test_dry_run_writes_nothing(database: Database, tenant: Tenant, tmp_path: Path) -> None:
    source = tmp_path / "orgs.csv"
    source.write_text("name,website\nInitech,https://initech.example\nHooli,\n", encoding="utf-8")
    result = run(database, "import", "organizations", str(source), "--dry-run", "--company",
                 str(tenant.company.company_id))
    assert result.exit_code == 0, result.output
    assert "2 organization record(s) would be created" in result.stdout
    assert tenant.records.count("organization", None) == 0


def test_persons_by_email_key_from_json_lines(database: Database, tenant: Tenant,
                                              tmp_path: Path) -> None:
    company = str(tenant.company.company_id)
    source = tmp_path / "people.jsonl"
    source.write_text("\n".join(json.dumps(p) for p in [
        {"name": "Ada", "email": "ada@example.com", "job_title": "Countess"},
        {"name": "Alan", "email": "alan@example.com"},
        {"name": "Ada Lovelace", "email": "ada@example.com"},
        {"name": 42, "email": "bad@example.com"},
    ]) + "\n", encoding="utf-8")
    result = run(database, "import", "persons", str(source), "--key", "email", "--company", company)
    assert result.exit_code == 1 and "Error: 1 row(s) refused" in result.stderr
    people = tenant.records.list("person", Query(where=live(), page=Keyset(None, 10))).items
    assert [(p["name"], p["emails"][0]["value"], p["job_title"]) for p in people] == [
        ("Ada Lovelace", "ada@example.com", "Countess"), ("Alan", "alan@example.com", None)]
    assert "row 4, column 'name'" in result.stderr  # JSON Lines rows are line numbers


def test_export_then_import_round_trip(database: Database, tenant: Tenant, other: Tenant,
                                       tmp_path: Path) -> None:
    for t in (tenant, other):
        _fields(t)
    spec = tenant.ctx.schema.entity("deal")
    lead = next(f for f in spec.fields if f.label == "Lead source")
    months = next(f for f in spec.fields if f.label == "Contract months")
    for i in range(7):
        tenant.records.create("deal", {
            "title": f"Deal «{i}», \"quoted\"\nline", "value": i * 10.5, "currency": "EUR",
            "expected_close_date": f"2031-0{i + 1}-15", lead.name: lead.options[i % 2].id,
            months.name: float(i), "label_ids": [], "probability": i * 10 or None})
    tenant.records.create("deal", {"title": "deleted"})
    tenant.records.delete("deal", [_deals(tenant)[-1]["id"]])  # type: ignore[list-item]
    per_company = ("id", "owner_id", "stage_id", "pipeline_id", "team_id")
    skip = [f"--map={c}=" for c in per_company if c != "id"]
    for fmt in ("csv", "jsonl"):
        first = tmp_path / f"first.{fmt}"
        second = tmp_path / f"second.{fmt}"
        out = run(database, "export", "deals", "-o", str(first), "--company",
                  str(tenant.company.company_id))
        assert out.exit_code == 0, out.output
        assert "7 deal record(s) exported" in out.stderr
        target = other if fmt == "csv" else tenant
        if target is tenant:  # into the same company by id: every record updated in place
            result = run(database, "import", "deals", str(first), "--key", "id", "--company",
                         str(tenant.company.company_id))
            assert "0 deal record(s) created, 7 updated" in result.stdout, result.output
        else:
            result = run(database, "import", "deals", str(first), *skip, "--company",
                         str(target.company.company_id))
            assert "7 deal record(s) created" in result.stdout, result.output
        run(database, "export", "deals", "-o", str(second), "--company",
            str(target.company.company_id))
        assert _table(first, fmt, per_company) == _table(second, fmt, per_company)
        assert len(_table(first, fmt, per_company)) == 7


def _table(path: Path, fmt: str, without: tuple[str, ...]) -> list[dict[str, object]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f)) if fmt == "csv" else [json.loads(line) for line in f]
    return [{k: v for k, v in r.items() if k not in without} for r in rows]


def test_import_error_cases_are_one_line(database: Database, tenant: Tenant, tmp_path: Path) -> None:
    company = ("--company", str(tenant.company.company_id))
    good = tmp_path / "good.csv"
    good.write_text("title\nA\n", encoding="utf-8")
    odd = tmp_path / "odd.csv"
    odd.write_text("title,Shoe size\nA,42\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    readonly = tmp_path / "ro.csv"
    readonly.write_text("title,created_at\nA,2020-01-01\n", encoding="utf-8")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"title\n\xff\xfe\x00bad\n")
    for args, words in [
        (("import", "widgets", str(good)), "is not an entity"),
        (("import", "deals", str(odd)), "'Shoe size'"),
        (("import", "deals", str(empty)), "no header"),
        (("import", "deals", str(readonly)), "read-only"),
        (("import", "deals", str(binary)), "cannot read"),
        (("import", "deals", str(good), "--key", "nothing"), "no field"),
        (("import", "deals", str(good), "--map", "title"), "COLUMN=FIELD"),
        (("import", "deals", str(good), "--map", "title=nothing"), "no field"),
        (("export", "deals", "--fields", "title,nothing"), "no field"),
        (("export", "deals", "-o", str(tmp_path / "no" / "such.csv")), "cannot write"),
    ]:
        line = one_line_error(run(database, *args, *company))
        assert words in line, (args, line)
    mapped = run(database, "import", "deals", str(odd), "--map", "Shoe size=", *company)
    assert mapped.exit_code == 0, mapped.output
    assert [d["title"] for d in _deals(tenant)] == ["A"]


def test_references_by_name_e_mail_or_id(database: Database, tenant: Tenant,
                                         tmp_path: Path) -> None:
    """Organization, person and stage columns may name a record; owner by e-mail or name.
    A name that no live record, or several, have refuses that row (and only it)."""
    initech = tenant.records.create("organization", {"name": "Initech"})
    tenant.records.create("organization", {"name": "Twin"})
    tenant.records.create("organization", {"name": "Twin"})
    gone = tenant.records.create("organization", {"name": "Gone"})
    tenant.records.delete("organization", [gone["id"]])
    milton = tenant.records.create("person", {"name": "Milton Waddams"})
    kim = tenant.records.create("user", {"name": "Kim Lee", "email": "kim@acme.example"})
    stage = tenant.records.list("stage", Query(where=live(), page=Keyset(None, 1))).items[0]
    source = tmp_path / "deals.csv"
    source.write_text(
        "Title,Organization,Person,Owner,Stage\n"
        f"One,Initech,Milton Waddams,kim@acme.example,{stage['name']}\n"
        f"Two,{initech['id']},,Kim Lee,\n"
        "Three,Twin,,,\n"          # row 4: two organizations are named Twin
        "Four,Gone,,,\n"           # row 5: a deleted one is no one
        "Five,Initech,Nobody,,\n",  # row 6: no such person
        encoding="utf-8")
    report = tmp_path / "errors.csv"
    result = run(database, "import", "deals", str(source), "--errors", str(report),
                 "--company", str(tenant.company.company_id))
    assert "3 row(s) refused" in one_line_error(result)
    rows = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert [(r["row"], r["column"]) for r in rows] == [
        ("4", "Organization"), ("5", "Organization"), ("6", "Person")]
    assert "2 organizations are named 'Twin'" in rows[0]["message"]
    assert "no organization is named 'Gone'" in rows[1]["message"]
    by_title = {d["title"]: d for d in _deals(tenant)}
    assert sorted(by_title) == ["One", "Two"]
    one, two = by_title["One"], by_title["Two"]
    assert (one["organization_id"], one["person_id"], one["owner_id"], one["stage_id"]) == (
        initech["id"], milton["id"], kim["id"], stage["id"])
    assert (two["organization_id"], two["owner_id"]) == (initech["id"], kim["id"])


def _mixed_csv(path: Path, rows: int, *, bad: bool = True) -> None:
    """Deals with every kind of row an import meets: good ones (custom fields, names of
    organizations), and (``bad``) cells refused on reading, names that resolve to none,
    and, between rows 1,000 and 1,010 only, rows the records service refuses."""
    lines = ["Title,Value,Lead source,Contract months,Organization,Expected close date"]
    for n in range(rows):
        value = "oops" if bad and n % 97 == 5 else str(n * 10)
        source = "Nope" if bad and n % 89 == 7 else ("Web", "Referral")[n % 2]
        org = ("Initech", "", "Nobody")[n % 3] if bad and n % 13 == 0 else (
            "Initech" if n % 2 else "")
        when = ("not a date" if bad and 1000 <= n < 1010 and n % 3 == 0
                else f"2031-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
        lines.append(f"Deal {n},{value},{source},{n % 36},{org},{when}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _stored(tenant: Tenant) -> list[tuple[object, ...]]:
    spec = tenant.ctx.schema.entity("deal")
    source = next(f for f in spec.fields if f.label == "Lead source")
    months = next(f for f in spec.fields if f.label == "Contract months")
    labels = {o.id: o.label for o in source.options or ()}
    orgs = {r["id"]: r["name"] for r in tenant.records.list(
        "organization", Query(page=Keyset(None, 100))).items}
    deals: list[dict[str, object]] = []
    after = None
    while True:
        page = tenant.records.list("deal", Query(where=live(), page=Keyset(after, 500)))
        deals.extend(page.items)
        after = page.last_key()
        if after is None:
            break
    return [(d["title"], d["value"], labels.get(d[source.name]), d[months.name],  # type: ignore[arg-type]
             orgs.get(d["organization_id"]), str(d["expected_close_date"]), d["status"])  # type: ignore[arg-type]
            for d in deals]


def _counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Calls of ``owner.name`` from now on (one entry per call)."""
    calls: list[int] = []
    original = getattr(owner, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_pipelined_import_writes_what_the_batch_path_writes(
        database: Database, tenant: Tenant, other: Tenant, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --key, each batch is drafted while the one before is written; with a key
    that matches nothing, the rows go through Unit.batch in line: the same records, ids in
    the file's order, the same tally and the same report, row by row."""
    from dealbase.cli import transfer
    from dealbase.service.records import Records, _Lookup

    for t in (tenant, other):
        _fields(t)
        t.records.create("organization", {"name": "Initech"})
    source = tmp_path / "deals.csv"
    _mixed_csv(source, 2600)
    batches = _counting(monkeypatch, transfer, "write_drafted")
    inserts = _counting(monkeypatch, Records, "insert")
    confirmed: list[bool] = []
    confirms = _Lookup.confirms

    def noted(lookup: _Lookup, reads: Any) -> bool:
        confirmed.append(confirms(lookup, reads))
        return confirmed[-1]

    monkeypatch.setattr(_Lookup, "confirms", noted)
    outcomes = []
    for t, extra in ((tenant, ()), (other, ("--key", "title"))):
        report = tmp_path / f"errors-{t.company.company_id}.csv"
        result = run(database, "import", "deals", str(source), "--batch-size", "700",
                     "--errors", str(report), *extra, "--company", str(t.company.company_id))
        outcomes.append((result.exit_code, result.stdout, report.read_text(encoding="utf-8")))
        if not extra:  # one batch (rows 1,000-1,010) refused by its draft, written in line
            assert len(batches) == 4 and len(inserts) == 3 and confirmed == [True] * 3
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 1 and "0 updated" in outcomes[0][1]
    lines = outcomes[0][2].splitlines()
    assert len(lines) > 100 and {"Value", "Lead source", "Organization",
                                 "Expected close date"} <= {ln.split(",")[1] for ln in lines[1:]}
    mine = _stored(tenant)
    assert mine == _stored(other) and len(mine) > 2000
    assert [m[0] for m in mine] == sorted((m[0] for m in mine), key=lambda t: int(str(t)[5:]))


def test_an_import_whose_draft_went_stale_writes_what_the_database_holds_then(
        database: Database, tenant: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An organization deleted by another writer after a batch was drafted, before it is
    written: the rows naming it are refused, as if the batch had been read after it."""
    from dealbase.cli import transfer

    _fields(tenant)
    initech = tenant.records.create("organization", {"name": "Initech"})
    source = tmp_path / "deals.csv"
    _mixed_csv(source, 1200, bad=False)  # (every row good: batch k is rows 400k-398..400k+1)
    written = transfer.write_drafted
    calls: list[int] = []

    def meanwhile(*args: object, **kwargs: object) -> None:
        if len(calls) == 1:  # the second batch: drafted while Initech was still there
            tenant.records.delete("organization", [initech["id"]])
        calls.append(1)
        written(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transfer, "write_drafted", meanwhile)
    report = tmp_path / "errors.csv"
    result = run(database, "import", "deals", str(source), "--batch-size", "400", "--errors",
                 str(report), "--company", str(tenant.company.company_id))
    assert result.exit_code == 1 and len(calls) == 3
    refused = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert {r["message"] for r in refused} == {"no organization is named 'Initech'"}
    naming = [n + 2 for n in range(1200) if n % 2]  # (the rows that name Initech)
    assert [int(r["row"]) for r in refused] == [row for row in naming if row > 401]
    stored = _stored(tenant)
    assert len(stored) == 1200 - len(refused)
    assert sorted(int(str(s[0])[5:]) + 2 for s in stored if s[4] == "Initech") == [
        row for row in naming if row <= 401]


def test_a_record_named_by_a_row_of_the_batch_before_is_found(
        database: Database, tenant: Tenant, tmp_path: Path) -> None:
    """Organizations whose parent is an organization of the file, named, 300 rows
    earlier: the batch before went in by the time a batch is written, even if not yet when
    it was drafted; every parent is found."""
    source = tmp_path / "orgs.csv"
    source.write_text("name,parent_organization_id\n" + "".join(
        f"Org {n},{f'Org {n - 300}' if n >= 300 else ''}\n" for n in range(1200)),
        encoding="utf-8")
    result = run(database, "import", "organizations", str(source), "--batch-size", "300",
                 "--company", str(tenant.company.company_id))
    assert result.exit_code == 0, result.output
    assert "1200 organization record(s) created, 0 updated, 0 row(s) refused" in result.stdout
    orgs = tenant.records.list("organization", Query(page=Keyset(None, 2000))).items
    by_id = {o["id"]: o["name"] for o in orgs}
    assert sorted((o["name"], by_id.get(o["parent_organization_id"])) for o in orgs) == sorted(
        (f"Org {n}", f"Org {n - 300}" if n >= 300 else None) for n in range(1200))
