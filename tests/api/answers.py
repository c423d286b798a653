"""What a Pipedrive answer holds, asserted: the data of a success, the body of a refusal."""

from __future__ import annotations

from typing import Any


def data(response: Any, status: int = 200) -> Any:
    """The ``data`` of an answer with this status."""
    assert response.status_code == status, response.text[:800]
    return response.json()["data"]


def refused(response: Any, status: int = 400) -> dict[str, Any]:
    """The error body of an answer with this status."""
    assert response.status_code == status, response.text[:800]
    body: dict[str, Any] = response.json()
    assert body["success"] is False and body["error"]
    return body
