"""Followers (Pipedrive v1 and v2) of deals, persons, organizations and products, the
followers of a user, their changelog (v2), and the users permitted to see a record.

- v1 ``GET/POST /{kind}/{id}/followers``, ``DELETE /{kind}/{id}/followers/{follower_id}``;
  ``GET /users/{id}/followers`` (the ids of the users following).
- v2 ``GET/POST /{kind}/{id}/followers`` (cursor pages), ``DELETE …/followers/{follower_id}``,
  ``GET …/followers/changelog`` (who added and removed whom), ``GET /users/{id}/followers``.
- ``GET /{kind}/{id}/permittedUsers`` (v1; leads too): the users the records service lets
  see the record.

A record's followers are its ``watcher_ids`` (Pipeliner's WATCHERS), kept by the records
service (``Unit.follow``, ``unfollow``, ``followers``, ``follower_changes``). A follow is
named by its user's id in both versions (v1's ``id`` of a follow is that user id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.errors import Forbidden, NotFound, Reason
from ...query.ast import Cond, Filter, Sort, all_of
from ...service import Unit, decode_cursor, encode_cursor
from ..body import query_params
from . import params, render
from .routes import PREFIXES, Api, Handler, record_id, routes_at, uid_record

# path -> (entity, the key v1 names the followed record by)
KINDS: Mapping[str, tuple[str, str]] = {
    "deals": ("deal", "deal_id"), "persons": ("person", "person_id"),
    "organizations": ("organization", "org_id"), "products": ("product", "product_id")}
AFTER = (Sort("after"),)  # v2 pages: the place after which the next page starts


def live_id(record_id: int) -> Filter | None:
    return all_of(Cond("id", "eq", record_id), Cond("is_deleted", "eq", False))


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


def _page(q: Mapping[str, str], api: Api, items: list[Any]) -> tuple[list[Any], str | None]:
    """A v2 cursor page of ``items`` (the cursor holds the place the page starts at)."""
    limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                           api.settings.max_page_size)
    start = 0
    if q.get("cursor"):
        (start,) = decode_cursor(q["cursor"], AFTER)
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise params.bad("cursor", "Invalid cursor")
    more = len(items) > start + limit
    return items[start:start + limit], encode_cursor(AFTER, (start + limit,)) if more else None


def _reading(api: Api, answer: Callable[[Unit, int, Mapping[str, str]], Response]) -> Handler:
    """A GET of the record the path names: ``answer(unit, its id, the query)``."""
    async def handler(request: Request) -> Response:
        record, q = record_id(request), query_params(request)
        return await api.read(request, lambda unit: answer(unit, record, q))
    return handler


def _v2_follows(api: Api, q: Mapping[str, str], follows: list[tuple[int, Any]]) -> Response:
    page, cursor = _page(q, api, follows)
    return render.success([{"user_id": u, "add_time": render.v2_time(at)} for u, at in page],
                          additional_data={"next_cursor": cursor})


def _list(api: Api, entity: str, key: str, version: str) -> Handler:
    def answer(unit: Unit, parent_id: int, q: Mapping[str, str]) -> Response:
        follows = unit.followers(entity, parent_id)
        if version == "v2":
            return _v2_follows(api, q, follows)
        start = params.integer(q, "start", 0, 0, 10**9)
        limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                               api.settings.max_page_size)
        return render.success(
            [{"user_id": u, "id": u, key: parent_id, "add_time": render.v1_time(at)}
             for u, at in follows[start:start + limit]],
            additional_data=render.v1_pagination(start, limit, len(follows) > start + limit))
    return _reading(api, answer)


def _add(api: Api, entity: str, key: str, version: str, status: int) -> Handler:
    async def handler(request: Request) -> Response:
        parent_id = record_id(request)
        raw = await api.raw_body(request)

        def work(unit: Unit) -> Response:
            user_id = _user_id(api, request, raw)
            unit.follow(entity, parent_id, user_id)
            at = render.v2_time(unit.now()) if version == "v2" else render.v1_time(unit.now())
            shown = {"user_id": user_id, "add_time": at} if version == "v2" else {
                "user_id": user_id, "id": user_id, key: parent_id, "add_time": at}
            return render.success(shown, status=status)
        return await api.write(request, work, raw)
    return handler


def _remove(api: Api, entity: str, version: str) -> Handler:
    async def handler(request: Request) -> Response:
        parent_id = record_id(request)

        def work(unit: Unit) -> Response:
            user_id = record_id(request, "follower_id")
            unit.unfollow(entity, parent_id, user_id)
            return render.success({"user_id": user_id} if version == "v2" else {"id": user_id})
        return await api.write(request, work)
    return handler


def _changelog(api: Api, entity: str) -> Handler:
    """Who started and stopped following the record, oldest first, in cursor pages."""
    def answer(unit: Unit, parent_id: int, q: Mapping[str, str]) -> Response:
        if unit.find(entity, live_id(parent_id)) is None:
            raise NotFound(f"{entity.capitalize()} not found")
        page, cursor = _page(q, api, unit.follower_changes(entity, parent_id))
        return render.success(
            [{"action": action, "actor_user_id": actor, "follower_user_id": user_id,
              "time": render.v2_time(at)} for action, user_id, actor, at, _ in page],
            additional_data={"next_cursor": cursor})
    return _reading(api, answer)


def _user_followers(api: Api, version: str) -> Handler:
    """The users following a user: admins see anyone's, a user their own."""
    def answer(unit: Unit, user_id: int, q: Mapping[str, str]) -> Response:
        if not unit.ctx.is_admin and unit.ctx.user_id != user_id:
            raise Forbidden("Only admins can see another user's followers")
        follows = unit.followers("user", user_id)
        if version == "v1":
            return render.success([u for u, _ in follows])
        return _v2_follows(api, q, follows)
    return _reading(api, answer)


def _permitted(api: Api, entity: str, by_uid: Callable[[Unit, str], int] | None) -> Handler:
    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            target = (by_uid(unit, request.path_params["id"]) if by_uid is not None
                      else record_id(request))
            if unit.find(entity, live_id(target)) is None:
                raise NotFound(f"{entity.capitalize()} not found")
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
