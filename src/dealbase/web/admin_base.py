"""What every admin section shares: its page, its actions, their errors and redirects.

A section (users, pipelines, custom fields, API tokens, webhooks) is a GET page and a few
POST actions. The records service decides who may do what: every page and action first
asks ``unit.administer(...)`` (Forbidden for anyone but an admin of the company), and
every write goes through the unit or the service, which refuse again on their own.

* A successful action redirects (303) back to its section; one that reveals a secret
  (an invitation link, an API token, a webhook's signing secret) renders the section
  with the secret instead, the one time it is shown (``Shown``; pages are ``no-store``).
* A refused input (a ValidationError or a Conflict) re-renders the section with the
  message (400 or 409) and the form as it was sent; the unit's transaction was rolled
  back, so nothing changed. Forbidden and NotFound become the error page (403, 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..domain.errors import DealbaseError, Reason, invalid
from ..service import Unit
from .base import HEADERS, STATUS, Handler, Visitor, Web, form_of, int_param, path_id, wants_json

# (path, title, what it holds) of every section, in the order the index lists them
SECTIONS = (
    ("users", "Users", "Invite people, change their role, deactivate them, set passwords."),
    ("pipelines", "Pipelines and stages", "Add and rename pipelines; add, rename, reorder "
                                          "and delete their stages."),
    ("fields", "Custom fields", "The fields of deals, people, organizations, products and "
                                "activities, and their options."),
    ("tokens", "API tokens", "Tokens for the Pipedrive and Pipeliner APIs: create and revoke."),
    ("webhooks", "Webhooks", "Where changes are sent: create and delete subscriptions."),
)
MAX_TEXT = 2048  # characters of one form value an admin page reads at most


@dataclass(frozen=True)
class Shown:
    """A secret shown once, after the action that made it."""

    title: str
    items: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    note: str = "Copy it now: it is not shown again."


Work = Callable[[Request, Visitor, dict[str, str]], Awaitable[Shown | None]]


def text(form: dict[str, str], name: str, label: str, *, required: bool = True) -> str:
    """A trimmed text value of a form (a ValidationError naming ``label`` when missing)."""
    value = form.get(name, "").strip()
    if required and not value:
        raise invalid(name, f"{label} is required", Reason.REQUIRED, text=f"{label} is required.")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise invalid(name, f"{label} is too long", text=f"{label} is too long.")
    return value


def number(form: dict[str, str], name: str, label: str, *, required: bool = True
           ) -> int | None:
    """A whole number of a form (None when optional and blank)."""
    raw = form.get(name, "").strip()
    if not raw and not required:
        return None
    found = int_param(raw)
    if found is None:
        raise invalid(name, f"{label} must be a whole number",
                      text=f"{label} must be a whole number.")
    return found


def record_ref(form: dict[str, str], name: str, label: str, *, required: bool = True
               ) -> int | None:
    """The id of a record picked in a form (a positive whole number)."""
    found = number(form, name, label, required=required)
    if found is not None and found <= 0:
        raise invalid(name, f"choose a {label.lower()}", text=f"Choose a {label.lower()}.")
    return found


class Section:
    """One admin section: ``view`` reads what its page shows (in a read unit, after the
    service confirmed the caller is an admin); ``act`` wraps an action."""

    name = ""
    template = ""
    what = "administer the company"  # the refusal's words ("Only admin users may ...")

    def __init__(self, web: Web) -> None:
        self.web = web

    # ---- the page -------------------------------------------------------------------

    def view(self, unit: Unit, request: Request) -> dict[str, Any]:
        raise NotImplementedError

    async def values(self, request: Request, visitor: Visitor) -> dict[str, Any]:
        def work(unit: Unit) -> dict[str, Any]:
            unit.administer(self.what)
            return self.view(unit, request)
        return await self.web.read(visitor, work, long=True)  # (counts over every deal)

    async def show(self, request: Request, visitor: Visitor, *, status: int = 200,
                   error: str = "", error_field: str | None = None,
                   shown: Shown | None = None, sent: dict[str, str] | None = None) -> Response:
        values = await self.values(request, visitor)
        return self.web.render(request, visitor, self.template, status, section=self.name,
                               sections=SECTIONS, error=error, error_field=error_field,
                               shown=shown, sent=sent or {}, **values)

    async def page(self, request: Request, visitor: Visitor) -> Response:
        return await self.show(request, visitor)

    def back(self, request: Request, form: dict[str, str]) -> str:
        """Where a successful action goes back to."""
        return f"/admin/{self.name}"

    # ---- actions ----------------------------------------------------------------------

    def act(self, work: Work) -> Callable[[Request], Awaitable[Response]]:
        """A POST of this section (session and CSRF checked by ``Web.action``)."""

        async def handler(request: Request, visitor: Visitor) -> Response:
            form = await form_of(request)
            try:
                shown = await work(request, visitor, form)
            except DealbaseError as exc:
                status = STATUS.get(exc.reason, 400)
                if status not in (400, 409) or wants_json(request):
                    raise
                field_name = exc.problems[0].field if exc.problems else None
                sent = {k: v for k, v in form.items()
                        if k != "csrf_token" and "password" not in k}
                return await self.show(request, visitor, status=status, error=exc.message,
                                       error_field=field_name, sent=sent)
            if wants_json(request):
                return JSONResponse({"ok": True, "shown": None if shown is None else {
                    "title": shown.title, "items": dict(shown.items)}}, headers=HEADERS)
            if shown is None:
                return RedirectResponse(self.back(request, form), 303, headers=HEADERS)
            return await self.show(request, visitor, shown=shown)

        handler.__name__ = getattr(work, "__name__", "action")
        return self.web.action(handler)

    def routes(self) -> list[Any]:
        raise NotImplementedError


__all__ = ["MAX_TEXT", "SECTIONS", "Handler", "Section", "Shown", "number", "path_id",
           "record_ref", "text"]
