"""User management by admins: accounts, generated passwords, grants, the last admin, the audit actor."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from backend.database.models_sql import AuditLog
from tests.api.conftest import Api
from tests.api.world import World

USERS = "/api/v1/users"


def admin_post(api: Api, world: World, url: str, body: dict[str, Any]) -> Any:
    return api.client.post(url, json=body, headers=world.headers("admin"))


def test_create_with_a_password_then_sign_in(api: Api, world: World) -> None:
    created = admin_post(
        api, world, USERS, {"email": "Kato@Example.JP", "role": "analyst", "password": "a long passphrase"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["password"] is None
    assert body["user"]["email"] == "kato@example.jp"
    assert body["user"]["display_name"] == "kato"
    assert "hash" not in json.dumps(body)
    login = api.client.post(
        "/api/v1/auth/login", json={"email": "kato@example.jp", "password": "a long passphrase"}
    )
    assert login.status_code == 200


def test_without_a_password_one_is_generated_and_shown_once(api: Api, world: World) -> None:
    body = admin_post(
        api, world, USERS, {"email": "vc@fund.jp", "role": "vc", "companies": [world.own.id]}
    ).json()
    password = body["password"]
    assert len(password) >= 20
    user_id = body["user"]["id"]
    again = api.client.get(f"{USERS}/{user_id}", headers=world.headers("admin")).json()
    assert password not in json.dumps(again)
    login = api.client.post("/api/v1/auth/login", json={"email": "vc@fund.jp", "password": password})
    me = api.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert [c["id"] for c in me.json()["companies"]] == [world.own.id]


def test_a_short_password_is_refused_naming_the_field(api: Api, world: World) -> None:
    response = admin_post(
        api, world, USERS, {"email": "x@example.jp", "role": "analyst", "password": "short"}
    )
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["details"]["problems"]] == ["password"]


def test_list_users_filters_and_pages(api: Api, world: World) -> None:
    headers = world.headers("admin")
    vcs = api.client.get(f"{USERS}?role=vc&limit=1", headers=headers).json()
    assert [u["role"] for u in vcs["items"]] == ["vc"]
    rest = api.client.get(f"{USERS}?role=vc&limit=1&cursor={vcs['next_cursor']}", headers=headers).json()
    assert {vcs["items"][0]["id"], rest["items"][0]["id"]} == {world.users["vc"].id, world.subject.id}
    assert rest["next_cursor"] is None


def test_grants_decide_what_a_vc_user_sees(api: Api, world: World) -> None:
    url = f"{USERS}/{world.users['vc'].id}/grants"
    company = f"/api/v1/companies/{world.other.id}"
    assert api.client.get(company, headers=world.headers("vc")).status_code == 404
    granted = admin_post(api, world, url, {"company_id": world.other.id})
    assert granted.status_code == 201
    assert granted.json()["granted_by_user_id"] == world.users["admin"].id
    assert api.client.get(company, headers=world.headers("vc")).status_code == 200
    listed = api.client.get(url, headers=world.headers("admin")).json()
    assert [g["company_id"] for g in listed] == [world.own.id, world.other.id]
    assert admin_post(api, world, url, {"company_id": world.other.id}).status_code == 409
    removed = api.client.delete(f"{url}/{world.other.id}", headers=world.headers("admin"))
    assert removed.status_code == 204
    assert api.client.get(company, headers=world.headers("vc")).status_code == 404
    assert api.client.delete(f"{url}/{world.other.id}", headers=world.headers("admin")).status_code == 404


def test_grants_are_for_vc_users_and_real_companies(api: Api, world: World) -> None:
    analyst = f"{USERS}/{world.users['analyst'].id}/grants"
    refused = admin_post(api, world, analyst, {"company_id": world.own.id})
    assert refused.status_code == 422
    assert "grants are for VC users" in refused.text
    missing = admin_post(api, world, f"{USERS}/{world.subject.id}/grants", {"company_id": 10**9})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["problems"][0]["field"] == "company_id"


def test_the_last_active_admin_stays(api: Api, world: World) -> None:
    me = f"{USERS}/{world.users['admin'].id}"
    headers = world.headers("admin")
    for change in ({"is_active": False}, {"role": "analyst"}):
        response = api.client.patch(me, json=change, headers=headers)
        assert response.status_code == 409, change
        assert "last active admin" in response.json()["error"]["message"]
    second = admin_post(api, world, USERS, {"email": "second@example.jp", "role": "admin"}).json()["user"]
    assert api.client.patch(me, json={"role": "analyst"}, headers=headers).status_code == 200
    assert api.client.get("/api/v1/users", headers=headers).status_code == 403  # demoted at once
    assert second["role"] == "admin"


def test_a_new_password_ends_the_users_sessions(api: Api, world: World) -> None:
    user = world.users["analyst"]
    changed = api.client.patch(
        f"{USERS}/{user.id}", json={"password": "another long passphrase"}, headers=world.headers("admin")
    )
    assert changed.status_code == 200
    assert api.client.get("/api/v1/auth/me", headers=world.headers("analyst")).status_code == 401


def test_user_management_is_audited_under_the_admin(api: Api, world: World) -> None:
    created = admin_post(
        api, world, USERS, {"email": "new@example.jp", "role": "vc", "companies": [world.own.id]}
    )
    user_id = created.json()["user"]["id"]
    with api.manager.session(actor="test") as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.table_name.in_(["users", "company_access"])).order_by(AuditLog.id)
        ).all()
    mine = [(r.actor, r.action, r.table_name) for r in rows if r.actor == f"user:{world.users['admin'].id}"]
    assert mine == [
        (f"user:{world.users['admin'].id}", "create", "users"),
        (f"user:{world.users['admin'].id}", "create", "company_access"),
    ]
    assert all("scrypt$" not in json.dumps(r.changes) for r in rows)  # field names, never values
    assert any(r.entity_id == str(user_id) for r in rows)
