"""company list, token create|list|revoke|rotate, user add|list|deactivate|set-password, demo."""

from __future__ import annotations

import json

import pytest

from dealbase.domain.errors import Unauthenticated
from dealbase.service import Credentials, Service
from dealbase.store.database import Database
from tests.cli.helpers import one_line_error, run
from tests.conftest import Pipedrive, SyncClient, Tenant


def _signs_in(service: Service, token: str, kind: str = "pipedrive", secret: str | None = None
              ) -> bool:
    try:
        with service.unit(Credentials(token, kind, secret)):
            return True
    except Unauthenticated:
        return False


def test_company_list_names_every_company(database: Database, tenant: Tenant, other: Tenant) -> None:
    result = run(database, "company", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = {c["id"]: c for c in json.loads(result.stdout)}
    for t, name in ((tenant, "Acme"), (other, "Globex")):
        assert listed[t.company.company_id] == {"id": t.company.company_id, "name": name,
                                                "space_id": t.company.space_id}
    assert "Globex" in run(database, "company", "list").stdout  # the table


def test_pipedrive_token_rotate_and_revoke_invalidate(database: Database, http: SyncClient,
                                                      tenant: Tenant) -> None:
    company = str(tenant.company.company_id)
    made = run(database, "token", "create", "--company", company, "--json")
    assert made.exit_code == 0, made.output
    token = json.loads(made.stdout)
    assert token["kind"] == "pipedrive" and token["password"] is None
    assert Pipedrive(http, token["token"]).get("/v1/deals").status_code == 200
    listed = json.loads(run(database, "token", "list", "--company", company, "--json").stdout)
    assert token["id"] in [t["id"] for t in listed]
    assert token["token"] not in json.dumps(listed)  # never the secret

    rotated = json.loads(run(database, "token", "rotate", str(token["id"]), "--company", company,
                             "--json").stdout)
    assert rotated["id"] == token["id"] and rotated["token"] != token["token"]
    assert Pipedrive(http, token["token"]).get("/v1/deals").status_code == 401
    assert Pipedrive(http, rotated["token"]).get("/v1/deals").status_code == 200

    gone = run(database, "token", "revoke", str(token["id"]), "--company", company)
    assert gone.exit_code == 0, gone.output
    assert Pipedrive(http, rotated["token"]).get("/v1/deals").status_code == 401
    assert tenant.api.get("/v1/deals").status_code == 200  # the company's other token works
    listed = json.loads(run(database, "token", "list", "--company", company, "--json").stdout)
    assert token["id"] not in [t["id"] for t in listed]


def test_pipeliner_token_rotate_invalidates_token_and_password(app: object, database: Database,
                                                                service: Service,
                                                                tenant: Tenant) -> None:
    company = tenant.company.space_id  # a company named by its space id
    made = json.loads(run(database, "token", "create", "--kind", "pipeliner", "--company", company,
                          "--json").stdout)
    assert made["token"].startswith(company + "_") and made["space_id"] == company
    assert _signs_in(service, made["token"], "pipeliner", made["password"])
    rotated = json.loads(run(database, "token", "rotate", str(made["id"]), "--company", company,
                             "--json").stdout)
    assert not _signs_in(service, made["token"], "pipeliner", made["password"])
    assert not _signs_in(service, rotated["token"], "pipeliner", made["password"])
    assert _signs_in(service, rotated["token"], "pipeliner", rotated["password"])


def test_another_companys_token_is_not_found(database: Database, tenant: Tenant,
                                            other: Tenant) -> None:
    theirs = json.loads(run(database, "token", "create", "--company",
                            str(other.company.company_id), "--json").stdout)
    for command in ("revoke", "rotate"):
        line = one_line_error(run(database, "token", command, str(theirs["id"]), "--company",
                                  str(tenant.company.company_id)))
        assert "not found" in line
    assert _signs_in(tenant.records.service, theirs["token"])


def test_users_add_list_deactivate(database: Database, http: SyncClient, tenant: Tenant) -> None:
    company = str(tenant.company.company_id)
    added = run(database, "user", "add", "kim@acme.example", "--name", "Kim", "--company", company,
                "--json")
    assert added.exit_code == 0, added.output
    kim = json.loads(added.stdout)[0]
    assert kim["email"] == "kim@acme.example" and kim["is_active"] and not kim["is_admin"]
    token = json.loads(run(database, "token", "create", "--user", "kim@acme.example",
                           "--company", company, "--json").stdout)
    assert token["user_id"] == kim["id"]
    assert Pipedrive(http, token["token"]).get("/v1/users/me").json()["data"]["id"] == kim["id"]

    done = run(database, "user", "deactivate", str(kim["id"]), "--company", company)
    assert done.exit_code == 0, done.output
    assert Pipedrive(http, token["token"]).get("/v1/deals").status_code == 401
    active = json.loads(run(database, "user", "list", "--company", company, "--json").stdout)
    everyone = json.loads(run(database, "user", "list", "--all", "--company", company,
                              "--json").stdout)
    assert kim["id"] not in [u["id"] for u in active]
    assert [u["is_active"] for u in everyone if u["id"] == kim["id"]] == [False]
    assert "already deactivated" in one_line_error(
        run(database, "user", "deactivate", "kim@acme.example", "--company", company))
    assert "already exists" in one_line_error(
        run(database, "user", "add", "kim@acme.example", "--company", company))


def test_last_admin_cannot_be_deactivated(database: Database, tenant: Tenant) -> None:
    line = one_line_error(run(database, "user", "deactivate", str(tenant.company.user_id),
                              "--company", str(tenant.company.company_id)))
    assert "last active admin" in line
    assert tenant.api.get("/v1/deals").status_code == 200


def test_set_password_stores_an_argon2_hash(database: Database, service: Service,
                                            tenant: Tenant) -> None:
    company, user = tenant.company.company_id, tenant.company.user_id
    result = run(database, "user", "set-password", str(user), "--password-stdin", "--company",
                 str(company), input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert service.check_password(company, user, "correct horse battery")
    assert not service.check_password(company, user, "correct horse batter")
    with service.database.tx() as tx:
        stored = tx.scalar("SELECT password_hash FROM user_passwords WHERE company_id = "
                           + ("?" if tx.backend == "sqlite" else "%s"), (company,))
    assert str(stored).startswith("$argon2id$") and "correct" not in str(stored)
    prompted = run(database, "user", "set-password", str(user), "--company", str(company),
                   input="another secret\nanother secret\n")
    assert prompted.exit_code == 0, prompted.output
    assert service.check_password(company, user, "another secret")
    assert not service.check_password(company, user, "correct horse battery")
    assert "8 to 1024" in one_line_error(run(database, "user", "set-password", str(user),
                                             "--password-stdin", "--company", str(company),
                                             input="short\n"))


@pytest.mark.parametrize("args, words", [
    (("token", "revoke", "987654321"), "token 987654321 not found"),
    (("token", "rotate", "987654321"), "token 987654321 not found"),
    (("token", "create", "--user", "nobody@nowhere.example"), "no user"),
    (("user", "deactivate", "nobody@nowhere.example"), "no user"),
    (("user", "set-password", "987654321", "--password-stdin"), "no user"),
    (("user", "add", "not-an-email"), "email"),
])
def test_account_errors_are_one_line(database: Database, tenant: Tenant, args: tuple[str, ...],
                                     words: str) -> None:
    line = one_line_error(run(database, *args, "--company", str(tenant.company.company_id),
                              input="long enough password\n"))
    assert words in line


def test_company_must_be_named_when_there_are_several(database: Database, tenant: Tenant,
                                                      other: Tenant) -> None:
    assert "--company" in one_line_error(run(database, "token", "list"))
    assert "no company" in one_line_error(run(database, "token", "list", "--company", "Nope Inc"))
    assert "companies are named" in one_line_error(run(database, "user", "list", "--company",
                                                       "Acme"))


def test_demo_twice_makes_one_company_with_fresh_credentials(database: Database,
                                                             service: Service) -> None:
    name = f"Demo {id(object())}"
    first = run(database, "demo", "--name", name, "--deals", "4", "--json")
    assert first.exit_code == 0, first.output
    made = json.loads(first.stdout)
    assert made["created"] and made["deals"] == 4
    assert made["pipeliner_api_token"].startswith(made["space_id"] + "_")
    assert _signs_in(service, made["api_token"])
    assert _signs_in(service, made["pipeliner_api_token"], "pipeliner", made["pipeliner_api_password"])

    again = json.loads(run(database, "demo", "--name", name, "--deals", "4", "--json").stdout)
    assert not again["created"] and again["company_id"] == made["company_id"]
    assert again["space_id"] == made["space_id"] and again["deals"] == 4
    assert [c.name for c in service.companies()].count(name) == 1
    assert not _signs_in(service, made["api_token"])
    assert not _signs_in(service, made["pipeliner_api_token"], "pipeliner",
                         made["pipeliner_api_password"])
    assert _signs_in(service, again["api_token"])
    assert _signs_in(service, again["pipeliner_api_token"], "pipeliner",
                     again["pipeliner_api_password"])
    text = run(database, "demo", "--name", name).stdout
    assert "nothing seeded" in text and "Pipeliner API password:" in text


def test_user_invite_prints_a_link_that_signs_in(database: Database, service: Service,
                                                 tenant: Tenant) -> None:
    company = tenant.company.company_id
    made = tenant.records.create("user", {"name": "Ivy", "email": "ivy@invite.example"})
    result = run(database, "user", "invite", "ivy@invite.example", "--company", str(company),
                 "--base-url", "https://crm.example/")
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("https://crm.example/invite/")
    token = link.rsplit("/", 1)[1]
    found = service.sessions.invitation(token)
    assert found is not None and found.user_id == made["id"] and found.email == "ivy@invite.example"
    service.sessions.accept(token, "a long password", service.clock())
    assert service.check_password(company, int(made["id"]), "a long password")
    assert service.sessions.invitation(token) is None  # spent
    assert "no user" in one_line_error(run(database, "user", "invite", "nobody@x.example",
                                             "--company", str(company)))
