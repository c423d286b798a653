"""The table of resources: every endpoint family the server serves, declared once.

Each row names the path, the operations API v1 and v2 serve and the entity whose custom
fields the records carry; ``Resource`` turns a row into methods. Resources below a record
take its id first: ``client.note_comments(note_id).list()``.
"""

from __future__ import annotations

from ._resources import CRUD, Op, Spec

LIST: frozenset[Op] = frozenset({"list"})
FETCH: frozenset[Op] = frozenset({"fetch"})
CHILD: frozenset[Op] = frozenset({"list", "create", "update", "delete"})
ENTITY_V1: frozenset[Op] = CRUD | {"delete_many", "search"}
ENTITY_V2: frozenset[Op] = CRUD | {"search"}
FIELDS_V1: frozenset[Op] = CRUD | {"delete_many"}
FOLLOWS: frozenset[Op] = frozenset({"list", "create", "delete"})  # (a follow is its user's id)


class Resources:
    """The resources of a client (and of its ``v1``/``v2`` views)."""

    # records with custom fields
    deals = Spec("deals", v1=ENTITY_V1, v2=ENTITY_V2, fields="deal")
    persons = Spec("persons", v1=ENTITY_V1, v2=ENTITY_V2, fields="person")
    organizations = Spec("organizations", v1=ENTITY_V1, v2=ENTITY_V2, fields="organization")
    products = Spec("products", v1=CRUD | {"search"}, v2=ENTITY_V2, fields="product")
    leads = Spec("leads", v1=CRUD | {"search"}, v2=frozenset({"search"}), fields="deal",
                 v1_update="PATCH")
    # the rest of the records
    pipelines = Spec("pipelines", v1=CRUD, v2=CRUD)
    stages = Spec("stages", v1=CRUD | {"delete_many"}, v2=CRUD)
    activities = Spec("activities", v1=CRUD | {"delete_many"}, v2=CRUD)
    activity_types = Spec("activityTypes", v1=frozenset({"list", "create", "update", "delete",
                                                         "delete_many"}))
    notes = Spec("notes", v1=CRUD)
    note_comments = Spec("notes/{parent}/comments", v1=CRUD)
    users = Spec("users", v1=frozenset({"list", "get", "create", "update"}))
    current_user = Spec("users/me", v1=FETCH)
    user_search = Spec("users/find", v1=LIST)
    lead_labels = Spec("leadLabels", v1=CHILD, v1_update="PATCH")
    lead_sources = Spec("leadSources", v1=LIST)
    archived_leads = Spec("leads/archived", v1=LIST, fields="deal")
    filters = Spec("filters", v1=FIELDS_V1)
    filter_helpers = Spec("filters/helpers", v1=FETCH)
    currencies = Spec("currencies", v1=LIST)
    webhooks = Spec("webhooks", v1=frozenset({"list", "create", "delete"}))
    # records below a record
    deal_products = Spec("deals/{parent}/products", v1=CHILD, v2=CHILD | {"delete_many"})
    deal_discounts = Spec("deals/{parent}/discounts", v2=CHILD)
    deal_participants = Spec("deals/{parent}/participants", v1=frozenset({"list", "create", "delete"}))
    product_variations = Spec("products/{parent}/variations", v2=CHILD)
    deal_activities = Spec("deals/{parent}/activities", v1=LIST)
    person_activities = Spec("persons/{parent}/activities", v1=LIST)
    organization_activities = Spec("organizations/{parent}/activities", v1=LIST)
    deal_persons = Spec("deals/{parent}/persons", v1=LIST, fields="person")
    person_deals = Spec("persons/{parent}/deals", v1=LIST, fields="deal")
    organization_deals = Spec("organizations/{parent}/deals", v1=LIST, fields="deal")
    organization_persons = Spec("organizations/{parent}/persons", v1=LIST, fields="person")
    pipeline_deals = Spec("pipelines/{parent}/deals", v1=LIST, fields="deal")
    stage_deals = Spec("stages/{parent}/deals", v1=LIST, fields="deal")
    product_deals = Spec("products/{parent}/deals", v1=LIST, fields="deal")
    person_products = Spec("persons/{parent}/products", v1=LIST)
    archived_deals = Spec("deals/archived", v1=LIST, v2=LIST, fields="deal")
    # projects (seed 004), their tasks, boards, phases and templates
    projects = Spec("projects", v1=CRUD, v2=CRUD)
    archived_projects = Spec("projects/archived", v2=LIST)
    project_tasks = Spec("projects/{parent}/tasks", v1=LIST)
    project_activities = Spec("projects/{parent}/activities", v1=LIST)
    project_groups = Spec("projects/{parent}/groups", v1=LIST)
    project_plan = Spec("projects/{parent}/plan", v1=LIST)
    tasks = Spec("tasks", v1=CRUD, v2=CRUD)
    project_boards = Spec("boards", v2=CRUD)
    project_phases = Spec("phases", v2=CRUD)
    project_templates = Spec("projectTemplates", v1=frozenset({"list", "get"}),
                             v2=frozenset({"list", "get"}))
    # custom and system fields
    deal_fields = Spec("dealFields", v1=FIELDS_V1, v2=CRUD)
    person_fields = Spec("personFields", v1=FIELDS_V1, v2=CRUD)
    organization_fields = Spec("organizationFields", v1=FIELDS_V1, v2=CRUD)
    product_fields = Spec("productFields", v1=FIELDS_V1, v2=CRUD)
    project_fields = Spec("projectFields", v2=CRUD)
    activity_fields = Spec("activityFields", v1=LIST, v2=frozenset({"list", "get"}))
    note_fields = Spec("noteFields", v1=LIST)
    lead_fields = Spec("leadFields", v1=LIST)
    # search (the type searches are ``client.deals.search(term)`` and the like)
    item_search = Spec("itemSearch", v1=LIST, v2=LIST)
    item_field_search = Spec("itemSearch/field", v1=LIST, v2=LIST)
    # history and statistics
    recents = Spec("recents", v1=LIST)
    deal_flow = Spec("deals/{parent}/flow", v1=LIST)
    person_flow = Spec("persons/{parent}/flow", v1=LIST)
    organization_flow = Spec("organizations/{parent}/flow", v1=LIST)
    deal_changelog = Spec("deals/{parent}/changelog", v1=LIST)
    person_changelog = Spec("persons/{parent}/changelog", v1=LIST)
    organization_changelog = Spec("organizations/{parent}/changelog", v1=LIST)
    deal_participants_changelog = Spec("deals/{parent}/participantsChangelog", v1=LIST)
    deals_summary = Spec("deals/summary", v1=FETCH)
    archived_deals_summary = Spec("deals/summary/archived", v1=FETCH)
    deals_timeline = Spec("deals/timeline", v1=FETCH)
    archived_deals_timeline = Spec("deals/timeline/archived", v1=FETCH)
    pipeline_conversion_statistics = Spec("pipelines/{parent}/conversion_statistics", v1=FETCH)
    pipeline_movement_statistics = Spec("pipelines/{parent}/movement_statistics", v1=FETCH)
    # followers (Pipeliner's watchers) and the users who may see a record
    deal_followers = Spec("deals/{parent}/followers", v1=FOLLOWS, v2=FOLLOWS)
    person_followers = Spec("persons/{parent}/followers", v1=FOLLOWS, v2=FOLLOWS)
    organization_followers = Spec("organizations/{parent}/followers", v1=FOLLOWS, v2=FOLLOWS)
    product_followers = Spec("products/{parent}/followers", v1=FOLLOWS, v2=FOLLOWS)
    user_followers = Spec("users/{parent}/followers", v2=LIST)
    deal_permitted_users = Spec("deals/{parent}/permittedUsers", v1=FETCH)
    person_permitted_users = Spec("persons/{parent}/permittedUsers", v1=FETCH)
    organization_permitted_users = Spec("organizations/{parent}/permittedUsers", v1=FETCH)
    product_permitted_users = Spec("products/{parent}/permittedUsers", v1=FETCH)


def specs() -> dict[str, Spec]:
    """Every row of the table by its attribute name."""
    return {name: value for name, value in vars(Resources).items() if isinstance(value, Spec)}
