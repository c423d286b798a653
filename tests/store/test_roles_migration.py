"""Migration 0017 (roles): a database of companies made before roles existed gets each
company's default role, with the company's users in it (SQLite and PostgreSQL)."""

from __future__ import annotations

from dealbase.query.ast import Cond, Query
from dealbase.service import Roles, Service
from dealbase.settings import Settings
from dealbase.store.database import Database
from tests.store.test_store import _diffs, _head, _move_to, _version, fresh_url

__all__ = ["fresh_url"]  # (the fixture, used by name)


def test_existing_companies_get_their_default_role(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        db.migrate()
        service = Service(Settings(database_url=db.url), db)
        made = [service.create_company(name, f"boss@{name.lower()}.example")
                for name in ("Initech", "Hooli")]
        ctx = service.admin(made[0].company_id, made[0].user_id)
        with service.unit(ctx, write=True) as unit:
            unit.create("user", {"name": "Kim", "email": "kim@initech.example"})
        _move_to(db, "0016", down=True)  # as before roles existed
        assert _version(db) == ["0016"]
    finally:
        db.dispose()

    db = Database(fresh_url)
    try:
        db.migrate()
        assert _version(db) == [_head()] and _diffs(db) == []
        service = Service(Settings(database_url=db.url), db)
        for company, users in zip(made, (2, 1), strict=True):
            ctx = service.admin(company.company_id, company.user_id)
            with service.unit(ctx) as unit:
                roles = Roles(unit)
                [default] = roles.all()
                assert (default["name"], default["is_default"], default["parent_id"],
                        default["assignment_count"]) == ("(Unassigned users)", True, None, users)
                assert roles.settings(default["id"])["deal_default_visibility"] == 3
                assert unit.count("user", Cond("role_id", "eq", default["id"])) == users
                assert roles.role_of(company.user_id)["id"] == default["id"]
                assert unit.list("user", Query()).items[0]["role_id"] == default["id"]
    finally:
        db.dispose()
