"""The loaders on the real stores: exact money, tz-aware times, scores as stored, scope respected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from backend.database import crud, crud_sql
from backend.database.documents import DocumentStore
from backend.service.analysis import loaders
from tests.database.document_factories import consultation_data, vas
from tests.database.factories import company_data, statement_data

BIG = 999_999_999_999_999  # the largest amount the schema takes; float32 would round it


def test_statements_keep_money_exact_and_respect_the_scope(session: Session) -> None:
    mine = crud_sql.companies.create(session, data=company_data()).id
    other = crud_sql.companies.create(session, data=company_data()).id
    crud_sql.bulk_create_financial_statements(
        session,
        rows=[
            statement_data(mine, period="2024-04", revenue_yen=BIG, operating_profit_yen=-BIG),
            statement_data(mine, period="2024-05"),
            statement_data(other, period="2024-04"),
        ],
    )
    frame = loaders.statements(session, [mine])
    assert list(frame["company_id"]) == [mine, mine]
    assert str(frame["revenue_yen"].dtype) == "Int64"
    assert frame.loc[0, "revenue_yen"] == BIG
    assert frame.loc[0, "operating_profit_yen"] == -BIG
    assert [p.strftime("%Y-%m-%d") for p in frame["period"]] == ["2024-04-01", "2024-05-01"]
    assert set(loaders.statements(session, None)["company_id"]) >= {mine, other}
    assert loaders.statements(session, []).empty


def test_surveys_come_from_the_document_store_more_than_a_page_of_them(document_store: DocumentStore) -> None:
    t0 = datetime(2025, 4, 1, 9, tzinfo=UTC)
    for n in range(crud.MAX_PAGE + 3):  # more than one page
        crud.consultations.create(
            document_store,
            data=consultation_data(employee_id=n + 1, company_id=1, answered_at=t0 + timedelta(minutes=n)),
        )
    crud.consultations.create(
        document_store, data=consultation_data(company_id=2, vas=vas(physical=33.5), phase="after")
    )
    frame = loaders.surveys(document_store, [1])
    assert len(frame) == crud.MAX_PAGE + 3
    assert frame["employee_id"].is_unique
    assert str(frame["answered_at"].dtype) == "datetime64[us, UTC]"
    assert frame["answered_at"].min() == t0
    other = loaders.surveys(document_store, [2])
    assert (other.loc[0, "physical"], other.loc[0, "phase"]) == (33.5, "after")
    assert len(loaders.surveys(document_store, None)) == crud.MAX_PAGE + 4
