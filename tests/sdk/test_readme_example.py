"""The README's Pipeliner example, run verbatim against the live server, then checked via the SDK."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.conftest import Space

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^<!-- pipeliner-example -->[ \t]*\n```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def readme_example() -> str:
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match is not None, "README.md has no ```python block after <!-- pipeliner-example -->"
    return match.group(1)


def test_readme_example_creates_a_lead(space: Space, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = readme_example()
    for name, value in (("DEALBASE_URL", space.url), ("PIPELINER_SPACE_ID", space.id),
                        ("PIPELINER_API_TOKEN", space.company.pipeliner_api_token),
                        ("PIPELINER_API_PASSWORD", space.company.pipeliner_api_password)):
        monkeypatch.setenv(name, value)
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(code, str(README), "exec"), namespace)
    printed = capsys.readouterr().out.split()

    leads = space.api.getEntities(space.id, "Leads")
    assert len(leads) == 1
    lead = leads[0]
    assert lead["OPPORTUNITY_NAME"] == "My first lead"
    assert lead["OWNER_ID"] == space.api.getEntities(space.id, "Clients")[0]["ID"]
    assert lead["SALES_UNIT_ID"] == space.api.getEntities(space.id, "SalesUnits")[0]["ID"]
    assert printed[-1] == lead["ID"]
    assert space.api.getEntity(space.id, "Leads", printed[-1])["OPPORTUNITY_NAME"] == "My first lead"
