"""The warehouse on DuckDB (the embedded adapter): rows per company replaced whole, read back with
exact types, synced incrementally by data version, named queries only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from backend.database import crud, crud_sql, queue_sql
from backend.database.documents import DocumentStore
from backend.service.analysis import loaders
from backend.service.bigquery.service import BigQueryService
from backend.service.bigquery.warehouse import DuckDBWarehouse
from tests.database.document_factories import consultation_data
from tests.database.factories import company_data, statement_data

BIG = 999_999_999_999_999


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    found = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    yield found
    found.close()


def stores(session: Session, store: DocumentStore, answers: int = 3) -> tuple[int, int]:
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


def test_the_warehouse_gives_back_what_the_stores_hold_with_exact_types(
    session: Session, document_store: DocumentStore, warehouse: DuckDBWarehouse
) -> None:
    one, two = stores(session, document_store)
    service = BigQueryService(warehouse)
    report = service.sync(session, document_store)
    assert (sorted(report.synced), report.unchanged) == ([one, two], 0)
    for scope in ([one], [two], [one, two]):
        expected = loaders.statements(session, scope)
        pd.testing.assert_frame_equal(service.statements(scope), expected)
        by = ["company_id", "employee_id", "answered_at"]
        got = service.surveys(scope).sort_values(by).reset_index(drop=True)
        want = loaders.surveys(document_store, scope).sort_values(by).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    assert service.statements([one]).loc[0, "revenue_yen"] == BIG  # exact, never a float


def test_only_companies_whose_data_changed_are_synced_again(
    session: Session, document_store: DocumentStore, warehouse: DuckDBWarehouse
) -> None:
    one, two = stores(session, document_store)
    service = BigQueryService(warehouse)
    service.sync(session, document_store)
    assert service.sync(session, document_store).synced == []  # nothing changed
    crud.consultations.create(document_store, data=consultation_data(company_id=two, employee_id=100))
    queue_sql.bump_versions(session, [two])  # what the worker does for that write's event
    again = service.sync(session, document_store)
    assert (again.synced, again.unchanged) == ([two], 1)
    assert len(service.surveys([two])) == 2
    assert len(service.surveys([one])) == 3


def test_a_replace_changes_one_company_and_names_come_from_the_code(warehouse: DuckDBWarehouse) -> None:
    frame = pd.DataFrame({"company_id": [1, 1, 2], "x": [1.0, 2.0, 3.0]})
    warehouse.replace("surveys", [1, 2], frame)
    warehouse.replace("surveys", [1], frame[frame["company_id"] == 1].head(1))
    assert sorted(warehouse.query("surveys")["x"]) == [1.0, 3.0]
    assert list(warehouse.query("surveys", company_ids=[2])["x"]) == [3.0]
    assert warehouse.query("statements").empty  # nothing synced yet
    with pytest.raises(ValueError, match="no warehouse table or query"):
        warehouse.query("users; DROP TABLE surveys")
