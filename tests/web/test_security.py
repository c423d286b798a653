"""The web app's doors, checked over its whole route table (issue 17): requests without a
session or with a bad CSRF token are refused and change nothing; one company's user never
sees another company's data through any page or fragment; pages carry the security
headers and the session cookie its flags.

The routes are read from the app (``create_app``'s router), so pages added later are
covered the day they are added: every route not under the API's, docs' or assets'
prefixes is a web route. A path parameter is filled with a seeded record of the entity it
names (``/deals/{id}`` → a deal, ``{stage_id}`` → a stage, ...); a route whose parameter
cannot be filled fails ``test_every_web_route_can_be_checked`` by name, so no route slips
by. Two companies are seeded once per backend (module scope): A, whose every string
carries a distinctive token, and B, whose admin is signed in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route

from tests.api.answers import data
from tests.conftest import SyncClient, Tenant, _tenant
from tests.web.conftest import Browser

API_PREFIXES = ("/v1", "/api", "/rest_services", "/oauth", "/docs", "/static", "/healthz",
                "/readyz")
# (method, path) that answer without a session by design: signing in, invitations (their
# token is the secret; tests/web/test_auth.py checks them)
PUBLIC = {("GET", "/signin"), ("POST", "/signin"), ("GET", "/invite/{token}"),
          ("POST", "/invite/{token}")}
# A path segment (a collection's name) -> the entity whose id follows it
PLURALS = {"deals": "deal", "deal": "deal", "persons": "person", "people": "person",
           "person": "person", "organizations": "organization", "orgs": "organization",
           "organization": "organization", "activities": "activity", "activity": "activity",
           "notes": "note", "note": "note", "products": "product", "product": "product",
           "users": "user", "user": "user", "pipelines": "pipeline", "pipeline": "pipeline",
           "stages": "stage", "stage": "stage", "column": "stage", "columns": "stage",
           "fields": "field", "field": "field", "tokens": "token", "token": "token",
           "webhooks": "webhook", "webhook": "webhook", "roles": "role", "role": "role"}
# A parameter's name -> the entity whose id it takes
NAMED = {f"{entity}_id": entity for entity in set(PLURALS.values())} | {
    "org_id": "organization", "owner_id": "user", "record_id": "", "id": ""}
# Parameters naming an entity (``/admin/fields/{entity}/{id}``): the entity they take
ENTITY_PARAMS = {"entity": "deal", "kind": "deal"}
# Query parameters a page may read an id from (each given the other company's ids)
ID_QUERIES = {"pipeline": "pipeline", "pipeline_id": "pipeline", "stage": "stage",
              "stage_id": "stage", "user": "user", "user_id": "user", "owner": "user",
              "owner_id": "user", "person": "person", "person_id": "person",
              "organization": "organization", "org_id": "organization",
              "organization_id": "organization", "deal": "deal", "deal_id": "deal",
              "product": "product", "activity": "activity"}
SEARCH_QUERIES = ("q", "term", "search")
PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?}")


@dataclass(frozen=True)
class WebRoute:
    method: str
    path: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def web_routes(app: Any) -> tuple[list[WebRoute], list[str]]:
    """The web app's routes (method, path, parameters), and what cannot be checked (a
    route of a kind these tests do not know)."""
    found, odd = [], []
    for route in app.router.routes:
        path = getattr(route, "path", None)
        if path is not None and any(path == p or path.startswith(p + "/")
                                    for p in API_PREFIXES):
            continue
        if isinstance(route, Route) and route.methods:
            params = tuple(PARAM.findall(route.path))
            for method in sorted(route.methods - {"HEAD"}):
                found.append(WebRoute(method, route.path, params))
        elif isinstance(route, Mount):
            odd.append(f"mount {path}: its routes are not enumerated by these tests")
        else:
            odd.append(f"{type(route).__name__} {path}: not checked by these tests")
    return found, odd


# ---- the two companies --------------------------------------------------------------------

@dataclass
class World:
    tenant: Tenant
    ids: dict[str, int]  # entity -> a seeded record's id ("field": a deal custom field)
    tokens: dict[str, str]  # what each seeded string is -> its distinctive token
    password: str
    user_email: str
    words: dict[str, str]  # what each seeded string is -> a word of it to search for

    @property
    def company_id(self) -> int:
        return self.tenant.company.company_id


def _seed(app: Any, http: SyncClient, mark: str) -> World:
    """A company whose every record's text carries a token of its own (``tokens``)."""
    tok: dict[str, str] = {k: f"{mark}{secrets.token_hex(4)}" for k in (
        "company", "pipeline", "stage", "organization", "person", "deal", "activity", "note",
        "product", "user", "field", "option", "role", "webhook", "lead")}
    # (each text also carries a word to search for: a page may echo the term searched,
    # never the token)
    words = {k: f"{mark}w{secrets.token_hex(4)}" for k in tok}
    tenant = _tenant(app, http, f"Co{tok['company']}")
    admin, pd = tenant.records, tenant.api

    def text(what: str, kind: str) -> str:
        return f"{what} {words[kind]} {tok[kind]}"

    ids: dict[str, int] = {}
    ids["pipeline"] = admin.create("pipeline", {"name": text("Pipe", "pipeline")})["id"]
    ids["stage"] = admin.create("stage", {"name": text("Stage", "stage"),
                                          "pipeline_id": ids["pipeline"]})["id"]
    ids["organization"] = admin.create("organization", {"name": text("Org", "organization")})["id"]
    ids["person"] = admin.create("person", {
        "name": text("Person", "person"), "organization_id": ids["organization"],
        "emails": [{"value": f"{tok['person']}@mail.example", "primary": True}]})["id"]
    ids["deal"] = admin.create("deal", {
        "title": text("Deal", "deal"), "stage_id": ids["stage"], "person_id": ids["person"],
        "organization_id": ids["organization"], "value": 1234})["id"]
    ids["activity"] = admin.create("activity", {"subject": text("Call", "activity"),
                                                "deal_id": ids["deal"]})["id"]
    ids["note"] = admin.create("note", {"content": text("Note", "note"),
                                        "deal_id": ids["deal"]})["id"]
    ids["product"] = admin.create("product", {"name": text("Product", "product")})["id"]
    admin.create("lead", {"title": text("Lead", "lead"), "organization_id": ids["organization"]})
    email = f"{tok['user']}@users.example"
    ids["user"] = admin.create("user", {"name": text("User", "user"), "email": email})["id"]
    password = f"pw-{secrets.token_hex(8)}"
    admin.service.set_password(tenant.company.company_id, ids["user"], password)
    made = admin.create_field("deal", text("Field", "field"), "enum", [text("Option", "option")])
    ids["field"], ids["option"] = made.id, int(made.options[0].id)
    ids["role"] = data(pd.post("/v1/roles", json={"name": text("Role", "role")}))["id"]
    ids["token"] = admin.service.create_token(tenant.company.company_id, ids["user"]).id
    hook = pd.post("/v1/webhooks", json={
        "subscription_url": f"https://93.184.216.34/{tok['webhook']}", "event_action": "*",
        "event_object": "*", "name": text("Hook", "webhook"), "version": "2.0"}, check=False)
    assert hook.status_code == 201, hook.text
    ids["webhook"] = hook.json()["data"]["id"]
    return World(tenant, ids, tok, password, email, words)


def snapshot(world: World) -> dict[str, Any]:
    """What a refused request must leave as it was: the change log's newest row, the
    records of each entity, custom fields, API tokens, webhooks, a user's password."""
    service, company = world.tenant.records.service, world.company_id
    with service.unit(world.tenant.records.ctx) as unit:
        shot: dict[str, Any] = {"version": unit.version()}
        for entity in ("deal", "person", "organization", "activity", "note", "product",
                       "pipeline", "stage", "user", "role", "webhook"):
            shot[entity] = unit.count(entity, None)
        for entity in ("deal", "person", "organization", "product", "activity"):
            shot[f"fields:{entity}"] = sorted((f.id, f.name, repr(f.options))
                                              for f in unit.fields(entity))
    shot["tokens"] = sorted(t.id for t in service.tokens(company))
    shot["password"] = bool(service.sessions.sign_in(world.user_email, world.password))
    return shot


def changed(world: World, before: Mapping[str, Any]) -> list[str]:
    """What differs in ``world`` from its ``before`` snapshot."""
    after = snapshot(world)
    return [f"{key}: {before.get(key)!r} -> {after.get(key)!r}" for key in after
            if after.get(key) != before.get(key)]


@pytest.fixture(scope="module")
def worlds(app: Any, http: SyncClient) -> tuple[World, World]:
    """A (every string distinctive) and B (whose admin browses), seeded once per backend."""
    return _seed(app, http, "qzxa"), _seed(app, http, "qzxb")


@pytest.fixture
def b_admin(worlds: tuple[World, World], browser: Callable[[], Browser]) -> Browser:
    _, b = worlds
    return browser().sign_in_as(b.company_id, b.tenant.company.user_id)


def leaks(world: World, body: str) -> list[str]:
    """The distinctive tokens of ``world`` found in ``body``."""
    low = body.lower()
    return [f"{what} ({token})" for what, token in world.tokens.items() if token in low]


class Unfillable(Exception):
    pass


def entity_of(route: WebRoute, param: str) -> str:
    """The entity whose id ``param`` of ``route`` takes."""
    named = NAMED.get(param)
    if named:
        return named
    if named is None:
        raise Unfillable(f"{route}: no rule fills {{{param}}} (add it to NAMED or PLURALS)")
    before = route.path.split("{" + param)[0].strip("/").split("/")
    literals = [s for s in before if s and not s.startswith("{")]
    entity = PLURALS.get(literals[-1]) if literals else None
    if entity is None:
        raise Unfillable(f"{route}: cannot tell the entity of {{{param}}} (add "
                         f"'{literals[-1] if literals else ''}' to PLURALS)")
    return entity


def fill(route: WebRoute, world: World) -> str:
    """The route's path with ``world``'s ids (Unfillable when a parameter is unknown)."""
    values: dict[str, str] = {}
    for param in route.params:
        if param in ENTITY_PARAMS:
            values[param] = ENTITY_PARAMS[param]
        elif (route.method, route.path) in PUBLIC:
            values[param] = secrets.token_urlsafe(16)
        else:
            entity = entity_of(route, param)
            if entity not in world.ids:
                raise Unfillable(f"{route}: no seeded {entity} for {{{param}}} (seed one)")
            values[param] = str(world.ids[entity])
    return PARAM.sub(lambda m: values[m.group(1)], route.path)


def generic_fill(route: WebRoute, world: World) -> str:
    """As ``fill``; an unknown parameter takes a generic id (for checks that must refuse
    before any id is looked at)."""
    try:
        return fill(route, world)
    except Unfillable:
        return PARAM.sub(lambda m: ENTITY_PARAMS.get(m.group(1), str(world.ids["deal"])),
                         route.path)


def form_for(world: World) -> dict[str, str]:
    """A form that would change something on most routes, naming ``world``'s records."""
    ids = world.ids
    return {"name": "pwned", "title": "pwned", "subject": "pwned", "content": "pwned",
            "label": "pwned", "labels": "pwned", "value": "1", "status": "won",
            "email": f"pwned{secrets.token_hex(3)}@pwned.example", "is_active": "0",
            "password": "pwned-password-1", "password2": "pwned-password-1",
            "stage_id": str(ids["stage"]), "pipeline_id": str(ids["pipeline"]),
            "user_id": str(ids["user"]), "owner_id": str(ids["user"]),
            "person_id": str(ids["person"]), "org_id": str(ids["organization"]),
            "organization_id": str(ids["organization"]), "deal_id": str(ids["deal"]),
            "role_id": str(ids["role"]), "field_id": str(ids["field"]), "entity": "deal",
            "field_type": "varchar", "kind": "pipedrive", "order_nr": "0", "position": "0",
            "direction": "up", "option_id": str(ids["option"]), "options": "pwned",
            "field": "title", "active": "0", "role": str(ids["role"]),
            "subscription_url": "https://93.184.216.34/pwned", "event_action": "*",
            "event_object": "*", "done": "1", "due_date": "2030-01-01"}


def ask(browser: Browser, method: str, url: str, **kw: Any) -> httpx.Response:
    """A request; a handler that raises answers 500 (reported as a failure, with the
    error, rather than stopping the check of the other routes)."""
    try:
        return browser.request(method, url, **kw)
    except Exception as exc:  # (the in-process transport re-raises the app's errors)
        return httpx.Response(500, text=f"raised {type(exc).__name__}: {exc}")


def post(browser: Browser, url: str, form: Mapping[str, str], *, csrf: bool = True
         ) -> httpx.Response:
    """A form post (with the session's CSRF token unless ``csrf=False``)."""
    return ask(browser, "POST", url, data={**form, **({"csrf_token": browser.csrf}
                                                      if csrf else {})})


def send(browser: Browser, url: str, body: Mapping[str, str], token: str | None
         ) -> httpx.Response:
    """A fetch as app.js makes it: JSON with ``token`` in the X-CSRF-Token header."""
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["X-CSRF-Token"] = token
    return ask(browser, "POST", url, json=dict(body), headers=headers)


def report(failures: list[str]) -> str:
    """The failures, the first of each route in full and how many more it had."""
    by_route: dict[str, list[str]] = {}
    for failure in failures:
        by_route.setdefault(" ".join(failure.split(" ", 2)[:2]), []).append(failure)
    return "\n" + "\n".join(
        " ".join(found[0][:400].split()) + (f"  (+{len(found) - 1} more)" if found[1:] else "")
        for found in by_route.values())


def _signed_in(route: WebRoute) -> bool:
    return (route.method, route.path) not in PUBLIC


# ---- the route table ----------------------------------------------------------------------

def test_every_web_route_can_be_checked(app: Any, worlds: tuple[World, World]) -> None:
    """Every web route is enumerated and each of its parameters can be filled with a
    seeded record of the right entity: a new route no rule covers fails here, by name."""
    a, _ = worlds
    routes, odd = web_routes(app)
    problems = list(odd)
    for route in routes:
        try:
            fill(route, a)
        except Unfillable as exc:
            problems.append(str(exc))
    assert not problems, "web routes these tests cannot check:\n" + "\n".join(problems)
    paths = {str(r) for r in routes}
    assert {"GET /", "GET /signin", "POST /signout", "GET /insight"} <= paths
    print(f"\n{len(routes)} web routes checked:\n" + "\n".join(sorted(paths)))


# ---- without a session ---------------------------------------------------------------------

def test_without_a_session_nothing_is_shown_or_changed(app: Any, worlds: tuple[World, World],
                                                      browser: Callable[[], Browser]) -> None:
    a, b = worlds
    routes, _ = web_routes(app)
    real = {a.company_id: csrf_of(a), b.company_id: csrf_of(b)}  # (a session's start is a
    before = snapshot(a), snapshot(b)  # change of its own: made before the snapshot)
    failures: list[str] = []
    for cookie in (None, "forged.0000000000000000"):
        anonymous = browser()
        if cookie:
            anonymous.client.cookies.set("dealbase_session", cookie, domain="dealbase.test")
        for route in filter(_signed_in, routes):
            for world in (a, b):
                url = generic_fill(route, world)
                if route.method == "GET":
                    for headers in ({}, {"X-Fragment": "1"}, {"Accept": "application/json"}):
                        r = ask(anonymous, "GET", url, headers=headers)
                        redirect = r.status_code in (302, 303, 307) and \
                            r.headers.get("location", "").startswith("/signin")
                        if not (redirect or r.status_code == 401):
                            failures.append(f"{route} {url} {headers}: {r.status_code}")
                        if found := leaks(a, r.text) + leaks(b, r.text):
                            failures.append(f"{route} {url}: shows {found}")
                else:
                    form = {**form_for(world), "csrf_token": real[world.company_id]}
                    for r in (post(anonymous, url, form, csrf=False),
                              send(anonymous, url, form, form["csrf_token"])):
                        redirect = r.status_code in (302, 303) and \
                            r.headers.get("location", "").startswith("/signin")
                        if r.status_code not in (401, 403) and not redirect:
                            failures.append(f"{route} {url}: {r.status_code} {r.text[:200]}")
                        if found := leaks(a, r.text) + leaks(b, r.text):
                            failures.append(f"{route} {url}: shows {found}")
    assert not failures, report(failures)
    assert not changed(a, before[0]) + changed(b, before[1])


def csrf_of(world: World) -> str:
    """A real CSRF token (of a session of ``world``'s admin), for requests that must be
    refused anyway."""
    service = world.tenant.records.service
    cookie = service.sessions.start(world.company_id, world.tenant.company.user_id,
                                    service.clock())
    return service.sessions.csrf(cookie)


# ---- CSRF -------------------------------------------------------------------------------------

def test_posts_without_the_sessions_csrf_token_are_refused(
        app: Any, worlds: tuple[World, World], b_admin: Browser) -> None:
    """B's admin posting to B's own records: without the token, with a wrong one, with
    another session's: 403, and nothing changes."""
    a, b = worlds
    routes, _ = web_routes(app)
    others = csrf_of(b)  # (another session of the same user)
    before = snapshot(a), snapshot(b)
    failures: list[str] = []
    for route in routes:
        if route.method != "POST" or not _signed_in(route):
            continue
        url = generic_fill(route, b)
        form = form_for(b)
        attempts = {
            "no token": post(b_admin, url, form, csrf=False),
            "empty token": post(b_admin, url, {**form, "csrf_token": ""}, csrf=False),
            "wrong token": post(b_admin, url, {**form, "csrf_token": "x" * 43}, csrf=False),
            "another session's": post(b_admin, url, {**form, "csrf_token": others}, csrf=False),
            "JSON without a header": send(b_admin, url, form, None),
            "wrong header": send(b_admin, url, form, "x" * 43),
            "header of another session": send(b_admin, url, form, others),
            "good form token, wrong header": ask(
                b_admin, "POST", url, data={**form, "csrf_token": b_admin.csrf},
                headers={"X-CSRF-Token": "x" * 43}),
        }
        for what, r in attempts.items():
            if r.status_code != 403:
                failures.append(f"{route} ({what}): {r.status_code} {r.text[:200]}")
    assert not failures, report(failures)
    assert not changed(a, before[0]) + changed(b, before[1])
    assert b_admin.get("/").headers["location"] == "/board"  # (still signed in)


def test_the_sign_in_form_refuses_other_origins(worlds: tuple[World, World],
                                               browser: Callable[[], Browser]) -> None:
    a, _ = worlds
    b = browser()
    r = b.post("/signin", {"email": a.user_email, "password": a.password}, csrf=False,
               headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and b.cookie is None


# ---- another company's records ----------------------------------------------------------------

def test_another_companys_ids_are_not_found(app: Any, worlds: tuple[World, World],
                                            b_admin: Browser) -> None:
    """B's admin reaches for A's ids on every route that takes one: 404, nothing of A's
    shown, nothing of A's changed."""
    a, b = worlds
    routes, _ = web_routes(app)
    before = snapshot(a)
    failures: list[str] = []
    checked: list[str] = []
    for route in routes:
        if not route.params or not _signed_in(route) or all(
                p in ENTITY_PARAMS for p in route.params):
            continue
        try:
            url = fill(route, a)
        except Unfillable:
            continue  # (test_every_web_route_can_be_checked names it)
        checked.append(str(route))
        if route.method == "GET":
            answers = [ask(b_admin, "GET", url),
                       ask(b_admin, "GET", url, headers={"X-Fragment": "1"})]
        else:
            answers = [post(b_admin, url, form_for(a)), send(b_admin, url, form_for(a),
                                                              b_admin.csrf)]
        for r in answers:
            if r.status_code != 404:
                failures.append(f"{route} {url}: {r.status_code} {r.text[:200]}")
            if found := leaks(a, r.text):
                failures.append(f"{route} {url}: shows A's {found}")
    assert not failures, report(failures)
    assert not changed(a, before)
    assert b_admin.get("/").headers["location"] == "/board"
    assert {"GET /deals/{id}", "POST /deals/{deal_id}/move"} & set(checked), checked


def _get_variants(route: WebRoute, a: World, b: World) -> Iterator[tuple[str, dict[str, str]]]:
    """(url, headers) of the GETs B's admin makes of ``route``: as is, as a fragment,
    searching for A's strings, naming A's records in the query string."""
    url = fill(route, b)
    yield url, {}
    yield url, {"X-Fragment": "1"}
    yield url, {"Accept": "application/json"}
    join = "&" if "?" in url else "?"
    for key in SEARCH_QUERIES:
        for what in ("deal", "person", "organization"):
            yield f"{url}{join}{key}={a.words[what]}", {}
    yield f"{url}{join}" + "&".join(f"{k}={a.ids[v]}" for k, v in ID_QUERIES.items()
                                    if v in a.ids), {}
    for k, v in ID_QUERIES.items():
        if v in a.ids:
            yield f"{url}{join}{k}={a.ids[v]}", {"X-Fragment": "1"}


def test_another_companys_data_never_shows(app: Any, worlds: tuple[World, World],
                                           b_admin: Browser) -> None:
    """Every page and fragment B's admin can ask for (with B's own ids in the path),
    searching for A's strings or naming A's ids in the query: nothing of A's in the
    answer, never a 500."""
    a, b = worlds
    routes, _ = web_routes(app)
    failures: list[str] = []
    shown_b = False
    for route in routes:
        if route.method != "GET" or not _signed_in(route):
            continue
        try:
            variants = list(_get_variants(route, a, b))
        except Unfillable:
            continue
        for url, headers in variants:
            r = ask(b_admin, "GET", url, headers=headers)
            if r.status_code >= 500:
                failures.append(f"{route} {url} {headers}: {r.status_code} {r.text[:200]}")
            if found := leaks(a, r.text):
                failures.append(f"{route} {url} {headers}: shows A's {found}")
            shown_b = shown_b or bool(leaks(b, r.text))
    assert not failures, report(failures)
    assert shown_b  # (the pages do show B's own records: the check can see a leak)


# ---- headers and cookies ------------------------------------------------------------------------

def _security_headers(headers: Mapping[str, str]) -> list[str]:
    wrong = []
    csp = headers.get("content-security-policy", "")
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                 "frame-ancestors 'none'"):
        if part not in csp:
            wrong.append(f"CSP lacks {part!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        wrong.append("CSP allows unsafe-inline/eval")
    if headers.get("x-frame-options", "").upper() != "DENY":
        wrong.append("X-Frame-Options is not DENY")
    if headers.get("x-content-type-options", "").lower() != "nosniff":
        wrong.append("no X-Content-Type-Options: nosniff")
    if "no-store" not in headers.get("cache-control", ""):
        wrong.append("Cache-Control lacks no-store")
    return wrong


def test_pages_carry_the_security_headers(app: Any, worlds: tuple[World, World],
                                          b_admin: Browser,
                                          browser: Callable[[], Browser]) -> None:
    a, b = worlds
    routes, _ = web_routes(app)
    failures: list[str] = []
    pages = 0
    anonymous = browser()
    for route in routes:
        if route.method != "GET":
            continue
        try:
            url = fill(route, b)
        except Unfillable:
            continue
        for who, r in (("B", ask(b_admin, "GET", url)), ("no session", ask(anonymous, "GET", url))):
            pages += r.status_code == 200
            if r.status_code >= 500:
                failures.append(f"{route} ({who}): {r.status_code} {r.text[:300]}")
            elif wrong := _security_headers(r.headers):
                failures.append(f"{route} ({who}, {r.status_code}): {', '.join(wrong)}")
            html = r.status_code == 200 and "text/html" in r.headers.get("content-type", "")
            if html and (re.search(r"<script(?![^>]*\bsrc=)", r.text) or re.search(
                    r"\sstyle\s*=", r.text) or re.search(r"\son[a-z]+\s*=", r.text)):
                failures.append(f"{route}: inline script, style or handler (CSP)")
    for url in ("/insight?from=bad", "/deals/987654321"):
        r = ask(b_admin, "GET", url)
        if r.status_code < 500 and (wrong := _security_headers(r.headers)):
            failures.append(f"error page {url} ({r.status_code}): {', '.join(wrong)}")
    assert pages and not failures, "\n".join(failures)


def test_the_session_cookie_is_http_only_and_same_site(worlds: tuple[World, World],
                                                      browser: Callable[[], Browser]) -> None:
    a, _ = worlds
    for base in ("http://dealbase.test", "https://dealbase.test"):
        b = browser()
        r = b.request("POST", f"{base}/signin", data={"email": a.user_email,
                                                      "password": a.password})
        assert r.status_code == 303, r.text
        cookie = r.headers["set-cookie"]
        flags = {f.strip().split("=")[0].lower(): f.strip() for f in cookie.split(";")}
        assert cookie.startswith("dealbase_session=")
        assert "httponly" in flags and flags["samesite"].lower() == "samesite=lax"
        assert flags["path"] == "Path=/"
        assert ("secure" in flags) == base.startswith("https")
        assert _security_headers(r.headers) == []


# ---- last: these posts change B's own records (the checks above browse them) ------------

def test_posts_naming_another_companys_records_change_nothing_of_theirs(
        app: Any, worlds: tuple[World, World], b_admin: Browser) -> None:
    """B's admin posts forms naming A's records (stage, pipeline, user, person ...) to every
    action of the app (its path filled with B's own ids): never a 500, nothing of A's
    shown or changed."""
    a, b = worlds
    routes, _ = web_routes(app)
    before = snapshot(a)
    failures: list[str] = []
    for route in routes:
        if route.method != "POST" or not _signed_in(route) or route.path == "/signout":
            continue
        try:
            url = fill(route, b)
        except Unfillable:
            continue
        for r in (post(b_admin, url, form_for(a)), send(b_admin, url, form_for(a),
                                                        b_admin.csrf)):
            if r.status_code >= 500:
                failures.append(f"{route} {url}: {r.status_code} {r.text[:200]}")
            elif r.status_code == 403:  # (then the CSRF check above would prove nothing)
                failures.append(f"{route} {url}: 403 for B's admin with the CSRF token "
                                f"{r.text[:200]}")
            if found := leaks(a, r.text):
                failures.append(f"{route} {url}: shows A's {found}")
    assert not failures, report(failures)
    assert not changed(a, before)
