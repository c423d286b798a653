"""The README's Pipeliner and Python SDK examples, run verbatim against the live server, then
checked through the SDKs and the records service."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.client_support import Company, company
from tests.sdk.conftest import Space

__all__ = ["company"]  # (the fixture)

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example(name: str = "pipeliner-example") -> str:
    block = re.compile(rf"^<!-- {name} -->[ \t]*\n```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
    match = block.search(README.read_text(encoding="utf-8"))
    assert match is not None, f"README.md has no ```python block after <!-- {name} -->"
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


def test_readme_sdk_example_runs(company: Company, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DEALBASE_URL", company.url)
    monkeypatch.setenv("DEALBASE_API_TOKEN", company.token)
    namespace: dict[str, Any] = {"__name__": "readme_sdk_example"}
    exec(compile(readme_example("sdk-example"), str(README), "exec"), namespace)
    lines = capsys.readouterr().out.splitlines()

    from dealbase.client import Client
    with Client(company.url, company.token) as client:
        deals = client.v1.deals.list().to_list()
        assert len(deals) == 1
        deal = deals[0]
        assert (deal["title"], deal["value"], deal["status"]) == ("Printers", 1200, "won")
        assert deal["org_id"]["name"] == "Initech" and deal.custom("Budget code") == "B-7"
    assert lines == [f"{deal['id']} B-7", "Printers 1200.0", "404 Deal not found"]
    assert company.direct.get("deal", deal["id"])["status"] == "won"
