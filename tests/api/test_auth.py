"""Sign-in and sessions through the real app: tokens, expiry, logout, disabled users, throttling."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from backend.database import DatabaseManager, crud, crud_sql
from backend.database.models_sql import AuditLog
from tests.api.conftest import Api
from tests.api.world import World

PASSWORD = "correct horse battery staple"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


@pytest.fixture
def member(api: Api) -> dict[str, Any]:
    """An analyst with a password (the world's users have none, to keep them fast)."""
    with api.manager.session(actor="test") as session:
        user = crud_sql.users.create(
            session,
            data={
                "email": "sato@example.jp",
                "display_name": "佐藤",
                "role": "analyst",
                "password": PASSWORD,
            },
        )
        return {"id": user.id, "email": user.email}


def login(api: Api, email: str, password: str = PASSWORD, **headers: str) -> Any:
    return api.client.post(LOGIN, json={"email": email, "password": password}, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stored_sessions(api: Api) -> list[tuple[str, dict[str, Any]]]:
    return [(doc.id, doc.data) for doc in api.store.query("sessions")]


def test_login_returns_a_token_whose_hash_alone_is_stored(api: Api, member: dict[str, Any]) -> None:
    response = login(api, "  Sato@Example.JP ")
    assert response.status_code == 200, response.text
    body = response.json()
    token = body["access_token"]
    assert body["token_type"] == "bearer"
    assert len(token) == 43  # 256 bits, URL-safe base64
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == timedelta(hours=9)  # shown in Tokyo time
    assert timedelta(hours=11, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=12)
    [(doc_id, data)] = stored_sessions(api)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert doc_id == data["token_hash"] == digest
    assert token not in json.dumps(data, default=str)
    assert data["user_id"] == member["id"]
    assert api.client.get(ME, headers=bearer(token)).json()["user"]["email"] == "sato@example.jp"


def test_wrong_password_and_unknown_email_answer_alike(
    api: Api, member: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(password: bytes, **kwargs: Any) -> bytes:
        calls.append(kwargs["n"])
        return real(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    wrong = login(api, member["email"], "wrong password!")
    wrong_calls, calls[:] = list(calls), []
    unknown = login(api, "nobody@example.jp", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    assert wrong_calls == calls == [2**14]  # the same single scrypt call of the same cost, either way
    assert stored_sessions(api) == []


def test_me_names_role_and_companies(api: Api, world: World) -> None:
    vc = api.client.get(ME, headers=world.headers("vc")).json()
    assert vc["role"] == "vc"
    assert vc["all_companies"] is False
    assert [c["id"] for c in vc["companies"]] == [world.own.id]
    analyst = api.client.get(ME, headers=world.headers("analyst")).json()
    assert (analyst["all_companies"], analyst["companies"]) == (True, [])
    assert "password_hash" not in json.dumps(vc)


def test_logout_ends_the_session_at_once(api: Api, member: dict[str, Any]) -> None:
    token = login(api, member["email"]).json()["access_token"]
    assert api.client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert api.client.get(ME, headers=bearer(token)).status_code == 401
    [(_, data)] = stored_sessions(api)
    assert data["revoked"] is True
    assert login(api, member["email"]).status_code == 200  # signing in again works


def _age_session(api: Api, token: str, **fields: datetime) -> None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    api.store.update(f"sessions/{digest}", fields)


def test_a_session_past_its_absolute_expiry_is_refused(api: Api, world: World) -> None:
    token = world.tokens["analyst"]
    now = datetime.now(UTC)
    signed_in = now - timedelta(seconds=api.manager.settings.session_absolute_ttl_s + 1)
    _age_session(api, token, created_at=signed_in, expires_at=now - timedelta(seconds=1), last_seen_at=now)
    response = api.client.get(ME, headers=bearer(token))
    assert response.status_code == 401
    assert "sign in again" in response.json()["error"]["message"]


def test_an_idle_session_is_refused(api: Api, world: World) -> None:
    token = world.tokens["analyst"]
    last = datetime.now(UTC) - timedelta(seconds=api.manager.settings.session_idle_ttl_s + 1)
    _age_session(api, token, created_at=last, last_seen_at=last)
    assert api.client.get(ME, headers=bearer(token)).status_code == 401


def test_use_keeps_a_session_alive_writing_at_most_once_a_minute(api: Api, world: World) -> None:
    token = world.tokens["analyst"]
    digest = hashlib.sha256(token.encode()).hexdigest()
    before = datetime.now(UTC) - timedelta(minutes=30)
    _age_session(api, token, created_at=before, last_seen_at=before)
    assert api.client.get(ME, headers=bearer(token)).status_code == 200
    seen = crud.sessions.get(api.store, digest).last_seen_at
    assert seen > before + timedelta(minutes=29)
    assert api.client.get(ME, headers=bearer(token)).status_code == 200
    assert crud.sessions.get(api.store, digest).last_seen_at == seen  # a second later: no write


def test_a_disabled_user_cannot_sign_in_and_its_sessions_stop(api: Api, world: World, member: dict) -> None:
    token = login(api, member["email"]).json()["access_token"]
    changed = api.client.patch(
        f"/api/v1/users/{member['id']}", json={"is_active": False}, headers=world.headers("admin")
    )
    assert changed.status_code == 200, changed.text
    assert api.client.get(ME, headers=bearer(token)).status_code == 401
    refused = login(api, member["email"])
    assert refused.status_code == 401
    assert refused.json() == login(api, member["email"], "wrong password!").json()  # nothing tells why
    assert all(data["revoked"] for _, data in stored_sessions(api) if data["user_id"] == member["id"])


def test_a_disabled_users_token_stops_even_before_revocation(api: Api, world: World) -> None:
    with api.manager.session(actor="test") as session:  # disabled behind the API's back
        crud_sql.users.update(session, world.users["analyst"].id, data={"is_active": False})
    assert api.client.get(ME, headers=world.headers("analyst")).status_code == 401


def test_a_damaged_session_document_is_no_sign_in(api: Api, world: World) -> None:
    _age_session(api, world.tokens["analyst"], expires_at=datetime(2000, 1, 1, tzinfo=UTC))  # before creation
    assert api.client.get(ME, headers=world.headers("analyst")).status_code == 401


def test_the_login_is_audited_under_the_user(api: Api, member: dict[str, Any]) -> None:
    login(api, member["email"])
    with api.manager.session(actor="test") as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "login")).all()
    assert [(r.actor, r.table_name, r.entity_id) for r in rows] == [
        (f"user:{member['id']}", "sessions", str(member["id"]))
    ]


@pytest.fixture
def strict(api: Api) -> Iterator[DatabaseManager]:
    """The manager with small throttle limits (per account 3, per address 5)."""
    manager = api.manager
    original = manager.settings
    manager._settings = original.model_copy(
        update={"login_max_failures_per_account": 3, "login_max_failures_per_address": 5}
    )
    yield manager
    manager._settings = original


def test_repeated_failures_throttle_the_account(api: Api, member: dict[str, Any], strict: Any) -> None:
    for _ in range(3):
        assert login(api, member["email"], "wrong password!").status_code == 401
    throttled = login(api, member["email"])  # even the right password waits now
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= api.manager.settings.login_lockout_s
    assert throttled.json()["error"]["code"] == "too_many_requests"
    assert throttled.json()["error"]["details"]["scope"] == "account"
    assert stored_sessions(api) == []
    for doc in api.store.query("login_attempts"):  # neither the email nor the address in clear
        assert member["email"] not in json.dumps(doc.data, default=str)
        assert "testclient" not in json.dumps(doc.data, default=str)
    for doc in api.store.query("login_attempts"):  # the lockout is over
        api.store.update(
            f"login_attempts/{doc.id}", {"locked_until": datetime.now(UTC) - timedelta(seconds=1)}
        )
    assert login(api, member["email"]).status_code == 200


def test_repeated_failures_throttle_the_address_across_accounts(
    api: Api, member: dict[str, Any], strict: Any
) -> None:
    for n in range(5):
        assert login(api, f"guess{n}@example.jp", "wrong password!").status_code == 401
    throttled = login(api, member["email"])
    assert throttled.status_code == 429
    assert throttled.json()["error"]["details"]["scope"] == "address"


def test_success_clears_the_accounts_failures(api: Api, member: dict[str, Any], strict: Any) -> None:
    for _ in range(2):
        login(api, member["email"], "wrong password!")
    assert login(api, member["email"]).status_code == 200
    for _ in range(2):
        assert login(api, member["email"], "wrong password!").status_code == 401
    assert login(api, member["email"]).status_code == 200  # 2 + 2 failures never reached 3 in a row
