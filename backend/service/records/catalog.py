"""Every resource of the API, each one service over its store; the routes call these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from backend.database import crud, crud_sql
from backend.database.models import ChatMessage, Consultation, Treatment
from backend.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from backend.service.access import not_visible
from backend.service.context import Context
from backend.service.records import schemas as s
from backend.service.records.documents import DocumentRecords
from backend.service.records.sql import SqlRecords

COMPANY = {"company_id": (crud_sql.companies, "company")}


def _documents_of(
    field: str, repos: tuple[crud.DocumentRepository[Any], ...]
) -> Callable[[Context, int], None]:
    """Refuse to delete a row that documents still name: PostgreSQL cannot cascade into the document
    store, and an employee's treatments and surveys must not outlive them unseen."""

    def check(ctx: Context, entity_id: int) -> None:
        condition = [{"field": field, "operator": "==", "value": entity_id}]
        held = {
            repo.collection: n
            for repo in repos
            if (n := ctx.store.count(repo.collection, conditions=condition))
        }
        if held:
            listed = ", ".join(f"{n} in {name}" for name, n in held.items())
            raise Conflict(
                f"{field} {entity_id} is still named by documents ({listed}); delete those first.",
                details={"documents": held},
            )

    return check


companies = SqlRecords(
    crud_sql.companies,
    s.CompanyPublic,
    before_delete=_documents_of(
        "company_id",
        (
            crud.treatments,
            crud.consultations,
            crud.chats,
            crud.google_forms,
            crud.form_deliveries,
            crud.reports,  # a company report holds the company's data too
        ),
    ),
)
employees = SqlRecords(
    crud_sql.employees,
    s.EmployeePublic,
    parents=COMPANY,
    before_delete=_documents_of("employee_id", (crud.treatments, crud.consultations)),
)
financial_statements = SqlRecords(crud_sql.financial_statements, s.FinancialStatementPublic, parents=COMPANY)
invoices = SqlRecords(crud_sql.invoices, s.InvoicePublic, parents=COMPANY)
audit_logs = SqlRecords(crud_sql.audit_logs, s.AuditLogPublic, newest_first=True)
payments = SqlRecords(
    crud_sql.payments, s.PaymentPublic, parents={"invoice_id": (crud_sql.invoices, "invoice")}
)


def _company_visible(ctx: Context, company_id: int) -> None:
    try:
        crud_sql.companies.read(ctx.session, company_id, within=ctx.viewer.companies)
    except NotFound:
        raise not_visible("company_id", company_id, "company") from None


def _employee_of_company(ctx: Context, model: Treatment | Consultation) -> None:
    try:
        employee = crud_sql.employees.read(ctx.session, model.employee_id, within=ctx.viewer.companies)
    except NotFound:
        raise not_visible("employee_id", model.employee_id, "employee") from None
    if employee.company_id != model.company_id:
        reason = f"works for company {employee.company_id}, not for company {model.company_id}"
        raise ValidationFailed([FieldProblem("employee_id", reason, value=model.employee_id)])


def _survey_references(ctx: Context, model: Consultation) -> None:
    _employee_of_company(ctx, model)
    if model.treatment_id is None:
        return
    treatment = crud.treatments.find(ctx.store, model.treatment_id)
    if treatment is None:
        raise not_visible("treatment_id", model.treatment_id, "treatment")
    if treatment.employee_id != model.employee_id:
        reason = f"is a treatment of employee {treatment.employee_id}, not of employee {model.employee_id}"
        raise ValidationFailed([FieldProblem("treatment_id", reason, value=model.treatment_id)])


def _new_survey(ctx: Context, data: s.NewSurvey) -> Consultation:
    return Consultation(**data.model_dump(), source="manual", user_id=ctx.viewer.user_id)


def _new_chat(ctx: Context, data: s.NewChat) -> ChatMessage:
    return ChatMessage(**data.model_dump(), author_id=ctx.viewer.user_id, created_at=datetime.now(UTC))


treatments = DocumentRecords(
    crud.treatments,
    s.TreatmentPublic,
    build=lambda ctx, data: Treatment.model_validate(data.model_dump()),
    check=_employee_of_company,
)
surveys = DocumentRecords(crud.consultations, s.SurveyPublic, build=_new_survey, check=_survey_references)
chats = DocumentRecords(
    crud.chats,
    s.ChatPublic,
    build=_new_chat,
    check=lambda ctx, model: _company_visible(ctx, model.company_id),
)
