"""The resource routes as analysts use them: round trips over both stores, filters, paging, the
cross-store checks, and the audit log naming the signed-in user for every write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from backend.database import crud, crud_sql
from backend.database.models_sql import AuditLog
from tests.api.conftest import Api
from tests.api.test_authorization import CHANGES, _new_row
from tests.api.world import World
from tests.database.document_factories import treatment_data
from tests.database.factories import statement_data

RESOURCES = list(CHANGES)


@pytest.mark.parametrize("resource", RESOURCES)
def test_create_read_change_list_delete(api: Api, world: World, resource: str) -> None:
    role = "admin" if resource == "companies" else "analyst"  # deleting a company is for admins
    headers, base = world.headers(role), f"/api/v1/{resource}"
    body = _new_row(resource, world, "own")
    created = api.client.post(base, json=body, headers=headers)
    assert created.status_code == 201, created.text
    row = created.json()
    for key, value in body.items():
        if key in ("started_at", "answered_at"):
            assert datetime.fromisoformat(row[key]) == datetime.fromisoformat(value)
        else:
            assert row[key] == (f"{value}-01" if key == "period" else value), key
    item = f"{base}/{row['id']}"
    assert api.client.get(item, headers=headers).json() == row
    changed = api.client.patch(item, json=CHANGES[resource], headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**row, **CHANGES[resource], **_server_times(changed.json())}
    ids = [r["id"] for r in api.client.get(base, headers=headers, params={"limit": 500}).json()["items"]]
    assert row["id"] in ids
    assert api.client.delete(item, headers=headers).status_code == 204
    assert api.client.get(item, headers=headers).status_code == 404
    assert api.client.delete(item, headers=headers).status_code == 404


def _server_times(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("updated_at",) if key in row}


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_write_is_audited_under_the_signed_in_user(api: Api, world: World, resource: str) -> None:
    role = "admin" if resource == "companies" else "analyst"
    headers, base = world.headers(role), f"/api/v1/{resource}"
    row = api.client.post(base, json=_new_row(resource, world, "own"), headers=headers).json()
    api.client.patch(f"{base}/{row['id']}", json=CHANGES[resource], headers=headers)
    api.client.delete(f"{base}/{row['id']}", headers=headers)
    table = {"surveys": "consultations", "financial-statements": "financial_statements"}.get(
        resource, resource
    )
    with api.manager.session(actor="test") as session:
        # By table too: a sign-in is audited under the user's id, which a new row's id can equal.
        query = (
            select(AuditLog)
            .where(AuditLog.entity_id == str(row["id"]), AuditLog.table_name == table)
            .order_by(AuditLog.id)
        )
        rows = session.scalars(query).all()
    actor = f"user:{world.users[role].id}"
    assert [(r.action, r.actor) for r in rows] == [("create", actor), ("update", actor), ("delete", actor)]


def test_times_are_shown_in_tokyo(api: Api, world: World) -> None:
    treatment = api.client.get(
        f"/api/v1/treatments/{world.own.rows['treatments']}", headers=world.headers("admin")
    )
    started = datetime.fromisoformat(treatment.json()["started_at"])
    assert started.utcoffset() == timedelta(hours=9)
    assert started == datetime(2024, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)


def test_paging_returns_every_row_once(api: Api, world: World) -> None:
    headers = world.headers("analyst")
    for n in range(7):
        api.client.post("/api/v1/companies", json={"name": f"ページ {n}"}, headers=headers)
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/companies", params=params, headers=headers).json()
        seen += [c["id"] for c in page["items"]]
        pages += 1
        if (cursor := page["next_cursor"]) is None:
            break
    assert len(seen) == len(set(seen)) == 9
    assert pages == 3


def test_documents_page_too(api: Api, world: World) -> None:
    headers = world.headers("analyst")
    employee = world.own.rows["employees"]
    for hour in range(5):
        start = datetime(2024, 5, 1, hour, tzinfo=UTC)
        crud.treatments.create(
            api.store, data=treatment_data(employee_id=employee, company_id=world.own.id, started_at=start)
        )
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {
            "company_id": world.own.id,
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = api.client.get("/api/v1/treatments", params=params, headers=headers).json()
        seen += [t["started_at"] for t in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == 6


def test_statement_period_range(api: Api, world: World) -> None:
    with api.manager.session(actor="test") as session:
        for month in ("2023-12", "2024-01", "2024-02", "2024-03"):
            crud_sql.financial_statements.create(session, data=statement_data(world.other.id, period=month))
    page = api.client.get(
        "/api/v1/financial-statements",
        params={"company_id": world.other.id, "period_from": "2024-01", "period_to": "2024-02"},
        headers=world.headers("analyst"),
    ).json()
    assert [s["period"] for s in page["items"]] == ["2024-01-01", "2024-02-01"]


def test_date_ranges_are_whole_days_in_tokyo(api: Api, world: World) -> None:
    employee = world.own.rows["employees"]
    # 2024-05-01 23:30 in Tokyo is still 1 May there, though 14:30 UTC; 2024-05-02 00:10 Tokyo is 2 May.
    for at in (datetime(2024, 5, 1, 14, 30, tzinfo=UTC), datetime(2024, 5, 1, 15, 10, tzinfo=UTC)):
        crud.treatments.create(
            api.store, data=treatment_data(employee_id=employee, company_id=world.own.id, started_at=at)
        )
    page = api.client.get(
        "/api/v1/treatments",
        params={"company_id": world.own.id, "started_from": "2024-05-01", "started_to": "2024-05-01"},
        headers=world.headers("analyst"),
    ).json()
    assert [t["started_at"] for t in page["items"]] == ["2024-05-01T23:30:00+09:00"]


def test_survey_filters(api: Api, world: World) -> None:
    headers = world.headers("analyst")
    body = {**_new_row("surveys", world, "own"), "phase": "before"}
    api.client.post("/api/v1/surveys", json=body, headers=headers)
    employee = world.own.rows["employees"]
    before = api.client.get(
        "/api/v1/surveys",
        params={"company_id": world.own.id, "employee_id": employee, "phase": "before"},
        headers=headers,
    ).json()["items"]
    assert len(before) == 2  # the world's one and this one
    assert {s["phase"] for s in before} == {"before"}
    manual = [s for s in before if s["user_id"] == world.users["analyst"].id]
    assert [s["source"] for s in manual] == ["manual"]


def test_chat_messages_carry_their_author_and_time(api: Api, world: World) -> None:
    row = api.client.post(
        "/api/v1/chats", json=_new_row("chats", world, "own"), headers=world.headers("analyst")
    ).json()
    assert row["author_id"] == world.users["analyst"].id
    assert abs(datetime.fromisoformat(row["created_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    threads = api.client.get(
        "/api/v1/chats",
        params={"company_id": world.own.id, "thread_id": "t-9"},
        headers=world.headers("analyst"),
    ).json()["items"]
    assert [c["id"] for c in threads] == [row["id"]]


def test_a_treatment_for_another_companys_employee_is_refused(api: Api, world: World) -> None:
    body = {**_new_row("treatments", world, "own"), "employee_id": world.other.rows["employees"]}
    response = api.client.post("/api/v1/treatments", json=body, headers=world.headers("analyst"))
    assert response.status_code == 422
    [problem] = response.json()["error"]["details"]["problems"]
    assert problem["field"] == "employee_id"
    assert f"works for company {world.other.id}" in problem["reason"]
    assert api.store.count("treatments") == 2


def test_a_survey_naming_another_employees_treatment_is_refused(api: Api, world: World) -> None:
    body = {**_new_row("surveys", world, "other"), "treatment_id": world.own.rows["treatments"]}
    response = api.client.post("/api/v1/surveys", json=body, headers=world.headers("analyst"))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["problems"][0]["field"] == "treatment_id"
    missing = {**body, "treatment_id": "no-such-treatment"}
    assert (
        api.client.post("/api/v1/surveys", json=missing, headers=world.headers("analyst")).status_code == 422
    )
    assert api.store.count("consultations") == 2


def test_a_vc_user_lists_only_its_companies_data(api: Api, world: World) -> None:
    headers = world.headers("vc")
    for resource in ("companies", "financial-statements", "invoices", "payments"):
        items = api.client.get(f"/api/v1/{resource}", headers=headers).json()["items"]
        assert [i["id"] for i in items] == [world.own.rows[resource]], resource
    assert (
        api.client.get("/api/v1/invoices", params={"company_id": world.other.id}, headers=headers).status_code
        == 404
    )


def test_a_company_with_invoices_cannot_be_deleted(api: Api, world: World) -> None:
    for repo, key in (
        (crud.treatments, "treatments"),
        (crud.consultations, "surveys"),
        (crud.chats, "chats"),
        (crud.form_deliveries, "deliveries"),
        (crud.google_forms, "google-forms"),
    ):
        repo.delete(api.store, world.own.rows[key])  # documents would be refused first
    for report_id in world.reports.values():
        crud.reports.delete(api.store, report_id)
    response = api.client.delete(f"/api/v1/companies/{world.own.id}", headers=world.headers("admin"))
    assert response.status_code == 409
    assert "invoices" in response.json()["error"]["message"]


def test_rows_that_documents_name_cannot_be_deleted(api: Api, world: World) -> None:
    employee = f"/api/v1/employees/{world.own.rows['employees']}"
    refused = api.client.delete(employee, headers=world.headers("analyst"))
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["documents"] == {"treatments": 1, "consultations": 1}
    assert api.client.get(employee, headers=world.headers("analyst")).status_code == 200
    with api.manager.session(actor="test") as session:  # no invoices in the way of the company
        for payment in crud_sql.payments.list(session, company_id=world.own.id).items:
            crud_sql.payments.delete(session, payment.id)
        crud_sql.invoices.delete(session, world.own.rows["invoices"])
    company = api.client.delete(f"/api/v1/companies/{world.own.id}", headers=world.headers("admin"))
    assert company.status_code == 409
    assert set(company.json()["error"]["details"]["documents"]) == {
        "treatments", "consultations", "chats", "google_forms", "form_deliveries", "reports"
    }  # fmt: skip


def test_an_empty_change_is_refused(api: Api, world: World) -> None:
    for resource in ("companies", "treatments"):
        url = f"/api/v1/{resource}/{world.own.rows[resource]}"
        response = api.client.patch(url, json={}, headers=world.headers("analyst"))
        assert response.status_code == 422, resource
        assert "at least one field" in response.text


DOCUMENT_FILTERS = {
    "treatments": ["company_id", "employee_id"],
    "surveys": ["company_id", "employee_id", "phase"],
    "chats": ["company_id", "thread_id"],
}
RANGES = {"treatments": "started", "surveys": "answered", "chats": "created"}


@pytest.mark.parametrize("resource", list(DOCUMENT_FILTERS))
def test_every_combination_of_document_filters_has_its_index(api: Api, world: World, resource: str) -> None:
    values = {
        "company_id": world.own.id,
        "employee_id": world.own.rows["employees"],
        "phase": "before",
        "thread_id": "t-1",
    }
    names = DOCUMENT_FILTERS[resource]
    for mask in range(2 ** len(names)):
        chosen = {name: values[name] for bit, name in enumerate(names) if mask >> bit & 1}
        for ranged in (False, True):
            span = {f"{RANGES[resource]}_from": "2024-01-01", f"{RANGES[resource]}_to": "2024-12-31"}
            params = {**chosen, **(span if ranged else {})}
            response = api.client.get(f"/api/v1/{resource}", params=params, headers=world.headers("analyst"))
            assert response.status_code == 200, (params, response.text)
            narrowed = "company_id" in chosen or "employee_id" in chosen  # else both companies' rows
            assert len(response.json()["items"]) == (1 if narrowed else 2), params


@pytest.mark.parametrize("resource", list(RANGES))
def test_the_calendars_edges_are_a_range_like_any_other(api: Api, world: World, resource: str) -> None:
    prefix = RANGES[resource]
    params = {"company_id": world.own.id, f"{prefix}_from": "0001-01-01", f"{prefix}_to": "9999-12-31"}
    response = api.client.get(f"/api/v1/{resource}", params=params, headers=world.headers("analyst"))
    assert response.status_code == 200, response.text  # once an OverflowError, found by schemathesis
    assert len(response.json()["items"]) == 1
