"""The stores' records in scope as typed frames (``frames.py``): P&L from PostgreSQL, survey answers
from the document store. A scope is a set of company ids, or None for every company (the Startup
Wellness team)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import crud
from backend.database.documents import DocumentStore
from backend.database.models import Consultation
from backend.database.models_sql import Company, FinancialStatement, Invoice
from backend.database.schemas_sql import FinancialStatementCreate
from backend.service.analysis.frames import surveys_frame

STATEMENT_COLUMNS = tuple(FinancialStatementCreate.model_fields)  # what a statement is made of
STATEMENT_TYPES = {c: "datetime64[s]" if c == "period" else "Int64" for c in STATEMENT_COLUMNS}


def statements(session: Session, companies: Iterable[int] | None) -> pd.DataFrame:
    """One row per company and month; money and counts as exact ``Int64`` (never float), ``period``
    the first day of the month (``datetime64[s]``)."""
    table = FinancialStatement.__table__
    query = select(*[table.c[c] for c in STATEMENT_COLUMNS]).order_by(table.c.company_id, table.c.period)
    if companies is not None:
        query = query.where(table.c.company_id.in_(sorted(set(companies))))
    rows = session.connection().execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(STATEMENT_COLUMNS), dtype=object)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame.astype(STATEMENT_TYPES)


def surveys(store: DocumentStore, companies: Iterable[int] | None) -> pd.DataFrame:
    """Every survey answer (``consultations``) of the companies in scope, one query per company."""
    return surveys_frame(_answers(store, companies))


def _answers(store: DocumentStore, companies: Iterable[int] | None) -> Iterator[Consultation]:
    for company in [None] if companies is None else sorted(set(companies)):
        yield from (answer for _, answer in crud.consultations.scan(store, company_id=company))


def companies_and_invoices(
    session: Session, scope: Iterable[int] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The companies in scope (id, vc_firm) and their invoices (company_id, vc_firm, amount_yen,
    status); invoices issued to a VC firm without a company come only with every company."""
    companies = select(Company.id, Company.vc_firm)
    invoices = select(Invoice.company_id, Invoice.vc_firm, Invoice.amount_yen, Invoice.status)
    if scope is not None:
        ids = sorted(set(scope))
        companies = companies.where(Company.id.in_(ids))
        invoices = invoices.where(Invoice.company_id.in_(ids))
    connection = session.connection()
    company_rows = [tuple(r) for r in connection.execute(companies)]
    invoice_rows = [(c, f, int(a), str(status)) for c, f, a, status in connection.execute(invoices)]
    return (
        pd.DataFrame(company_rows, columns=["id", "vc_firm"]),
        pd.DataFrame(invoice_rows, columns=["company_id", "vc_firm", "amount_yen", "status"]),
    )
