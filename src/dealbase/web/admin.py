"""The admin pages (``/admin``): users, pipelines and stages, custom fields, API tokens and
webhooks (issue 17, item 5).

Each section is a page and a few form actions (``admin_users``, ``admin_pipelines``,
``admin_fields``, ``admin_access``; what they share is in ``admin_base``). Nothing here
decides who may administer the company: every page and action asks the records service
(``unit.administer``), whose refusal is the answer (403), and the writes themselves are
the unit's or the service's, which refuse again on their own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .admin_access import Tokens, Webhooks
from .admin_base import SECTIONS
from .admin_fields import Fields
from .admin_pipelines import Pipelines
from .admin_users import Users
from .base import Visitor, Web


def routes(web: Web) -> list[BaseRoute]:
    async def index(request: Request, visitor: Visitor) -> Response:
        await web.read(visitor, lambda unit: unit.administer("administer the company"))
        return web.render(request, visitor, "admin_index.html", sections=SECTIONS,
                          section="")

    out: list[BaseRoute] = [Route("/admin", web.page(index), methods=["GET"])]
    for section in (Users(web), Pipelines(web), Fields(web), Tokens(web), Webhooks(web)):
        out += section.routes()
    return out


__all__ = ["routes"]
