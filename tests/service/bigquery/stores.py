"""Two companies in both stores, for the warehouse tests (not fixtures)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.database import crud, crud_sql
from backend.database.documents import DocumentStore
from tests.database.document_factories import consultation_data
from tests.database.factories import company_data, statement_data

BIG = 999_999_999_999_999  # yen past 2**53: a float would round it


def fill(session: Session, store: DocumentStore, answers: int = 3) -> tuple[int, int]:
    """Two companies: the first with two months of P&L (one of BIG revenue) and ``answers`` survey
    answers, the second with one month and one answer."""
    one, two = (crud_sql.companies.create(session, data=company_data()).id for _ in range(2))
    crud_sql.bulk_create_financial_statements(
        session,
        rows=[
            statement_data(one, period="2024-04", revenue_yen=BIG),
            statement_data(one, period="2024-05"),
            statement_data(two, period="2024-04"),
        ],
    )
    for n in range(answers):
        crud.consultations.create(store, data=consultation_data(company_id=one, employee_id=n + 1))
    crud.consultations.create(store, data=consultation_data(company_id=two, employee_id=99))
    return one, two
