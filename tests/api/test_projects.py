"""Projects (seed 004; tags Projects, ProjectTemplates, ProjectBoards, ProjectPhases,
ProjectFields, Tasks): boards and phases, templates, projects v1 and v2, archive, the plan,
groups, a project's tasks and activities; every response is checked against the vendored
spec by the ``Pipedrive`` client."""

from __future__ import annotations

from typing import Any

import pytest

from dealbase.api.pipedrive.fieldsapi import system_fields
from dealbase.query.ast import Cond
from dealbase.service import create_template
from tests.api.answers import data, refused
from tests.conftest import Pipedrive, Tenant


def _board(pd: Pipedrive) -> dict[str, Any]:
    boards = data(pd.get("/v1/projects/boards"))
    assert len(boards) == 1
    board: dict[str, Any] = boards[0]
    return board


def _phases(pd: Pipedrive, board_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data(pd.get(f"/v1/projects/phases?board_id={board_id}"))
    return found


def _template(tenant: Tenant, board_id: int) -> int:
    """A template made the way the CLI makes one (the API has no operation for it)."""
    service = tenant.records.service
    with service.unit(tenant.ctx, write=True) as unit:
        made = create_template(unit, "Onboarding", board_id, "Standard onboarding",
                               groups=["Kick-off", "Setup"],
                               tasks=[{"title": "Kick-off call", "group": "Kick-off",
                                       "subtasks": [{"title": "Send agenda"}]},
                                      {"title": "Configure account", "group": "Setup",
                                       "milestone": True}])
    return int(made["id"])


@pytest.fixture
def board(pd: Pipedrive) -> dict[str, Any]:
    return _board(pd)


def test_company_starts_with_a_board_and_its_phases(pd: Pipedrive, board: dict[str, Any]
                                                     ) -> None:
    assert board["name"] == "Delivery" and board["order_nr"] == 1
    assert data(pd.get(f"/v1/projects/boards/{board['id']}")) == board
    phases = _phases(pd, board["id"])
    assert [p["name"] for p in phases] == ["To do", "In progress", "Review", "Done"]
    assert [p["order_nr"] for p in phases] == [1, 2, 3, 4]
    assert all(p["board_id"] == board["id"] for p in phases)
    assert data(pd.get(f"/v1/projects/phases/{phases[1]['id']}")) == phases[1]
    refused(pd.get("/v1/projects/phases"), 400)  # board_id is required
    assert data(pd.get("/v1/projects/phases?board_id=999999")) == []
    refused(pd.get("/v1/projects/boards/999999"), 404)


def test_v1_project_lifecycle(pd: Pipedrive, board: dict[str, Any]) -> None:
    phases = _phases(pd, board["id"])
    person = data(pd.post("/v1/persons", json={"name": "Ada"}), 201)
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    deal = data(pd.post("/v1/deals", json={"title": "Big deal"}), 201)
    made = data(pd.post("/v1/projects", json={
        "title": "Roll-out", "board_id": board["id"], "phase_id": phases[1]["id"],
        "description": "Deliver it", "deal_ids": [deal["id"]], "person_id": person["id"],
        "org_id": org["id"], "start_date": "2030-01-01", "end_date": "2030-03-31",
        "labels": [3, 1]}), 201)
    assert (made["title"], made["status"], made["board_id"], made["phase_id"]) == (
        "Roll-out", "open", board["id"], phases[1]["id"])
    assert (made["deal_ids"], made["person_id"], made["org_id"], made["labels"]) == (
        [deal["id"]], person["id"], org["id"], [1, 3])
    assert made["owner_id"] == data(pd.get("/v1/users/me"))["id"]
    assert "archive_time" not in made and made["status_change_time"] == made["add_time"]
    assert data(pd.get(f"/v1/projects/{made['id']}")) == made

    changed = data(pd.put(f"/v1/projects/{made['id']}", json={
        "status": "completed", "phase_id": phases[3]["id"], "org_id": None}))
    assert (changed["status"], changed["phase_id"]) == ("completed", phases[3]["id"])
    assert "org_id" not in changed and changed["person_id"] == person["id"]
    echoed = data(pd.put(f"/v1/projects/{made['id']}", json={**changed, "title": "Roll-out 2"}))
    assert (echoed["title"], echoed["phase_id"]) == ("Roll-out 2", phases[3]["id"])

    listed = pd.get("/v1/projects").json()
    assert [p["id"] for p in listed["data"]] == [made["id"]]
    assert listed["additional_data"]["next_cursor"] is None
    assert data(pd.delete(f"/v1/projects/{made['id']}")) == {"id": made["id"]}
    assert data(pd.get("/v1/projects")) == []
    assert [p["id"] for p in data(pd.get("/v1/projects?status=deleted"))] == [made["id"]]


def test_project_defaults_to_the_first_board_and_phase(pd: Pipedrive, board: dict[str, Any]
                                                       ) -> None:
    made = data(pd.post("/api/v2/projects", json={"title": "Plain"}), 201)
    first = _phases(pd, board["id"])[0]
    assert (made["board_id"], made["phase_id"]) == (board["id"], first["id"])
    assert (made["deal_ids"], made["person_ids"], made["org_ids"], made["label_ids"]) == (
        [], [], [], [])


def test_templates_and_a_project_made_from_one(tenant: Tenant, pd: Pipedrive,
                                               board: dict[str, Any]) -> None:
    template_id = _template(tenant, board["id"])
    listed = pd.get("/v1/projectTemplates").json()
    assert [t["id"] for t in listed["data"]] == [template_id]
    assert listed["additional_data"]["next_cursor"] is None
    one = data(pd.get(f"/v1/projectTemplates/{template_id}"))
    assert (one["title"], one["description"], one["projects_board_id"]) == (
        "Onboarding", "Standard onboarding", board["id"])
    v2 = data(pd.get(f"/api/v2/projectTemplates/{template_id}"))
    assert {k: v for k, v in v2.items() if not k.endswith("_time")} == {
        k: v for k, v in one.items() if not k.endswith("_time")}
    assert [t["id"] for t in data(pd.get("/api/v2/projectTemplates"))] == [template_id]
    refused(pd.get("/v1/projectTemplates/999999"), 404)

    made = data(pd.post("/v1/projects", json={"title": "Acme onboarding",
                                              "template_id": template_id}), 201)
    phases = _phases(pd, board["id"])
    assert (made["board_id"], made["phase_id"], made["template_id"]) == (
        board["id"], phases[0]["id"], template_id)
    groups = data(pd.get(f"/v1/projects/{made['id']}/groups"))
    assert [(g["name"], g["order_nr"]) for g in groups] == [("Kick-off", 1), ("Setup", 2)]
    tasks = data(pd.get(f"/v1/projects/{made['id']}/tasks"))
    by_title = {t["title"]: t for t in tasks}
    assert sorted(by_title) == ["Configure account", "Kick-off call", "Send agenda"]
    assert by_title["Send agenda"]["parent_task_id"] == by_title["Kick-off call"]["id"]
    assert all(t["project_id"] == made["id"] and t["done"] == 0 for t in tasks)
    plan = data(pd.get(f"/v1/projects/{made['id']}/plan"))
    group_of = {g["name"]: g["id"] for g in groups}
    assert sorted((i["item_id"], i["item_type"], i["phase_id"], i["group_id"]) for i in plan) == \
        sorted([(by_title["Kick-off call"]["id"], "task", phases[0]["id"], group_of["Kick-off"]),
                (by_title["Send agenda"]["id"], "task", phases[0]["id"], group_of["Kick-off"]),
                (by_title["Configure account"]["id"], "task", phases[0]["id"], group_of["Setup"])])
    # the template's own tasks are not listed as a project's
    assert sorted(t["id"] for t in data(pd.get("/v1/tasks"))) == sorted(
        t["id"] for t in tasks)
    # a second project from the template gets copies of its own
    other = data(pd.post("/api/v2/projects", json={"title": "Globex onboarding",
                                                   "template_id": template_id}), 201)
    again = data(pd.get(f"/v1/projects/{other['id']}/tasks"))
    assert len(again) == 3 and not {t["id"] for t in again} & {t["id"] for t in tasks}
    # nor can a template's tasks be read or changed by id
    with tenant.records.service.unit(tenant.ctx) as unit:
        template_task = unit.find("task", Cond("template_id", "eq", template_id))
    assert template_task is not None
    for response in (pd.get(f"/v1/tasks/{template_task['id']}"),
                     pd.put(f"/v1/tasks/{template_task['id']}", json={"title": "X"}),
                     pd.patch(f"/api/v2/tasks/{template_task['id']}", json={"title": "X"}),
                     pd.delete(f"/api/v2/tasks/{template_task['id']}")):
        refused(response, 404)
    refused(pd.put(f"/v1/projects/{made['id']}", json={"template_id": template_id + 1}), 400)
    refused(pd.post("/v1/projects", json={"title": "X", "template_id": 999999}), 400)


def test_plan_moves_tasks_and_activities(tenant: Tenant, pd: Pipedrive,
                                         board: dict[str, Any]) -> None:
    template_id = _template(tenant, board["id"])
    project = data(pd.post("/v1/projects", json={"title": "P", "template_id": template_id}),
                   201)
    groups = data(pd.get(f"/v1/projects/{project['id']}/groups"))
    phases = _phases(pd, board["id"])
    task = data(pd.get(f"/v1/projects/{project['id']}/tasks"))[0]
    moved = data(pd.put(f"/v1/projects/{project['id']}/plan/tasks/{task['id']}",
                        json={"phase_id": phases[2]["id"], "group_id": groups[1]["id"]}))
    assert moved == {"item_id": task["id"], "item_type": "task", "phase_id": phases[2]["id"],
                     "group_id": groups[1]["id"]}

    activity = data(pd.post("/v1/activities", json={"subject": "Kick-off meeting",
                                                    "type": "meeting",
                                                    "project_id": project["id"]}), 201)
    assert activity["project_id"] == project["id"]
    listed = data(pd.get(f"/v1/projects/{project['id']}/activities"))
    assert [a["id"] for a in listed] == [activity["id"]]
    placed = data(pd.put(f"/v1/projects/{project['id']}/plan/activities/{activity['id']}",
                         json={"phase_id": phases[1]["id"], "group_id": groups[0]["id"]}))
    assert placed == {"item_id": activity["id"], "item_type": "activity",
                      "phase_id": phases[1]["id"], "group_id": groups[0]["id"]}
    plan = data(pd.get(f"/v1/projects/{project['id']}/plan"))
    assert {"item_id": activity["id"], "item_type": "activity", "phase_id": phases[1]["id"],
            "group_id": groups[0]["id"]} in plan
    assert len(plan) == 4
    v2 = data(pd.get(f"/api/v2/activities/{activity['id']}"))
    assert v2["project_id"] == project["id"]

    # refused, nothing changed: unknown keys, a group or phase not the project's, an item
    # of another project, a missing project
    other = data(pd.post("/v1/projects", json={"title": "Q", "template_id": template_id}), 201)
    foreign_group = data(pd.get(f"/v1/projects/{other['id']}/groups"))[0]
    url = f"/v1/projects/{project['id']}/plan/tasks/{task['id']}"
    refused(pd.put(url, json={"phase": 1}), 400)
    refused(pd.put(url, json={"group_id": foreign_group["id"]}), 400)
    refused(pd.put(url, json={"phase_id": "x"}), 400)
    refused(pd.put(url, json=[1]), 400)
    second = data(pd.post("/api/v2/projectBoards".replace("projectBoards", "boards"),
                          json={"name": "Second"}))
    far_phase = data(pd.post("/api/v2/phases", json={"name": "Far", "board_id": second["id"]}))
    refused(pd.put(url, json={"phase_id": far_phase["id"]}), 400)
    other_task = data(pd.get(f"/v1/projects/{other['id']}/tasks"))[0]
    refused(pd.put(f"/v1/projects/{project['id']}/plan/tasks/{other_task['id']}",
                   json={"phase_id": phases[0]["id"]}), 404)
    refused(pd.put(f"/v1/projects/999999/plan/tasks/{task['id']}", json={}), 404)
    refused(pd.get("/v1/projects/999999/plan"), 404)
    refused(pd.get("/v1/projects/999999/groups"), 404)
    assert data(pd.get(f"/v1/projects/{project['id']}/plan")) == plan


def test_tasks_v1_and_v2(pd: Pipedrive, board: dict[str, Any]) -> None:
    project = data(pd.post("/v1/projects", json={"title": "P"}), 201)
    me = data(pd.get("/v1/users/me"))["id"]
    made = data(pd.post("/v1/tasks", json={"title": "Write docs", "project_id": project["id"],
                                          "assignee_id": me, "due_date": "2030-02-01"}), 201)
    assert (made["title"], made["project_id"], made["done"], made["assignee_id"],
            made["assignee_ids"], made["creator_id"]) == (
        "Write docs", project["id"], 0, me, [me], me)
    assert "marked_as_done_time" not in made
    sub = data(pd.post("/v1/tasks", json={"title": "Draft", "project_id": project["id"],
                                         "parent_task_id": made["id"]}), 201)
    done = data(pd.put(f"/v1/tasks/{made['id']}", json={"done": 1}))
    assert done["done"] == 1 and done["marked_as_done_time"]
    assert data(pd.get(f"/v1/tasks/{made['id']}")) == done
    assert [t["id"] for t in data(pd.get("/v1/tasks?done=1"))] == [made["id"]]
    assert [t["id"] for t in data(pd.get(f"/v1/tasks?parent_task_id={made['id']}"))] == [
        sub["id"]]
    assert [t["id"] for t in data(pd.get(f"/v1/tasks?assignee_id={me}"))] == [made["id"]]
    page = pd.get(f"/v1/tasks?project_id={project['id']}&limit=1").json()
    assert [t["id"] for t in page["data"]] == [made["id"]]
    cursor = page["additional_data"]["next_cursor"]
    assert [t["id"] for t in data(pd.get(f"/v1/tasks?limit=1&cursor={cursor}"))] == [sub["id"]]

    v2 = data(pd.get(f"/api/v2/tasks/{made['id']}"))
    assert (v2["is_done"], v2["is_milestone"], v2["assignee_ids"]) == (True, False, [me])
    changed = data(pd.patch(f"/api/v2/tasks/{made['id']}", json={
        "done": 0, "milestone": 1, "priority": 2, "start_date": "2030-01-15",
        "assignee_ids": []}))
    assert (changed["is_done"], changed["is_milestone"], changed["priority"],
            changed["assignee_ids"]) == (False, True, 2, [])
    assert changed["marked_as_done_time"] is None or "marked_as_done_time" not in changed
    v2_made = data(pd.post("/api/v2/tasks", json={"title": "Ship", "project_id": project["id"]}),
                   201)
    assert [t["id"] for t in data(pd.get("/api/v2/tasks?is_milestone=true"))] == [made["id"]]
    assert [t["id"] for t in data(pd.get("/api/v2/tasks?parent_task_id=null"))] == [
        made["id"], v2_made["id"]]
    assert data(pd.delete(f"/api/v2/tasks/{v2_made['id']}")) == {"id": v2_made["id"]}
    assert data(pd.delete(f"/v1/tasks/{sub['id']}")) == {"id": sub["id"]}
    assert [t["id"] for t in data(pd.get("/api/v2/tasks"))] == [made["id"]]

    # refused, nothing changed
    refused(pd.post("/v1/tasks", json={"title": "No project"}), 400)
    refused(pd.post("/v1/tasks", json={"title": "T", "project_id": 999999}), 400)
    refused(pd.post("/v1/tasks", json={"title": "T", "project_id": project["id"],
                                       "colour": "red"}), 400)
    refused(pd.post("/api/v2/tasks", json={"title": "T", "project_id": project["id"],
                                           "done": "yes"}), 400)
    refused(pd.patch(f"/api/v2/tasks/{made['id']}", json={"parent_task_id": made["id"]}), 400)
    refused(pd.post("/v1/tasks", json={"title": "T", "project_id": project["id"],
                                       "assignee_ids": list(range(1, 12))}), 400)
    grand = data(pd.post("/v1/tasks", json={"title": "Sub", "project_id": project["id"],
                                           "parent_task_id": made["id"]}), 201)
    refused(pd.post("/v1/tasks", json={"title": "Subsub", "project_id": project["id"],
                                       "parent_task_id": grand["id"]}), 400)
    refused(pd.get("/api/v2/tasks?is_done=maybe"), 400)
    assert data(pd.get(f"/v1/tasks/{made['id']}"))["title"] == "Write docs"


def test_archive(tenant: Tenant, pd: Pipedrive, board: dict[str, Any]) -> None:
    template_id = _template(tenant, board["id"])
    project = data(pd.post("/v1/projects", json={"title": "P", "template_id": template_id}),
                   201)
    live = data(pd.post("/api/v2/projects", json={"title": "Live"}), 201)
    task = data(pd.get(f"/v1/projects/{project['id']}/tasks"))[0]
    activity = data(pd.post("/v1/activities", json={"subject": "Call",
                                                    "project_id": project["id"]}), 201)
    archived = data(pd.post(f"/v1/projects/{project['id']}/archive"))
    assert archived["archive_time"] and archived["id"] == project["id"]
    assert [p["id"] for p in data(pd.get("/v1/projects"))] == [live["id"]]
    assert [p["id"] for p in data(pd.get("/v1/projects?include_archived=true"))] == [
        project["id"], live["id"]]
    assert [p["id"] for p in data(pd.get("/v1/projects?include_archived=false"))] == [
        live["id"]]
    assert [p["id"] for p in data(pd.get("/api/v2/projects"))] == [live["id"]]
    v2_archived = data(pd.get("/api/v2/projects/archived"))
    assert [p["id"] for p in v2_archived] == [project["id"]]
    assert v2_archived[0]["archive_time"].endswith("Z")
    assert data(pd.get(f"/v1/projects/{project['id']}")) == archived

    # an archived project refuses every change: 4xx, nothing changed
    mine = data(pd.post("/v1/tasks", json={"title": "Mine", "project_id": live["id"]}), 201)
    before = {
        "project": data(pd.get(f"/v1/projects/{project['id']}")),
        "tasks": data(pd.get(f"/v1/projects/{project['id']}/tasks")),
        "plan": data(pd.get(f"/v1/projects/{project['id']}/plan")),
    }
    for response in (
        pd.put(f"/v1/projects/{project['id']}", json={"title": "Changed"}),
        pd.patch(f"/api/v2/projects/{project['id']}", json={"status": "completed"}),
        pd.post(f"/v1/projects/{project['id']}/archive"),
        pd.post(f"/api/v2/projects/{project['id']}/archive"),
        pd.post("/v1/tasks", json={"title": "New", "project_id": project["id"]}),
        pd.put(f"/v1/tasks/{task['id']}", json={"done": 1}),
        pd.patch(f"/api/v2/tasks/{task['id']}", json={"title": "Renamed"}),
        pd.put(f"/v1/projects/{project['id']}/plan/tasks/{task['id']}", json={"group_id": None}),
        pd.put(f"/v1/projects/{project['id']}/plan/activities/{activity['id']}",
               json={"phase_id": board["id"]}),
        pd.post("/v1/activities", json={"subject": "Another", "project_id": project["id"]}),
        pd.patch(f"/api/v2/tasks/{mine['id']}", json={"project_id": project["id"]}),
    ):
        assert response.status_code == 409, response.text
        assert response.json()["success"] is False
    assert before == {
        "project": data(pd.get(f"/v1/projects/{project['id']}")),
        "tasks": data(pd.get(f"/v1/projects/{project['id']}/tasks")),
        "plan": data(pd.get(f"/v1/projects/{project['id']}/plan")),
    }
    refused(pd.post("/v1/projects/999999/archive"), 404)
    # it may still be deleted
    assert data(pd.delete(f"/api/v2/projects/{project['id']}")) == {"id": project["id"]}
    assert data(pd.get("/api/v2/projects/archived")) == []


def test_v2_projects_filters_and_paging(tenant: Tenant, pd: Pipedrive, other: Tenant,
                                        board: dict[str, Any]) -> None:
    phases = _phases(pd, board["id"])
    deal = data(pd.post("/v1/deals", json={"title": "D"}), 201)
    people = [data(pd.post("/v1/persons", json={"name": n}), 201)["id"] for n in ("A", "B")]
    org = data(pd.post("/v1/organizations", json={"name": "O"}), 201)["id"]
    first = data(pd.post("/api/v2/projects", json={
        "title": "First", "deal_ids": [deal["id"]], "person_ids": people, "org_ids": [org],
        "phase_id": phases[2]["id"], "health_status": 2, "label_ids": [5]}), 201)
    assert (first["person_ids"], first["org_ids"], first["board_id"], first["health_status"]) \
        == (people, [org], board["id"], 2)
    assert first["add_time"].endswith("Z") and first["custom_fields"] == {}
    assert data(pd.get(f"/v1/projects/{first['id']}"))["person_id"] == people[0]
    second = data(pd.post("/api/v2/projects", json={"title": "Second", "status": "canceled"}),
                  201)
    third = data(pd.post("/api/v2/projects", json={"title": "Third"}), 201)
    assert data(pd.get(f"/api/v2/projects/{first['id']}")) == first

    def ids(url: str) -> list[int]:
        return [p["id"] for p in data(pd.get(url))]
    assert ids(f"/api/v2/projects?deal_id={deal['id']}") == [first["id"]]
    assert ids(f"/api/v2/projects?person_id={people[1]}") == [first["id"]]
    assert ids(f"/api/v2/projects?org_id={org}") == [first["id"]]
    assert ids(f"/api/v2/projects?phase_id={phases[2]['id']}") == [first["id"]]
    assert ids(f"/v1/projects?phase_id={phases[0]['id']}") == [second["id"], third["id"]]
    assert ids("/v1/projects?status=canceled") == [second["id"]]
    assert ids("/api/v2/projects?status=open,canceled") == [first["id"], second["id"],
                                                           third["id"]]
    refused(pd.get("/api/v2/projects?status=won"), 400)
    refused(pd.get("/v1/projects?phase_id=x"), 400)

    seen, cursor = [], None
    while True:
        page = pd.get("/api/v2/projects?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [p["id"] for p in page["data"]]
        cursor = page["additional_data"]["next_cursor"]
        if cursor is None:
            break
    assert seen == [first["id"], second["id"], third["id"]]
    refused(pd.get("/v1/projects?cursor=garbage"), 400)

    # a saved filter of projects (a condition names a field by the id projectFields has for
    # it in dealbase's numbering: v2 lists field codes only)
    status_field = next(i for i, name in system_fields("project").items() if name == "status")
    saved = data(pd.post("/v1/filters", json={"name": "Open ones", "type": "projects",
        "conditions": {"glue": "and", "conditions": [
            {"glue": "and", "conditions": [{"object": "project", "field_id": status_field,
                                            "operator": "=", "value": "canceled"}]},
            {"glue": "or", "conditions": []}]}}))
    assert ids(f"/v1/projects?filter_id={saved['id']}") == [second["id"]]
    assert ids(f"/api/v2/projects?filter_id={saved['id']}") == [second["id"]]
    deals_filter = data(pd.post("/v1/filters", json={"name": "Deals", "type": "deals",
        "conditions": {"glue": "and", "conditions": [
            {"glue": "and", "conditions": []}, {"glue": "or", "conditions": []}]}}))
    refused(pd.get(f"/v1/projects?filter_id={deals_filter['id']}"), 400)

    changed = data(pd.patch(f"/api/v2/projects/{first['id']}", json={
        "title": "First!", "person_ids": [], "end_date": "2031-01-01"}))
    assert (changed["title"], changed["person_ids"], changed["end_date"]) == (
        "First!", [], "2031-01-01")
    log = pd.get(f"/api/v2/projects/{first['id']}/changelog").json()
    assert log["data"][0]["new_values"]["title"] == "First!"
    assert log["data"][0]["old_values"]["title"] == "First"
    assert log["additional_data"]["next_cursor"] is None
    me = data(pd.get("/v1/users/me"))["id"]
    assert data(pd.get(f"/api/v2/projects/{first['id']}/permittedUsers")) == [me]
    found = data(pd.get("/api/v2/projects/search?term=irs"))["items"]
    assert [i["item"]["id"] for i in found] == [first["id"]]
    assert found[0]["item"]["deal"] == {"id": deal["id"]} and found[0]["item"]["deal_count"] == 1
    assert data(pd.get("/api/v2/projects/search?term=Third&exact_match=true"))["items"][0][
        "item"]["id"] == third["id"]
    refused(pd.get("/api/v2/projects/search?term=a"), 400)
    refused(pd.get("/api/v2/projects/search"), 400)

    # another company's records are not found, and its ids refused
    foreign_deal = data(other.api.post("/v1/deals", json={"title": "Theirs"}), 201)
    refused(pd.patch(f"/api/v2/projects/{first['id']}", json={"deal_ids": [foreign_deal["id"]]}),
            400)
    refused(pd.post("/api/v2/projects", json={"title": "X", "deal_ids": [foreign_deal["id"]]}),
            400)
    for url in (f"/api/v2/projects/{first['id']}", f"/v1/projects/{first['id']}/tasks",
                f"/v1/projects/{first['id']}/plan", f"/api/v2/projects/{first['id']}/changelog",
                f"/v1/projectTemplates/{_template(tenant, board['id'])}",
                f"/v1/projects/boards/{board['id']}", f"/api/v2/phases/{phases[0]['id']}"):
        refused(other.api.get(url), 404)
    refused(other.api.post(f"/v1/projects/{first['id']}/archive"), 404)
    refused(other.api.delete(f"/v1/projects/{first['id']}"), 404)
    assert data(other.api.get("/v1/projects")) == []
    assert data(pd.get(f"/api/v2/projects/{first['id']}"))["deal_ids"] == [deal["id"]]
    assert data(pd.delete(f"/api/v2/projects/{second['id']}")) == {"id": second["id"]}


def test_bad_project_input_changes_nothing(pd: Pipedrive, board: dict[str, Any]) -> None:
    made = data(pd.post("/v1/projects", json={"title": "P"}), 201)
    second = data(pd.post("/api/v2/boards", json={"name": "Other"}))
    far = data(pd.post("/api/v2/phases", json={"name": "Far", "board_id": second["id"]}))
    for response in (
        pd.post("/v1/projects", json={}),
        pd.post("/v1/projects", json={"title": ""}),
        pd.post("/v1/projects", json={"title": "X", "colour": "red"}),
        pd.post("/api/v2/projects", json={"title": "X", "person_id": 1}),
        pd.post("/v1/projects", json={"title": 7}),
        pd.post("/v1/projects", json={"title": "X", "status": "won"}),
        pd.post("/v1/projects", json={"title": "X", "deal_ids": "1"}),
        pd.post("/v1/projects", json={"title": "X", "deal_ids": [999999]}),
        pd.post("/v1/projects", json={"title": "X", "person_id": "abc"}),
        pd.post("/v1/projects", json={"title": "X", "board_id": 999999}),
        pd.post("/v1/projects", json={"title": "X", "board_id": board["id"],
                                      "phase_id": far["id"]}),
        pd.post("/v1/projects", json={"title": "X", "start_date": "2030-02-01",
                                      "end_date": "2030-01-01"}),
        pd.post("/v1/projects", json={"title": "X", "start_date": "yesterday"}),
        pd.post("/v1/projects", json=["title"]),
        pd.post("/v1/projects", content=b"{not json", headers={"content-type": "application/json"}),
        pd.put(f"/v1/projects/{made['id']}", json={"board_id": "one"}),
        pd.patch(f"/api/v2/projects/{made['id']}", json={"archive_time": "2030-01-01"}),
        pd.put(f"/v1/projects/{made['id']}", json={"phase_id": far["id"], "board_id": board["id"]}),
    ):
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["success"] is False
    assert [p["id"] for p in data(pd.get("/v1/projects"))] == [made["id"]]
    assert data(pd.get(f"/v1/projects/{made['id']}")) == made
    refused(pd.get("/v1/projects/abc"), 404)
    refused(pd.put("/v1/projects/999999", json={"title": "X"}), 404)
    refused(pd.delete("/v1/projects/999999"), 404)
    # moving the project to another board takes it to that board's first phase
    moved = data(pd.put(f"/v1/projects/{made['id']}", json={"board_id": second["id"]}))
    assert (moved["board_id"], moved["phase_id"]) == (second["id"], far["id"])


def test_v2_boards_and_phases(pd: Pipedrive, board: dict[str, Any]) -> None:
    made = data(pd.post("/api/v2/boards", json={"name": "Implementation"}))
    assert (made["name"], made["order_nr"]) == ("Implementation", 2)
    assert data(pd.get(f"/api/v2/boards/{made['id']}")) == made
    assert [b["id"] for b in data(pd.get("/api/v2/boards"))] == [board["id"], made["id"]]
    renamed = data(pd.patch(f"/api/v2/boards/{made['id']}", json={"name": "Impl", "order_nr": 5}))
    assert (renamed["name"], renamed["order_nr"]) == ("Impl", 5)
    phase = data(pd.post("/api/v2/phases", json={"name": "Plan", "board_id": made["id"]}))
    later = data(pd.post("/api/v2/phases", json={"name": "Build", "board_id": made["id"]}))
    assert (phase["order_nr"], later["order_nr"], phase["board_id"]) == (1, 2, made["id"])
    assert [p["id"] for p in data(pd.get(f"/api/v2/phases?board_id={made['id']}"))] == [
        phase["id"], later["id"]]
    assert data(pd.get(f"/api/v2/phases/{phase['id']}")) == phase
    changed = data(pd.patch(f"/api/v2/phases/{phase['id']}", json={"name": "Planning"}))
    assert changed["name"] == "Planning"
    assert data(pd.delete(f"/api/v2/phases/{later['id']}")) == {"id": later["id"]}
    assert [p["id"] for p in _phases(pd, made["id"])] == [phase["id"]]
    refused(pd.post("/api/v2/phases", json={"name": "X"}), 400)
    refused(pd.post("/api/v2/phases", json={"name": "X", "board_id": 999999}), 400)
    refused(pd.post("/api/v2/boards", json={"name": "X", "colour": 1}), 400)
    refused(pd.post("/api/v2/boards", json={}), 400)
    refused(pd.patch(f"/api/v2/boards/{made['id']}", json={"order_nr": "first"}), 400)
    assert data(pd.delete(f"/api/v2/boards/{made['id']}")) == {"id": made["id"]}
    assert [b["id"] for b in data(pd.get("/v1/projects/boards"))] == [board["id"]]


def test_project_fields(pd: Pipedrive) -> None:
    fields = data(pd.get("/api/v2/projectFields"))
    assert {"title", "status", "board_id", "phase_id"} <= {f["field_code"] for f in fields}
    made = data(pd.post("/api/v2/projectFields", json={
        "field_name": "Tier", "field_type": "enum", "options": [{"label": "Gold"},
                                                                {"label": "Silver"}]}))
    assert made["is_custom_field"] is True and len(made["options"]) == 2
    code = made["field_code"]
    assert data(pd.get(f"/api/v2/projectFields/{code}"))["field_name"] == "Tier"
    assert data(pd.patch(f"/api/v2/projectFields/{code}", json={"field_name": "Level"}))[
        "field_name"] == "Level"
    added = data(pd.post(f"/api/v2/projectFields/{code}/options", json=[{"label": "Bronze"}]))
    assert [o["label"] for o in added] == ["Bronze"]
    relabelled = data(pd.patch(f"/api/v2/projectFields/{code}/options",
                               json=[{"id": added[0]["id"], "label": "Copper"}]))
    assert relabelled == [{"id": added[0]["id"], "label": "Copper"}]
    gold = made["options"][0]["id"]

    project = data(pd.post("/api/v2/projects", json={"title": "P",
                                                      "custom_fields": {code: gold}}), 201)
    assert project["custom_fields"] == {code: gold}
    v1 = data(pd.get(f"/v1/projects/{project['id']}"))
    assert v1[code] == str(gold)  # (v1 shows an option id as text)
    v1_changed = data(pd.put(f"/v1/projects/{project['id']}", json={code: added[0]["id"]}))
    assert v1_changed[code] == str(added[0]["id"])
    refused(pd.post("/api/v2/projects", json={"title": "X", "custom_fields": {code: 999999}}),
            400)
    refused(pd.post("/api/v2/projects", json={"title": "X", "custom_fields": {"nope": 1}}), 400)
    removed = data(pd.delete(f"/api/v2/projectFields/{code}/options",
                             json=[{"id": added[0]["id"]}]))
    assert [o["id"] for o in removed] == [added[0]["id"]]
    assert data(pd.delete(f"/api/v2/projectFields/{code}"))["field_code"] == code
    refused(pd.get(f"/api/v2/projectFields/{code}"), 404)
    refused(pd.patch("/api/v2/projectFields/title", json={"field_name": "Name"}), 400)
    refused(pd.post("/api/v2/projectFields", json={"field_name": "X", "field_type": "nope"}),
            400)


def test_deleting_a_project_deletes_its_tasks_and_a_task_its_subtasks(
        tenant: Tenant, pd: Pipedrive, board: dict[str, Any]) -> None:
    template_id = _template(tenant, board["id"])
    project = data(pd.post("/v1/projects", json={"title": "P", "template_id": template_id}),
                   201)
    other = data(pd.post("/v1/projects", json={"title": "Q", "template_id": template_id}), 201)
    tasks = {t["title"]: t for t in data(pd.get(f"/v1/projects/{other['id']}/tasks"))}
    activity = data(pd.post("/v1/activities", json={"subject": "A",
                                                    "project_id": project["id"]}), 201)
    assert data(pd.delete(f"/v1/tasks/{tasks['Kick-off call']['id']}")) == {
        "id": tasks["Kick-off call"]["id"]}
    assert [t["title"] for t in data(pd.get(f"/v1/projects/{other['id']}/tasks"))] == [
        "Configure account"]
    refused(pd.delete(f"/v1/tasks/{tasks['Send agenda']['id']}"), 404)
    assert data(pd.delete(f"/v1/projects/{project['id']}")) == {"id": project["id"]}
    assert [t["project_id"] for t in data(pd.get("/v1/tasks"))] == [other["id"]]
    refused(pd.get(f"/v1/projects/{project['id']}/groups"), 404)
    refused(pd.delete(f"/v1/projects/{project['id']}"), 404)
    refused(pd.delete("/api/v2/tasks/999999"), 404)
    assert data(pd.get(f"/v1/activities/{activity['id']}"))["project_id"] == project["id"]
    # (an activity of a deleted project may be written with its own values echoed back)
    kept = data(pd.put(f"/v1/activities/{activity['id']}", json={
        "subject": "B", "project_id": project["id"]}))
    assert (kept["subject"], kept["project_id"]) == ("B", project["id"])
