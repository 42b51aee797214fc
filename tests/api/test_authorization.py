"""The authorisation matrix, generated from the route table: every route × role × company case.

Cases for routes whose data belongs to companies: ``own`` (the VC user's granted company), ``other``
(a company it was not granted) and ``none`` (a company, or row, that does not exist). A route the
table does not allow for a role answers 403; a row the viewer may not see answers 404 exactly as a
missing one does; a new row naming a company or row that does not exist answers 422.

The public routes are named one by one (``SIGNED``), each with what authorises it instead of a
sign-in, and shown to ignore a sign-in: a token of any role opens nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Connection, Engine

from backend.api.app import create_app
from backend.api.policy import RULES, Rule
from backend.config import Settings
from backend.database import DatabaseManager, crud, crud_sql
from backend.database.documents import DocumentStore
from backend.database.documents.firestore import FirestoreDocumentStore
from backend.database.documents.local import LocalDocumentStore
from backend.service.storage import local_storage
from tests import emulators
from tests.api.conftest import Api, configured, serving
from tests.api.world import ROLES, World, make_world
from tests.database.document_factories import T0, form_questions, vas
from tests.support import make_settings

MISSING_ID = 10**12
MISSING_DOC = "no-such-document"
PUBLIC_OUTSIDE_V1 = {"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _success_codes() -> dict[tuple[str, str], int]:
    app = create_app(migrate=False, settings=make_settings("postgresql://unused@127.0.0.1/x", "/tmp"))
    codes = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in route.methods:
                codes[(method, context.path)] = route.status_code or 200
    return codes


SUCCESS = _success_codes()
GUARDED = [rule for rule in RULES if not rule.public]
LOGIN = ("POST", "/api/v1/auth/login")
# Public routes that a signature authorises instead of a sign-in (each has its own tests).
SIGNED = {
    ("POST", "/api/v1/ingest/google-forms/{form_id}"): "the form's secret (test_google_forms.py)",
    ("GET", "/api/v1/files/{path:path}"): "a signed, expiring link (test_files.py)",
}


def _cases(rule: Rule) -> list[str]:
    return ["own", "other", "none"] if rule.tenant else ["any"]


MATRIX = [(rule, role, case) for rule in GUARDED for role in ROLES for case in _cases(rule)]


def expected(rule: Rule, role: str, case: str) -> int:
    if role not in {r.value for r in rule.roles}:
        return 403
    if case == "none":  # a new row naming a missing company is 422; a path naming a missing row 404,
        # and so does an analysis of a company that does not exist (as one outside a VC user's grants)
        scoped = rule.path.startswith(ANALYSES) or rule.path == REPORTS  # a scope, not a new row
        creates = rule.method == "POST" and "{" not in rule.path and not scoped
        return 422 if creates else 404
    if case == "other" and role == "vc":
        return 404
    return SUCCESS[(rule.method, rule.path)]


def _company(world: World, case: str) -> Any:
    return {"own": world.own, "other": world.other}.get(case)


def _new_row(resource: str, world: World, case: str) -> dict[str, Any]:
    company = _company(world, case)
    cid = company.id if company else MISSING_ID
    rows = company.rows if company else {}
    employee, invoice = rows.get("employees", MISSING_ID), rows.get("invoices", MISSING_ID)
    return {
        "companies": {"name": f"新会社 {case}"},
        "employees": {"company_id": cid, "employee_code": "NEW-1"},
        "financial-statements": {
            "company_id": cid,
            "period": "2023-01",
            "revenue_yen": 1,
            "cost_of_sales_yen": 1,
            "sga_yen": 1,
            "operating_profit_yen": -1,
            "net_income_yen": -1,
            "headcount": 3,
        },
        "invoices": {
            "invoice_number": f"NEW-{case}",
            "company_id": cid,
            "credits": 1,
            "unit_price_yen": 100,
            "amount_yen": 100,
            "issued_on": "2024-04-01",
            "due_on": "2024-04-30",
        },
        "payments": {"invoice_id": invoice, "amount_yen": 9, "paid_on": "2024-05-09"},
        "treatments": {
            "employee_id": employee,
            "company_id": cid,
            "practitioner": "佐藤",
            "kind": "coaching",
            "started_at": T0.isoformat(),
            "minutes": 30,
            "credits_used": 1,
        },
        "surveys": {
            "employee_id": employee,
            "company_id": cid,
            "phase": "after",
            "answered_at": T0.isoformat(),
            "vas": vas(),
        },
        "chats": {"company_id": cid, "thread_id": "t-9", "body": "よろしくお願いします"},
    }[resource]


CHANGES = {
    "companies": {"industry": "HealthTech"},
    "employees": {"department": "営業"},
    "financial-statements": {"leavers": 2},
    "invoices": {"notes": "再発行"},
    "payments": {"reference": "振込 123"},
    "treatments": {"minutes": 50},
    "surveys": {"free_text": "よく眠れた"},
    "chats": {"body": "訂正します"},
}


EMPLOYEES_CSV = "社員番号,部署\nN-1,開発\n".encode()


def request_for(rule: Rule, case: str, world: World, role: str) -> tuple[str, dict[str, Any]]:
    """The URL and the request's body (``json``, or ``files`` and ``data``) that exercise ``rule``
    for a user of ``role``."""
    path = rule.path
    resource = path.split("/")[3]
    if path.startswith(ANALYSIS_JOBS):  # a job is its requester's: each role asks for its own
        return path.replace("{job_id}", world.analysis_jobs[role]), {"json": None}
    if "{report_id}" in path:  # a VC user sees its own reports only: each role asks for its own
        return path.replace("{report_id}", world.reports[role]), {"json": None}
    if (rule.method, path) == ("POST", REPORTS):
        company = _company(world, case)
        return path, {"json": {"company_ids": [company.id if company else MISSING_ID], "formats": ["pdf"]}}
    if path.startswith(FORMS):
        return _form_request(rule, case, world)
    if path.startswith(ANALYSES) and rule.tenant:
        company = _company(world, case)
        return path, {"json": {"company_ids": [company.id if company else MISSING_ID]}}
    if (rule.method, path) == ("POST", "/api/v1/ingest/files"):
        company = _company(world, case)
        form = {"dataset": "employees", "company_id": str(company.id if company else MISSING_ID)}
        return path, {"files": {"file": ("employees.csv", EMPLOYEES_CSV, "text/csv")}, "data": form}
    if not rule.tenant:
        url = (
            path.replace("{user_id}", str(world.subject.id))
            .replace("{company_id}", str(world.own.id))
            .replace("{job_id}", world.job_id)
            .replace("{event_id}", world.dead_letter)
            .replace("{dataset}", "employees")
        )
        body = {
            ("POST", "/api/v1/companies"): {"name": "新会社"},
            ("POST", "/api/v1/users"): {"email": "new.user@example.jp", "role": "analyst"},
            ("PATCH", "/api/v1/users/{user_id}"): {"display_name": "改名"},
            ("POST", "/api/v1/users/{user_id}/grants"): {"company_id": world.other.id},
        }.get((rule.method, path))
        return url, {"json": body}
    company = _company(world, case)
    if "{id}" in path:
        missing = MISSING_DOC if resource in ("treatments", "surveys", "chats") else MISSING_ID
        url = path.replace("{id}", str(company.rows[resource] if company else missing))
    elif rule.method == "GET":
        url = f"{path}?company_id={company.id if company else MISSING_ID}"
    else:
        url = path
    body = None  # a GET (a list, or an analysis) sends none
    if rule.method == "POST":
        body = _new_row(resource, world, case)
    elif rule.method == "PATCH":
        body = CHANGES.get(resource)
    return url, {"json": body}


FORMS = "/api/v1/ingest/google-forms"
ANALYSES = "/api/v1/analyses/"
ANALYSIS_JOBS = "/api/v1/analyses/jobs/"
REPORTS = "/api/v1/reports"
MISSING_DELIVERY = "f" * 32


def _form_request(rule: Rule, case: str, world: World) -> tuple[str, dict[str, Any]]:
    company = _company(world, case)
    rows = company.rows if company else {}
    url = rule.path.replace("{form_id}", rows.get("google-forms", MISSING_DOC)).replace(
        "{delivery_id}", rows.get("deliveries", MISSING_DELIVERY)
    )
    if rule.path == FORMS:
        if rule.method == "GET":
            return f"{url}?company_id={company.id if company else MISSING_ID}", {}
        new = {"company_id": company.id if company else MISSING_ID, "title": "新フォーム"}
        return url, {"json": {**new, "questions": form_questions()}}
    return url, {"json": {"title": "改名"} if rule.method == "PATCH" else None}


# What must go before a row can: payments keep their invoice, invoices their company, and documents
# the company or employee they name (each of those 409s is tested on its own).
DEPENDANTS = {
    "companies": ("payments", "invoices", "treatments", "surveys", "chats", "google-forms", "reports"),
    "employees": ("treatments", "surveys"),
    "invoices": ("payments",),
}
DOCUMENTS = {
    "treatments": crud.treatments,
    "surveys": crud.consultations,
    "chats": crud.chats,
    "google-forms": crud.google_forms,
}


def _remove_dependants(api: Api, resource: str, company: Any) -> None:
    with api.manager.session(actor="test") as session:
        for kind in DEPENDANTS[resource]:
            if kind == "google-forms":
                crud.form_deliveries.delete(api.store, company.rows["deliveries"])
            if kind == "reports":  # the world's reports are each role's own, of its company
                of_company = [{"field": "company_id", "operator": "==", "value": company.id}]
                crud.reports.delete_matching(api.store, conditions=of_company)
            elif kind in DOCUMENTS:
                DOCUMENTS[kind].delete(api.store, company.rows[kind])
            else:
                repo = getattr(crud_sql, kind)
                for row in repo.list(session, company_id=company.id).items:
                    repo.delete(session, row.id)


def _writes(rule: Rule, role: str, case: str) -> bool:
    """Whether the case changes the world: a create, change or delete that succeeds. A read, or a
    refusal, leaves it as it was, so those cases share one world (per document backend)."""
    return rule.method != "GET" and 200 <= expected(rule, role, case) < 300


READS = [m for m in MATRIX if not _writes(*m)]
WRITES = [m for m in MATRIX if _writes(*m)]
SHARED_PROJECT = f"{emulators.PROJECT}-matrix"  # apart from the project other tests wipe


def _ids(cases: list[tuple[Rule, str, str]]) -> list[str]:
    return [f"{rule.method} {rule.path} {role} {case}" for rule, role, case in cases]


@pytest.fixture(scope="module")
def shared_connection(engine: Engine) -> Iterator[Connection]:
    """The shared worlds' transaction, rolled back after the module."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture(scope="module", params=["local", "firestore"])
def shared_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocumentStore]:
    store: DocumentStore
    if request.param == "local":
        store = LocalDocumentStore(tmp_path_factory.mktemp("matrix") / "documents.sqlite3")
    else:
        emulators.wipe_firestore(request.getfixturevalue("firestore_host"), project=SHARED_PROJECT)
        store = FirestoreDocumentStore(project=SHARED_PROJECT)
    yield store
    store.close()


@pytest.fixture(scope="module")
def shared_world(settings: Settings, shared_connection: Connection, shared_store: DocumentStore) -> World:
    world = make_world(configured(settings, shared_connection, shared_store))
    DatabaseManager.reset()
    return world


@pytest.fixture
def shared_api(
    app: FastAPI, settings: Settings, shared_connection: Connection, shared_store: DocumentStore
) -> Iterator[Api]:
    yield from serving(app, settings, shared_connection, shared_store)


def _check(api: Api, world: World, rule: Rule, role: str, case: str) -> None:
    url, body = request_for(rule, case, world, role)
    response = api.client.request(rule.method, url, headers=world.headers(role), **body)
    assert response.status_code == expected(rule, role, case), response.text


@pytest.mark.parametrize(("rule", "role", "case"), READS, ids=_ids(READS))
def test_matrix_reads_and_refusals(
    shared_api: Api, shared_world: World, rule: Rule, role: str, case: str
) -> None:
    _check(shared_api, shared_world, rule, role, case)


@pytest.mark.parametrize(("rule", "role", "case"), WRITES, ids=_ids(WRITES))
def test_matrix_writes(api: Api, world: World, rule: Rule, role: str, case: str) -> None:
    resource = rule.path.split("/")[3]
    if rule.method == "DELETE" and resource in DEPENDANTS and case in ("own", "other"):
        _remove_dependants(api, resource, _company(world, case))
    _check(api, world, rule, role, case)


GUARDED_READS = [rule for rule in RULES if rule.method == "GET" and not rule.public]


@pytest.mark.parametrize("rule", GUARDED_READS, ids=[rule.path for rule in GUARDED_READS])
def test_a_read_refuses_a_stranger_before_it_reads_the_query(
    shared_api: Api, shared_world: World, rule: Rule
) -> None:
    """Reads check access in the hop of their work: a bad token with a bad query hears 401, not 422."""
    url, _ = request_for(rule, "own", shared_world, "admin")
    url += ("&" if "?" in url else "?") + "limit=0&cursor=" + "x" * 5000
    answer = shared_api.client.get(url, headers={"Authorization": "Bearer not-a-session"})
    assert answer.status_code == 401, answer.text


def test_the_public_routes_are_the_sign_in_and_the_signed_ones() -> None:
    assert {(rule.method, rule.path) for rule in RULES if rule.public} == {LOGIN, *SIGNED}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_a_sign_in_opens_no_file_and_a_signed_link_needs_none(
    api: Api, world: World, role: str | None
) -> None:
    storage = local_storage(api.manager.settings)
    storage.put("matrix/株式会社/report.pdf", b"%PDF-1.7", content_type="application/pdf")
    link = storage.link("matrix/株式会社/report.pdf", timedelta(minutes=5))
    headers = world.headers(role) if role else {}
    unsigned = api.client.get(link.split("?")[0], headers=headers)
    assert unsigned.status_code == 403, unsigned.text
    forged = api.client.get(link[:-1] + ("0" if link[-1] != "0" else "1"), headers=headers)
    assert forged.status_code == 403
    signed = api.client.get(link, headers=headers)
    assert (signed.status_code, signed.content) == (200, b"%PDF-1.7")
