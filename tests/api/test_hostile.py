"""Hostile input: each answered 4xx in the one envelope, naming the field, with nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.database.models_sql import Base
from tests.api.conftest import Api
from tests.api.test_authorization import _new_row
from tests.api.world import World

Case = Callable[[World], tuple[str, str, dict[str, Any]]]
COLLECTIONS = (
    "treatments", "consultations", "chats", "sessions", "login_attempts", "ingest_jobs", "google_forms",
    "form_deliveries",
)  # fmt: skip


def snapshot(api: Api) -> dict[str, int]:
    """Rows in every table and documents in every collection the API writes."""
    with api.manager.session(actor="test") as session:
        counts = {
            name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }
    return counts | {name: api.store.count(name) for name in COLLECTIONS}


JSON = "application/json"
Request = tuple[str, str, dict[str, Any]]


def get(url: str) -> Request:
    return "GET", url, {}


def send(method: str, url: str, body: Any) -> Request:
    return method, url, {"json": body}


def raw(url: str, content: Any, content_type: str | None = JSON) -> Request:
    headers = {"Content-Type": content_type} if content_type else {}
    return "POST", url, {"content": content, "headers": headers}


def company(body: Any) -> Request:
    return send("POST", "/api/v1/companies", body)


def _chunks(size: int) -> Iterator[bytes]:
    yield b'{"name": "'
    for _ in range(size // 65536 + 1):
        yield b"x" * 65536
    yield b'"}'


def _nan_minutes(w: World) -> bytes:
    return json.dumps({**_new_row("treatments", w, "own"), "minutes": float("nan")}).encode()


def _vas_101(w: World) -> dict[str, Any]:
    survey = _new_row("surveys", w, "own")
    return {**survey, "vas": {**survey["vas"], "mental": 101}}


def _row(w: World, resource: str) -> str:
    return f"/api/v1/{resource}/{w.own.rows[resource]}"


CASES: dict[str, tuple[Case, int, str | None]] = {
    # name: (request, status, the field named — or None when the answer names no field)
    "body over the limit, announced": (
        lambda w: raw("/api/v1/companies", b'{"name": "' + b"x" * 2_000_000 + b'"}'), 413, None),
    "body over the limit, streamed": (lambda w: raw("/api/v1/companies", _chunks(2_000_000)), 413, None),
    "1 MB of Japanese in a name": (lambda w: company({"name": "株" * 1_000_000}), 413, None),
    "1 MB of ASCII in a name": (lambda w: company({"name": "x" * 1_000_000}), 422, "name"),
    "text/plain body": (lambda w: raw("/api/v1/companies", '{"name": "a"}', "text/plain"), 415, None),
    "form-encoded body": (lambda w: ("POST", "/api/v1/companies", {"data": {"name": "a"}}), 415, None),
    "body without a content type": (lambda w: raw("/api/v1/companies", b'{"name": "a"}', None), 415, None),
    "broken JSON": (lambda w: raw("/api/v1/companies", b'{"name": '), 422, "body"),
    "JSON nested 99,999 deep": (lambda w: raw("/api/v1/companies", b"[" * 99_999 + b"]" * 99_999), 400, None),
    "a list instead of an object": (lambda w: company([{"name": "a"}]), 422, "body"),
    "negative id": (lambda w: get("/api/v1/companies/-1"), 422, "id"),
    "zero id": (lambda w: get("/api/v1/employees/0"), 422, "id"),
    "id beyond int64": (lambda w: get("/api/v1/companies/" + "9" * 30), 422, "id"),
    "id that is not a number": (lambda w: send("PATCH", "/api/v1/companies/abc", {"name": "x"}), 422, "id"),
    "document id too long": (lambda w: get("/api/v1/treatments/" + "t" * 1501), 422, "id"),
    "reserved document id": (lambda w: get("/api/v1/treatments/__x__"), 422, "id"),
    "limit 10**9": (lambda w: get("/api/v1/companies?limit=1000000000"), 422, "limit"),
    "limit 0": (lambda w: get("/api/v1/companies?limit=0"), 422, "limit"),
    "limit not a number": (lambda w: get("/api/v1/companies?limit=ten"), 422, "limit"),
    "tampered cursor": (lambda w: get("/api/v1/companies?cursor=eyJhZnRlciI6MX0.AAAA"), 422, "cursor"),
    "cursor of 10 kB": (lambda w: get("/api/v1/companies?cursor=" + "a" * 10_000), 422, "cursor"),
    "unknown query parameter": (lambda w: get("/api/v1/companies?compnay_id=1"), 422, "compnay_id"),
    "unknown body field": (lambda w: company({"name": "a", "colour": "blue"}), 422, "colour"),
    "id in a new row": (lambda w: company({"id": 5, "name": "a"}), 422, "id"),
    "id in a change": (
        lambda w: send("PATCH", _row(w, "companies"), {"id": w.other.id, "name": "x"}), 422, "id"),
    "company_id moving an employee": (
        lambda w: send("PATCH", _row(w, "employees"), {"company_id": w.other.id}), 422, "company_id"),
    "company_id moving a treatment": (
        lambda w: send("PATCH", _row(w, "treatments"), {"company_id": w.other.id}), 422, "company_id"),
    "bell character in a name": (lambda w: company({"name": "ding\x07"}), 422, "name"),
    "newline in a name": (lambda w: company({"name": "two\nlines"}), 422, "name"),
    "right-to-left override in a name": (lambda w: company({"name": "abc\u202ecba"}), 422, "name"),
    "NUL in notes": (lambda w: send("PATCH", _row(w, "invoices"), {"notes": "a\x00b"}), 422, "notes"),
    "NaN minutes": (lambda w: raw("/api/v1/treatments", _nan_minutes(w)), 422, "minutes"),
    "VAS 101": (lambda w: send("POST", "/api/v1/surveys", _vas_101(w)), 422, "vas.mental"),
    "a word where a boolean goes": (
        lambda w: send("PATCH", _row(w, "employees"), {"is_active": "maybe"}), 422, "is_active"),
    "huge yen amount": (
        lambda w: send("PATCH", _row(w, "financial-statements"), {"revenue_yen": 10**20}),
        422, "revenue_yen"),
    "timestamp without an offset": (
        lambda w: send("PATCH", _row(w, "treatments"), {"started_at": "2024-04-01T09:00:00"}),
        422, "started_at"),
    "a survey answered in the year 9999": (
        lambda w: send("POST", "/api/v1/surveys", {**_new_row("surveys", w, "own"),
                                                   "answered_at": "9999-12-31T23:00:00+00:00"}),
        422, "answered_at"),
    "period that is not a month": (
        lambda w: get("/api/v1/financial-statements?period_from=2024-13"), 422, "period_from"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_refused_and_nothing_is_written(api: Api, world: World, name: str) -> None:
    make, status, field = CASES[name]
    method, url, kwargs = make(world)
    before = snapshot(api)
    headers = {**world.headers("admin"), **kwargs.pop("headers", {})}
    response = api.client.request(method, url, headers=headers, **kwargs)
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if field is not None:
        assert field in [p["field"] for p in error["details"]["problems"]], error
    assert snapshot(api) == before


def test_sql_looking_text_is_stored_verbatim(api: Api, world: World) -> None:
    name = "'); DROP TABLE companies; -- \" OR 1=1 /* 株式会社 */"
    created = api.client.post("/api/v1/companies", json={"name": name}, headers=world.headers("admin"))
    assert created.status_code == 201
    fetched = api.client.get(f"/api/v1/companies/{created.json()['id']}", headers=world.headers("admin"))
    assert fetched.json()["name"] == name
    chat = {"company_id": world.own.id, "thread_id": "t'; --", "body": 'SELECT * FROM users; {"$where": 1}'}
    stored = api.client.post("/api/v1/chats", json=chat, headers=world.headers("admin")).json()
    assert (stored["thread_id"], stored["body"]) == (chat["thread_id"], chat["body"])


def test_a_cursor_from_another_list_or_other_filters_is_refused(api: Api, world: World) -> None:
    headers = world.headers("admin")
    companies = api.client.get("/api/v1/companies?limit=1", headers=headers).json()["next_cursor"]
    employees = api.client.get("/api/v1/employees?limit=1", headers=headers).json()["next_cursor"]
    assert companies
    assert employees
    assert api.client.get(f"/api/v1/employees?cursor={companies}", headers=headers).status_code == 422
    assert api.client.get(f"/api/v1/companies?cursor={employees}", headers=headers).status_code == 422
    narrowed = f"/api/v1/employees?cursor={employees}&company_id={world.own.id}"
    refused = api.client.get(narrowed, headers=headers)
    assert refused.status_code == 422
    assert "start again" in refused.json()["error"]["details"]["problems"][0]["reason"]
    assert api.client.get(f"/api/v1/employees?cursor={employees}", headers=headers).status_code == 200
    # A changed character of the signed part (the signature's last character may carry only padding bits).
    flipped = ("A" if employees[0] != "A" else "B") + employees[1:]
    assert api.client.get(f"/api/v1/employees?cursor={flipped}", headers=headers).status_code == 422
