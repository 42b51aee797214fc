"""A small world for API tests: two companies with one row of every resource each, and a user per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.config import Settings
from backend.database import DatabaseManager, crud, crud_sql, events, queue_sql
from backend.database.documents import DocumentStore
from backend.database.models_sql import User
from backend.service.access import Viewer
from backend.service.auth import service as auth
from backend.service.context import Context
from backend.service.ingest.google_forms import forms, surveys
from backend.service.ingest.google_forms.schemas import NewGoogleForm
from tests.database.document_factories import (
    chat_data,
    consultation_data,
    form_delivery_data,
    form_questions,
    treatment_data,
)
from tests.database.factories import (
    company_data,
    employee_data,
    invoice_data,
    payment_data,
    statement_data,
    user_data,
)

ROLES = ("admin", "analyst", "vc")


@dataclass
class Company:
    """One company and the id of one row of each of its resources."""

    id: int
    rows: dict[str, Any] = field(default_factory=dict)  # resource path -> id
    employee_code: str = ""  # of the employee in rows["employees"]
    form_secret: str = ""  # of the Google Form in rows["google-forms"]


@dataclass
class World:
    own: Company  # granted to the VC user
    other: Company  # not granted
    users: dict[str, User]  # role -> user
    tokens: dict[str, str]  # role -> bearer token
    subject: User  # a VC user for the user-management routes to act on
    job_id: str  # an ingestion job
    analysis_jobs: dict[str, str]  # role -> an analysis job of that role's user, of the own company
    reports: dict[str, str]  # role -> a report asked for by that role's user, of the own company
    dead_letter: str  # the id of an event on the dead letters

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_world(manager: DatabaseManager) -> World:
    store = manager.documents
    with manager.session(actor="test") as session:
        own, other = (_company(session, store) for _ in range(2))
        users = {role: crud_sql.users.create(session, data=user_data(role=role)) for role in ROLES}
        subject = crud_sql.users.create(session, data=user_data(role="vc"))
        for user in (users["vc"], subject):
            crud_sql.company_access.create(session, data={"user_id": user.id, "company_id": own.id})
        client = auth.Client(address="127.0.0.1", user_agent="pytest")
        tokens = {
            role: auth.open_session(session, store, manager.settings, user=user, client=client).token
            for role, user in users.items()
        }
        admin = users["admin"]
        ctx = Context(session, store, Viewer(user_id=admin.id, email=admin.email, role=admin.role))
        for company in (own, other):
            _google_form(ctx, manager.settings, company)
    job_id = "0" * 32
    now = datetime.now(UTC)
    job = {
        "dataset": "treatments", "company_id": own.id, "sha256": "0" * 64, "status": "done", "rows": 1,
        "written": 1, "inserted": 1, "updated": 0, "unchanged": 0, "created_by": users["admin"].id,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    crud.ingest_jobs.create(store, data=job, doc_id=job_id)
    analysis_jobs = {
        role: crud.analysis_jobs.create(
            store,
            data={"analysis": "vas_change", "scope": [own.id], "min_group": 1, "requested_by": user.id,
                  "created_at": now},
        )[0]
        for role, user in users.items()
    }  # fmt: skip
    reports = {
        role: crud.reports.create(
            store,
            data={"company_id": own.id, "scope": [own.id], "kind": "company", "formats": ["pdf"],
                  "requested_by": user.id, "created_at": now},
        )[0]
        for role, user in users.items()
    }  # fmt: skip
    dead = events.new_event("companies", "created", entity_id=own.id, company_id=own.id, actor="test")
    with manager.session(actor="test") as session:
        queue_sql.enqueue(session, [dead])
        queue_sql.bury(session, dead.id, 0, error="RuntimeError: a handler that failed")
    return World(
        own=own, other=other, users=users, tokens=tokens, subject=subject, job_id=job_id,
        analysis_jobs=analysis_jobs, reports=reports, dead_letter=str(dead.id),
    )  # fmt: skip


def _company(session: Any, store: DocumentStore) -> Company:
    company = crud_sql.companies.create(session, data=company_data())
    employee = crud_sql.employees.create(session, data=employee_data(company.id))
    code = employee.employee_code
    statement = crud_sql.financial_statements.create(session, data=statement_data(company.id))
    invoice = crud_sql.invoices.create(session, data=invoice_data(company.id))
    payment = crud_sql.payments.create(session, data=payment_data(invoice.id))
    ids = {"employee_id": employee.id, "company_id": company.id}
    treatment_id, _ = crud.treatments.create(store, data=treatment_data(**ids))
    survey_id, _ = crud.consultations.create(store, data=consultation_data(**ids, treatment_id=treatment_id))
    chat_id, _ = crud.chats.create(store, data=chat_data(company_id=company.id))
    rows = {
        "companies": company.id,
        "employees": employee.id,
        "financial-statements": statement.id,
        "invoices": invoice.id,
        "payments": payment.id,
        "treatments": treatment_id,
        "surveys": survey_id,
        "chats": chat_id,
    }
    return Company(id=company.id, rows=rows, employee_code=code)


def _google_form(ctx: Context, settings: Settings, company: Company) -> None:
    """A form of the company, and one delivery it rejected that replays now (its employee exists)."""
    new = NewGoogleForm(company_id=company.id, title="施術アンケート", questions=form_questions())
    created = forms.create(ctx, settings, new)
    answers = {
        "社員番号": company.employee_code, "施術の前後": "施術後", "身体の状態": "7", "気分": "6",
        "やる気": "8", "対人関係": "4", "その他の症状": "20",
    }  # fmt: skip
    response_id = f"world-{company.id}"
    delivery = form_delivery_data(
        form_id=created.form.id,
        company_id=company.id,
        response_id=response_id,
        answers=[{"title": title, "answer": answer} for title, answer in answers.items()],
    )
    delivery_id = surveys.delivery_id(created.form.id, response_id)
    crud.form_deliveries.create(ctx.store, data=delivery, doc_id=delivery_id)
    company.rows["google-forms"] = created.form.id
    company.rows["deliveries"] = delivery_id
    company.form_secret = created.secret
