"""BigQueryService on the embedded warehouse: synced incrementally by data version. What every
adapter must do is in test_warehouse_contract.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.database import crud, queue_sql
from backend.database.documents import DocumentStore
from backend.service.bigquery.service import BigQueryService
from backend.service.bigquery.warehouse import DuckDBWarehouse
from tests.database.document_factories import consultation_data
from tests.service.bigquery.stores import fill


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    found = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    yield found
    found.close()


def test_only_companies_whose_data_changed_are_synced_again(
    session: Session, document_store: DocumentStore, warehouse: DuckDBWarehouse
) -> None:
    one, two = fill(session, document_store)
    service = BigQueryService(warehouse)
    service.sync(session, document_store)
    assert service.sync(session, document_store).synced == []  # nothing changed
    crud.consultations.create(document_store, data=consultation_data(company_id=two, employee_id=100))
    queue_sql.bump_versions(session, [two])  # what the worker does for that write's event
    again = service.sync(session, document_store)
    assert (again.synced, again.unchanged) == ([two], 1)
    assert len(service.surveys([two])) == 2
    assert len(service.surveys([one])) == 3


class _RefusingWarehouse:
    """A warehouse whose prune fails, as BigQuery's DML can (quota, permissions)."""

    name = "refusing"
    older_than: timedelta | None = None

    def prune(self, *, older_than: timedelta) -> int:
        self.older_than = older_than
        raise RuntimeError("BigQuery said no")


def test_a_failed_warehouse_prune_is_logged_and_the_worker_starts(caplog: pytest.LogCaptureFixture) -> None:
    warehouse = _RefusingWarehouse()
    with caplog.at_level(logging.WARNING):
        BigQueryService(warehouse).prune_or_warn()  # type: ignore[arg-type]
    assert warehouse.older_than == timedelta(hours=3)  # past BigQuery's streaming buffer
    assert "Could not prune the warehouse: RuntimeError: BigQuery said no" in caplog.text
