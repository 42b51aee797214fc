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
from backend.database.models_sql import FinancialStatement
from backend.database.schemas_sql import FinancialStatementCreate
from backend.service.analysis.frames import surveys_frame

STATEMENT_COLUMNS = tuple(FinancialStatementCreate.model_fields)  # what a statement is made of


def statements(session: Session, companies: Iterable[int] | None) -> pd.DataFrame:
    """One row per company and month; money and counts as exact ``Int64`` (never float), ``period``
    the first day of the month (``datetime64[s]``)."""
    table = FinancialStatement.__table__
    query = select(*[table.c[c] for c in STATEMENT_COLUMNS]).order_by(table.c.company_id, table.c.period)
    if companies is not None:
        query = query.where(table.c.company_id.in_(sorted(set(companies))))
    rows = session.connection().execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(STATEMENT_COLUMNS), dtype=object)
    counts = [c for c in STATEMENT_COLUMNS if c != "period"]
    frame = frame.astype(dict.fromkeys(counts, "Int64"))
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[s]")
    return frame


def surveys(store: DocumentStore, companies: Iterable[int] | None) -> pd.DataFrame:
    """Every survey answer (``consultations``) of the companies in scope, one query per company."""
    return surveys_frame(_answers(store, companies))


def _answers(store: DocumentStore, companies: Iterable[int] | None) -> Iterator[Consultation]:
    for company in [None] if companies is None else sorted(set(companies)):
        yield from (answer for _, answer in crud.consultations.scan(store, company_id=company))
