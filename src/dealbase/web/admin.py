"""(being written)"""

from __future__ import annotations

from starlette.routing import BaseRoute

from .base import Web


def routes(web: Web) -> list[BaseRoute]:
    return []
