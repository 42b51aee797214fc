"""The warehouse port's one contract suite, run on every adapter: DuckDB (embedded) and BigQuery
(on bqemulator, a dataset of its own per test). Rows per company are replaced whole, read back with
exact types, and only named tables and queries exist."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database.documents import DocumentStore
from backend.service.analysis import loaders
from backend.service.bigquery.service import BigQueryService
from backend.service.bigquery.warehouse import Warehouse, as_of, open_warehouse
from backend.service.bigquery.warehouse_bigquery import CHUNK_ROWS, bigquery_client
from tests import emulators
from tests.service.bigquery.stores import BIG, fill


@pytest.fixture(params=["duckdb", "bigquery"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """A fresh, empty warehouse of each adapter, opened from settings as the application does."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    if request.param == "bigquery":
        settings = settings.model_copy(
            update={
                "warehouse_backend": "bigquery",
                "bigquery_project": emulators.BIGQUERY_PROJECT,
                "bigquery_api_endpoint": request.getfixturevalue("bigquery_endpoint"),
                "bigquery_dataset": f"test_{secrets.token_hex(6)}",
            }
        )
    found = open_warehouse(settings)
    assert found.name == request.param
    yield found
    found.close()
    if request.param == "bigquery":
        client = bigquery_client(settings)
        client.delete_dataset(settings.bigquery_dataset, delete_contents=True, not_found_ok=True)
        client.close()


def frame(company_ids: list[int], **columns: object) -> pd.DataFrame:
    return pd.DataFrame({"company_id": pd.array(company_ids, dtype="Int64"), **columns})


def read(warehouse: Warehouse, like: pd.DataFrame, company_ids: list[int] | None = None) -> pd.DataFrame:
    """What the warehouse holds, with ``like``'s types and row order (by every column)."""
    found = as_of(warehouse.query("surveys", company_ids=company_ids), dict(like.dtypes))
    by = list(like.columns)
    return found[by].sort_values(by).reset_index(drop=True)


def sort(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values(list(rows.columns)).reset_index(drop=True)


def test_a_replace_sets_the_rows_of_its_companies(warehouse: Warehouse) -> None:
    rows = frame([1, 1, 2], x=[1.0, 2.0, 3.0])
    warehouse.replace("surveys", [1, 2], rows)
    pd.testing.assert_frame_equal(read(warehouse, rows), rows)
    pd.testing.assert_frame_equal(
        read(warehouse, rows, [2]), rows[rows["company_id"] == 2].reset_index(drop=True)
    )


def test_a_replace_of_one_company_leaves_the_others(warehouse: Warehouse) -> None:
    rows = frame([1, 1, 2], x=[1.0, 2.0, 3.0])
    warehouse.replace("surveys", [1, 2], rows)
    warehouse.replace("surveys", [1], frame([1], x=[4.0]))
    assert sorted(warehouse.query("surveys")["x"]) == [3.0, 4.0]
    assert list(warehouse.query("surveys", company_ids=[1])["x"]) == [4.0]
    assert list(warehouse.query("surveys", company_ids=[2])["x"]) == [3.0]
    assert warehouse.query("surveys", company_ids=[]).empty
    warehouse.replace("surveys", [1], frame([1, 1], x=[5.0, 6.0]))  # and again
    assert sorted(warehouse.query("surveys")["x"]) == [3.0, 5.0, 6.0]


def test_an_empty_frame_empties_its_companies(warehouse: Warehouse) -> None:
    assert warehouse.query("surveys").empty  # nothing synced yet
    rows = frame([1, 2], x=[1.0, 2.0])
    warehouse.replace("surveys", [1, 2], rows)
    warehouse.replace("surveys", [1], rows.iloc[0:0])
    assert list(warehouse.query("surveys")["x"]) == [2.0]
    assert list(warehouse.query("surveys", company_ids=[1]).columns) == ["company_id", "x"]
    assert warehouse.query("surveys", company_ids=[1]).empty


def test_money_comes_back_as_exact_integers(warehouse: Warehouse) -> None:
    # BIG still fits a double exactly; 2**53 + 1 and the INT64 limits do not.
    exact = [BIG, -BIG, 2**53 + 1, 2**63 - 1, -(2**63)]
    rows = frame([1] * 6, revenue_yen=pd.array([*exact, None], dtype="Int64"))
    warehouse.replace("surveys", [1], rows)
    found = warehouse.query("surveys")
    assert pd.api.types.is_integer_dtype(found["revenue_yen"])  # never float on the way
    assert sorted(found["revenue_yen"].dropna().tolist()) == sorted(exact)
    assert found["revenue_yen"].isna().sum() == 1


def test_every_column_type_comes_back_as_it_went_in(warehouse: Warehouse) -> None:
    instant = pd.Timestamp("2024-04-01 09:30:00.123456", tz="UTC")
    rows = frame(
        [1, 1, 2],
        employee_id=pd.array([7, None, 9], dtype="Int64"),
        score=[61.5, np.nan, float("inf")],
        phase=pd.array(["before", None, "施術の後"], dtype="string"),
        answered_at=pd.Series(
            [instant, pd.NaT, instant + pd.Timedelta(days=40)], dtype="datetime64[us, UTC]"
        ),
        shown_at=pd.Series([instant, instant, pd.NaT]).dt.tz_convert("Asia/Tokyo"),
        period=pd.Series(["2024-04-01", "2024-05-01", None], dtype="datetime64[s]"),
        paid=pd.array([True, None, False], dtype="boolean"),
    )
    warehouse.replace("surveys", [1, 2], rows)
    pd.testing.assert_frame_equal(read(warehouse, rows), sort(rows))
    found = warehouse.query("surveys", company_ids=[1])
    assert found["answered_at"].dropna().tolist() == [instant]  # the same instant, to the microsecond


def test_only_named_tables_and_queries_exist(warehouse: Warehouse) -> None:
    with pytest.raises(ValueError, match="no warehouse table or query"):
        warehouse.query("users; DROP TABLE surveys")
    with pytest.raises(ValueError, match="no warehouse table or query"):
        warehouse.replace("users", [1], frame([1], x=[1.0]))
    assert warehouse.query("statements").empty


def test_rows_must_belong_to_the_replaced_companies(warehouse: Warehouse) -> None:
    with pytest.raises(ValueError, match=r"rows of companies \[2\] are not among"):
        warehouse.replace("surveys", [1], frame([1, 2], x=[1.0, 2.0]))
    with pytest.raises(ValueError, match="needs a company_id"):
        warehouse.replace("surveys", [1], pd.DataFrame({"x": [1.0]}))
    assert warehouse.query("surveys").empty


def test_versions_round_trip_and_the_latest_wins(warehouse: Warehouse) -> None:
    assert warehouse.synced_versions() == {}
    warehouse.record_versions({1: 3, 2: 5})
    warehouse.record_versions({1: 4})
    warehouse.record_versions({})
    assert warehouse.synced_versions() == {1: 4, 2: 5}


def test_a_failed_replace_leaves_the_previous_rows(warehouse: Warehouse) -> None:
    before = frame([1, 2], n=pd.array([1, 2], dtype="Int64"))
    warehouse.replace("surveys", [1, 2], before)
    # More rows than one insert takes, the very last one bad: BigQuery has streamed a chunk by then.
    bad = pd.Series(list(range(CHUNK_ROWS + 5)), dtype=object)
    bad.iloc[-1] = "not a number"
    with pytest.raises((ValueError, duckdb.Error)):
        warehouse.replace("surveys", [1], frame([1] * len(bad), n=bad))
    pd.testing.assert_frame_equal(read(warehouse, before), before)


def test_many_rows_arrive_whole(warehouse: Warehouse) -> None:
    count = 2 * CHUNK_ROWS + 500  # three inserts on BigQuery
    rows = frame([n % 3 + 1 for n in range(count)], n=pd.array(range(count), dtype="Int64"))
    warehouse.replace("surveys", [1, 2, 3], rows)
    found = warehouse.query("surveys")
    assert len(found) == count
    assert int(found["n"].sum()) == count * (count - 1) // 2
    assert len(warehouse.query("surveys", company_ids=[2])) == len(rows[rows["company_id"] == 2])


def test_the_service_gives_back_what_the_stores_hold_with_exact_types(
    session: Session, document_store: DocumentStore, warehouse: Warehouse
) -> None:
    one, two = fill(session, document_store)
    service = BigQueryService(warehouse)
    report = service.sync(session, document_store)
    assert (sorted(report.synced), report.unchanged) == ([one, two], 0)
    assert service.sync(session, document_store).synced == []  # the versions were kept
    for scope in ([one], [two], [one, two]):
        pd.testing.assert_frame_equal(service.statements(scope), loaders.statements(session, scope))
        by = ["company_id", "employee_id", "answered_at"]
        got = service.surveys(scope).sort_values(by).reset_index(drop=True)
        want = loaders.surveys(document_store, scope).sort_values(by).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    assert service.statements([one]).loc[0, "revenue_yen"] == BIG  # exact, never a float


def test_an_emulator_endpoint_needs_a_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, bigquery_api_endpoint="http://127.0.0.1:9050"
    )
    with pytest.raises(ValueError, match="WELLNESS_BIGQUERY_PROJECT"):
        bigquery_client(settings)


def test_a_prune_removes_only_what_no_query_reads(warehouse: Warehouse) -> None:
    warehouse.replace("surveys", [1, 2], frame([1, 1, 2], x=[1.0, 2.0, 3.0]))
    warehouse.replace("surveys", [1], frame([1], x=[4.0]))  # company 1's first rows are superseded
    warehouse.record_versions({1: 1, 2: 1})
    warehouse.record_versions({1: 2})
    before = sort(warehouse.query("surveys"))
    assert warehouse.prune(older_than=timedelta(days=1)) == 0  # nothing is that old yet
    removed = warehouse.prune(older_than=timedelta(0))
    assert removed == (0 if warehouse.name == "duckdb" else 2 + 1 + 1)  # 2 rows, 1 marker, 1 version
    pd.testing.assert_frame_equal(sort(warehouse.query("surveys")), before)
    assert sorted(warehouse.query("surveys", company_ids=[1])["x"]) == [4.0]
    assert warehouse.synced_versions() == {1: 2, 2: 1}
    assert warehouse.prune(older_than=timedelta(0)) == 0  # nothing more to remove
