"""template add|list: project templates from the command line (the API has no operation
that makes one), and a project made from one through the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dealbase.store.database import Database
from tests.api.answers import data
from tests.cli.helpers import one_line_error, run
from tests.conftest import Tenant


def test_template_add_and_list(database: Database, app: Any, tenant: Tenant,
                               tmp_path: Path) -> None:
    company = str(tenant.company.company_id)
    file = tmp_path / "template.json"
    file.write_text(json.dumps({
        "title": "Onboarding", "description": "Standard", "groups": ["Start", "Finish"],
        "tasks": [{"title": "Kick-off", "group": "Start",
                   "subtasks": [{"title": "Agenda"}, {"title": "Invite"}]},
                  {"title": "Sign-off", "group": "Finish", "milestone": True}]}))
    added = run(database, "template", "add", str(file), "--company", company, "--json")
    assert added.exit_code == 0, added.output
    (row,) = json.loads(added.stdout)
    assert (row["title"], row["groups"], row["tasks"]) == ("Onboarding", 2, 4)
    listed = json.loads(run(database, "template", "list", "--company", company, "--json").stdout)
    assert listed == [row]
    project = data(tenant.api.post("/v1/projects", json={"title": "P", "template_id": row["id"]}),
                   201)
    tasks = data(tenant.api.get(f"/v1/projects/{project['id']}/tasks"))
    assert sorted(t["title"] for t in tasks) == ["Agenda", "Invite", "Kick-off", "Sign-off"]

    file.write_text(json.dumps({"title": "Bad", "tasks": [{"title": "X", "group": "Nope"}]}))
    assert "Nope" in one_line_error(run(database, "template", "add", str(file), "--company",
                                        company))
    file.write_text("[1]")
    assert "template" in one_line_error(run(database, "template", "add", str(file), "--company",
                                            company))
    file.write_text(json.dumps({"groups": []}))
    assert "title" in one_line_error(run(database, "template", "add", str(file), "--company",
                                         company))
    assert json.loads(run(database, "template", "list", "--company", company, "--json").stdout) \
        == [row]
