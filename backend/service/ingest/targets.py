"""Where each dataset lands: its data category, the schema or model that validates a row, its natural
key, and the references a file names by code that are stored by id (employee code, invoice number)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from backend.database import crud, crud_sql
from backend.database import schemas_sql as s
from backend.database.models import Consultation, Treatment
from backend.database.routing import DataCategory
from backend.errors import FieldProblem
from backend.service.context import Context
from backend.service.ingest.headers import ColumnMap
from backend.service.ingest.parsing import ParsedRow
from backend.service.ingest.problems import Problems

# Replaces the codes a file names (employee code, invoice number) by the ids they are stored under;
# a row whose code names nothing gets a problem and is dropped. Called a chunk of rows at a time with
# the same ``known`` (code → id, None for none), so each code is looked up once per import.
Resolve = Callable[[Context, list[ParsedRow], ColumnMap, Problems, dict[Any, Any]], list[ParsedRow]]


@dataclass(frozen=True)
class SqlTarget:
    category: DataCategory
    repo: crud_sql.Repository[Any]
    schema: type[s._Input]
    key: tuple[str, ...]  # columns of the table that identify a row (the upsert key)
    resolve: Resolve | None = None


@dataclass(frozen=True)
class DocumentTarget:
    category: DataCategory
    repo: crud.DocumentRepository[Any]
    build: Callable[[Context, dict[str, Any]], BaseModel]  # values → the stored model
    key: Callable[[dict[str, Any]], tuple[Any, ...]]  # values → the natural key the document id comes from
    resolve: Resolve | None = None

    def document_id(self, dataset: str, values: dict[str, Any]) -> str:
        """The same row always lands on the same document, so a retry never duplicates one."""
        text = "\x1f".join(str(part) for part in (dataset, *self.key(values)))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _codes(rows: Iterable[ParsedRow], field: str, known: dict[Any, Any]) -> dict[int, set[str]]:
    wanted: dict[int, set[str]] = {}
    for r in rows:
        if (r.values["company_id"], r.values[field]) not in known:
            wanted.setdefault(r.values["company_id"], set()).add(r.values[field])
    return wanted


def employees_by_code(
    ctx: Context,
    rows: list[ParsedRow],
    columns: ColumnMap,
    problems: Problems,
    known: dict[Any, Any] | None = None,
) -> list[ParsedRow]:
    """``employee_code`` → ``employee_id``, within each row's company; ``known`` holds the codes
    looked up for earlier chunks of the same file, and gets this chunk's."""
    known = {} if known is None else known
    for company_id, codes in _codes(rows, "employee_code", known).items():
        found = crud_sql.employees.rows_by_key(
            ctx.session, ("company_id", "employee_code"), [(company_id, code) for code in codes]
        )
        known.update(dict.fromkeys(((company_id, code) for code in codes), None))
        known.update({key: row.id for key, row in found.items()})
    kept = []
    for r in rows:
        values = dict(r.values)
        code = values.pop("employee_code")
        employee_id = known.get((values["company_id"], code))
        if employee_id is None:
            reason = (
                f"no employee has this code in company {values['company_id']}; import the employees first"
            )
            problems.add(FieldProblem(columns.header_of("employee_code"), reason, row=r.row, value=code))
            continue
        values["employee_id"] = employee_id
        kept.append(ParsedRow(r.row, values))
    return kept


def invoices_by_number(
    ctx: Context,
    rows: list[ParsedRow],
    columns: ColumnMap,
    problems: Problems,
    known: dict[Any, Any] | None = None,
) -> list[ParsedRow]:
    """``invoice_number`` → ``invoice_id`` (a file may give the id itself instead); ``known`` holds
    the invoices looked up for earlier chunks of the same file, and gets this chunk's."""
    found = {} if known is None else known
    numbers = {(n,) for r in rows if (n := r.values.get("invoice_number")) is not None} - found.keys()
    found.update(dict.fromkeys(numbers, None))
    found.update(crud_sql.invoices.rows_by_key(ctx.session, ("invoice_number",), list(numbers)))
    kept = []
    for r in rows:
        values = dict(r.values)
        if "invoice_number" in values:
            number = values.pop("invoice_number")
            invoice = found.get((number,))
            if invoice is None:
                reason = "no invoice has this number; import the invoices first"
                problems.add(
                    FieldProblem(columns.header_of("invoice_number"), reason, row=r.row, value=number)
                )
                continue
            if values.setdefault("invoice_id", invoice.id) != invoice.id:
                reason = f"names invoice {number}, whose id is {invoice.id}, not {values['invoice_id']}"
                problems.add(FieldProblem(columns.header_of("invoice_id"), reason, row=r.row))
                continue
        kept.append(ParsedRow(r.row, values))
    return kept


def _survey(ctx: Context, values: dict[str, Any]) -> Consultation:
    return Consultation.model_validate({**values, "source": "upload", "user_id": ctx.viewer.user_id})


def _survey_key(values: dict[str, Any]) -> tuple[Any, ...]:
    if values.get("response_id"):
        return values["company_id"], "response", values["response_id"]
    return values["company_id"], values["employee_id"], values["phase"], values["answered_at"].isoformat()


TARGETS: dict[str, SqlTarget | DocumentTarget] = {
    "companies": SqlTarget(DataCategory.COMPANY_MASTER, crud_sql.companies, s.CompanyCreate, ("name",)),
    "employees": SqlTarget(
        DataCategory.EMPLOYEE_MASTER, crud_sql.employees, s.EmployeeCreate, ("company_id", "employee_code")
    ),
    "financial_statements": SqlTarget(
        DataCategory.FINANCIAL,
        crud_sql.financial_statements,
        s.FinancialStatementCreate,
        ("company_id", "period"),
    ),
    "invoices": SqlTarget(DataCategory.BILLING, crud_sql.invoices, s.InvoiceCreate, ("invoice_number",)),
    "payments": SqlTarget(
        DataCategory.BILLING,
        crud_sql.payments,
        s.PaymentCreate,
        ("invoice_id", "paid_on", "amount_yen"),
        resolve=invoices_by_number,
    ),
    "treatments": DocumentTarget(
        DataCategory.TREATMENT,
        crud.treatments,
        build=lambda ctx, values: Treatment.model_validate(values),
        key=lambda v: (v["company_id"], v["employee_id"], v["started_at"].isoformat()),
        resolve=employees_by_code,
    ),
    "surveys": DocumentTarget(
        DataCategory.SURVEY, crud.consultations, build=_survey, key=_survey_key, resolve=employees_by_code
    ),
}
