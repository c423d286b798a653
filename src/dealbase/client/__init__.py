"""A Python client for dealbase's Pipedrive API (v1 and v2), sync and async, over httpx.

::

    from dealbase.client import Client, NotFoundError

    with Client("http://127.0.0.1:8000", token) as client:
        deal = client.deals.create({"title": "Printers"}, custom={"Budget code": "B-7"})
        deal.custom("Budget code")                   # "B-7"
        for deal in client.deals.list(status="open"):  # every page, as iteration reaches it
            print(deal["id"], deal["title"])
        try:
            client.deals.get(10**9)
        except NotFoundError as error:
            print(error.status, error.error)

Resources are declared once (``Resources``); each serves the operations the server does
(``list``, ``get``, ``create``, ``update``, ``delete``, ``delete_many``, ``search``,
``fetch``). ``AsyncClient`` is the same with ``await`` and ``async for``.
"""

from ._client import AsyncClient, AsyncVersionView, Client, VersionView
from ._errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    ConnectionError,
    DealbaseError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    UnknownCustomFieldError,
    UnsupportedOperationError,
)
from ._fields import FieldMap, Record
from ._http import Answer
from ._resources import AsyncPager, AsyncResource, Page, Pager, Resource, Spec
from ._retry import Retry
from ._table import Resources

__all__ = [
    "APIError",
    "Answer",
    "AsyncClient",
    "AsyncPager",
    "AsyncResource",
    "AsyncVersionView",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "ConnectionError",
    "DealbaseError",
    "FieldMap",
    "InvalidRequestError",
    "NotFoundError",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "RateLimitError",
    "Record",
    "Resource",
    "Resources",
    "Retry",
    "ServerError",
    "Spec",
    "TimeoutError",
    "UnknownCustomFieldError",
    "UnsupportedOperationError",
    "VersionView",
]
