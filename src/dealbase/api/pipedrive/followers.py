"""Followers (Pipedrive v1 and v2) of deals, persons, organizations and products, the
followers of a user, their changelog (v2), and the users permitted to see a record.

- v1 ``GET/POST /{kind}/{id}/followers``, ``DELETE /{kind}/{id}/followers/{follower_id}``
  (the follow's id); ``GET /users/{id}/followers`` (the ids of the users following).
- v2 ``GET/POST /{kind}/{id}/followers`` (cursor pages), ``DELETE …/followers/{user_id}``
  (v2 names the follower by user id), ``GET …/followers/changelog`` (who added and
  removed whom, from the change log), ``GET /users/{id}/followers``.
- ``GET /{kind}/{id}/permittedUsers`` (v1; leads too): the users the records service lets
  see the record.

Follows are ``follower`` records (``domain.entities.follower``): made and deleted through
the records service, so the change log holds the history and ``followers_count`` follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.entities.follower import FOLLOWED
from ...domain.errors import Forbidden, NotFound, Reason
from ...query.ast import Cond, Cursor, Keyset, Offset, Query, Sort, all_of
from ...service import Unit, decode_cursor, encode_cursor, live
from ..body import query_params
from . import params, render
from .routes import PREFIXES, Api, Handler, record_id, routes_at, uid_record

# path -> (entity, the key v1 names the followed record by)
KINDS: Mapping[str, tuple[str, str]] = {
    "deals": ("deal", "deal_id"), "persons": ("person", "person_id"),
    "organizations": ("organization", "org_id"), "products": ("product", "product_id")}
MOST = 10_000  # follows of one record read at once (a company has fewer users)
CHANGES = (Sort("seq"),)


def _parent(unit: Unit, entity: str, parent_id: int) -> None:
    if unit.find(entity, live(Cond("id", "eq", parent_id))) is None:
        raise NotFound(f"{entity.capitalize()} not found")


def _user_id(api: Api, request: Request, raw: Any) -> int:
    body = api.parse_body(request, raw)
    if not isinstance(body, dict) or set(body) != {"user_id"}:
        raise params.bad("user_id", "The body takes user_id (and nothing else)",
                         Reason.MALFORMED)
    value = body["user_id"]
    if isinstance(value, str):
        value = params.integer({"user_id": value}, "user_id", 0, 1, 2**63 - 1)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise params.bad("user_id", "user_id must be a user's id")
    return value


def _follows(unit: Unit, field: str, target: int, page: Offset | Keyset | Cursor,
             alive: bool = True) -> Any:
    where = all_of(Cond(field, "eq", target), Cond("is_deleted", "eq", False) if alive else None)
    return unit.list("follower", Query(where=where, sort=(Sort("id"),), page=page))


def _v1(key: str, follow: Mapping[str, Any], field: str) -> dict[str, Any]:
    return {"user_id": follow["user_id"], "id": follow["id"], key: follow[field],
            "add_time": render.v1_time(follow["created_at"])}


def _v2(follow: Mapping[str, Any]) -> dict[str, Any]:
    return {"user_id": follow["user_id"], "add_time": render.v2_time(follow["created_at"])}


def _list(api: Api, entity: str, key: str, version: str) -> Handler:
    field = FOLLOWED[entity]

    async def handler(request: Request) -> Response:
        parent_id, q = record_id(request), query_params(request)

        def work(unit: Unit) -> Response:
            _parent(unit, entity, parent_id)
            limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                                   api.settings.max_page_size)
            if version == "v2":
                page = _follows(unit, field, parent_id, Cursor(q.get("cursor") or None, limit))
                return render.success([_v2(f) for f in page.items],
                                      additional_data={"next_cursor": page.next_cursor})
            start = params.integer(q, "start", 0, 0, 10**9)
            page = _follows(unit, field, parent_id, Offset(start, limit))
            return render.success([_v1(key, f, field) for f in page.items],
                                  additional_data=render.v1_pagination(start, limit, page.more))
        return await api.read(request, work)
    return handler


def _add(api: Api, entity: str, key: str, version: str, status: int) -> Handler:
    field = FOLLOWED[entity]

    async def handler(request: Request) -> Response:
        parent_id = record_id(request)
        raw = await api.raw_body(request)

        def work(unit: Unit) -> Response:
            _parent(unit, entity, parent_id)
            made = unit.create("follower", {"user_id": _user_id(api, request, raw),
                                            field: parent_id})
            shown = _v2(made) if version == "v2" else _v1(key, made, field)
            return render.success(shown, status=status)
        return await api.write(request, work, raw)
    return handler


def _remove(api: Api, entity: str, version: str) -> Handler:
    """v1 names the follow by its id, v2 by the following user's id."""
    field = FOLLOWED[entity]

    async def handler(request: Request) -> Response:
        parent_id = record_id(request)

        def work(unit: Unit) -> Response:
            named = record_id(request, "follower_id")
            _parent(unit, entity, parent_id)
            by = "user_id" if version == "v2" else "id"
            follow = unit.find("follower", live(all_of(Cond(field, "eq", parent_id),
                                                       Cond(by, "eq", named))))
            if follow is None:
                raise NotFound("Follower not found")
            unit.delete("follower", [follow["id"]])
            return render.success({"user_id": follow["user_id"]} if version == "v2"
                                  else {"id": follow["id"]})
        return await api.write(request, work)
    return handler


def _changelog(api: Api, entity: str) -> Handler:
    """Who started and stopped following the record, oldest first, in cursor pages."""
    field = FOLLOWED[entity]

    async def handler(request: Request) -> Response:
        parent_id, q = record_id(request), query_params(request)

        def work(unit: Unit) -> Response:
            _parent(unit, entity, parent_id)
            limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                                   api.settings.max_page_size)
            after = 0
            if q.get("cursor"):
                (after,) = decode_cursor(q["cursor"], CHANGES)
                if isinstance(after, bool) or not isinstance(after, int):
                    raise params.bad("cursor", "Invalid cursor")
            follows = {f["id"]: f for f in _follows(unit, field, parent_id,
                                                     Keyset(None, MOST), alive=False).items}
            rows = sorted((c for i in follows for c in unit.changes("follower", i)
                           if c.action in ("create", "delete") and c.seq > after),
                          key=lambda c: c.seq)
            page, more = rows[:limit], len(rows) > limit
            data = [{"action": "added" if c.action == "create" else "removed",
                     "actor_user_id": c.user_id,
                     "follower_user_id": follows[c.record_id]["user_id"],
                     "time": render.v2_time(c.at)} for c in page]
            cursor = encode_cursor(CHANGES, (page[-1].seq,)) if more else None
            return render.success(data, additional_data={"next_cursor": cursor})
        return await api.read(request, work)
    return handler


def _user_followers(api: Api, version: str) -> Handler:
    """The users following a user: admins see anyone's, a user their own."""
    field = FOLLOWED["user"]

    async def handler(request: Request) -> Response:
        user_id, q = record_id(request), query_params(request)

        def work(unit: Unit) -> Response:
            if not unit.ctx.is_admin and unit.ctx.user_id != user_id:
                raise Forbidden("Only admins can see another user's followers")
            _parent(unit, "user", user_id)
            if version == "v1":
                page = _follows(unit, field, user_id, Keyset(None, MOST))
                return render.success([f["user_id"] for f in page.items])
            limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                                   api.settings.max_page_size)
            page = _follows(unit, field, user_id, Cursor(q.get("cursor") or None, limit))
            return render.success([_v2(f) for f in page.items],
                                  additional_data={"next_cursor": page.next_cursor})
        return await api.read(request, work)
    return handler


def _permitted(api: Api, entity: str, by_uid: Callable[[Unit, str], int] | None) -> Handler:
    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            target = (by_uid(unit, request.path_params["id"]) if by_uid is not None
                      else record_id(request))
            _parent(unit, entity, target)
            return render.success(unit.permitted_users(entity, target))
        return await api.read(request, work)
    return handler


def routes(api: Api) -> list[BaseRoute]:
    v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
    out: list[BaseRoute] = []
    for path, (entity, key) in KINDS.items():
        at = f"/{path}/{{id}}/followers"
        out += routes_at(v1, at, _list(api, entity, key, "v1"), ["GET"])
        out += routes_at(v1, at, _add(api, entity, key, "v1",
                                      201 if entity == "product" else 200), ["POST"])
        out += routes_at(v1, f"{at}/{{follower_id}}", _remove(api, entity, "v1"), ["DELETE"])
        out += routes_at(v2, at, _list(api, entity, key, "v2"), ["GET"])
        out += routes_at(v2, at, _add(api, entity, key, "v2", 201), ["POST"])
        out += routes_at(v2, f"{at}/{{follower_id}}", _remove(api, entity, "v2"), ["DELETE"])
        out += routes_at(v2, f"{at}/changelog", _changelog(api, entity), ["GET"])
        out += routes_at(v1, f"/{path}/{{id}}/permittedUsers", _permitted(api, entity, None),
                         ["GET"])
    out += routes_at(v1, "/leads/{id}/permittedUsers",
                     _permitted(api, "lead", lambda unit, wire: uid_record(unit, "lead", wire)),
                     ["GET"])
    out += routes_at(v1, "/users/{id}/followers", _user_followers(api, "v1"), ["GET"])
    out += routes_at(v2, "/users/{id}/followers", _user_followers(api, "v2"), ["GET"])
    return out


__all__ = ["routes"]
