"""The warehouse port and its embedded adapter (DuckDB, a file under the data dir).

A warehouse holds the analysable rows per company: ``surveys`` (from ``consultations``) and
``statements`` (from ``financial_statements``), with the data version each company was synced at.
It answers named queries only (``QUERIES``): no SQL text ever comes from a request.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from backend.config import Settings

TABLES = ("surveys", "statements")
QUERIES = ("surveys", "statements")  # each: the table's rows of ``company_ids`` (None: all)
# Every statement is written here, from the table names above: nothing of a request becomes SQL.
_SQL = {
    t: {
        "create": f"CREATE TABLE IF NOT EXISTS {t} AS SELECT * FROM incoming LIMIT 0",  # noqa: S608
        "delete": f"DELETE FROM {t} WHERE list_contains($ids, company_id)",  # noqa: S608
        "insert": f"INSERT INTO {t} BY NAME SELECT * FROM incoming",  # noqa: S608
        "all": f"SELECT * FROM {t}",  # noqa: S608
        "some": f"SELECT * FROM {t} WHERE list_contains($ids, company_id)",  # noqa: S608
    }
    for t in TABLES
}


class WarehouseBusy(RuntimeError):
    """The warehouse cannot be opened here now (another process holds the DuckDB file)."""


class Warehouse(Protocol):
    name: str

    def replace(self, table: str, companies: Sequence[int], rows: pd.DataFrame) -> None:
        """The rows of ``companies`` in ``table`` become ``rows`` (all at once; each row one of theirs)."""
        ...

    def query(self, name: str, *, company_ids: Sequence[int] | None = None) -> pd.DataFrame: ...

    def synced_versions(self) -> dict[int, int]:
        """The data version each company's rows were synced at."""
        ...

    def record_versions(self, versions: dict[int, int]) -> None: ...

    def prune(self, *, older_than: timedelta) -> int:
        """Remove what replaces superseded more than ``older_than`` ago (rows no query reads any
        more); answers how many rows went. Queries answer the same before and after."""
        ...

    def close(self) -> None: ...


class DuckDBWarehouse:
    """DuckDB in one file: one connection, used by one thread at a time."""

    name = "duckdb"

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = duckdb.connect(str(path))
        except duckdb.IOException as exc:  # DuckDB lets one process at a time open a file for writing
            raise WarehouseBusy(f"the DuckDB warehouse {path} is open in another process: {exc}") from exc
        self._lock = threading.Lock()
        self._db.execute("CREATE TABLE IF NOT EXISTS synced (company_id BIGINT PRIMARY KEY, version BIGINT)")

    def replace(self, table: str, companies: Sequence[int], rows: pd.DataFrame) -> None:
        check_name(table, TABLES)
        ids = check_rows(companies, rows)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.register("incoming", rows)
                self._db.execute(_SQL[table]["create"])
                self._db.execute(_SQL[table]["delete"], {"ids": ids})
                if len(rows):
                    self._db.execute(_SQL[table]["insert"])
                self._db.unregister("incoming")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def query(self, name: str, *, company_ids: Sequence[int] | None = None) -> pd.DataFrame:
        check_name(name, QUERIES)
        with self._lock:
            exists = self._db.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = $t", {"t": name}
            ).fetchone()
            if not exists or not exists[0]:
                return pd.DataFrame()
            if company_ids is None:
                return self._db.execute(_SQL[name]["all"]).df()
            return self._db.execute(_SQL[name]["some"], {"ids": sorted(set(company_ids))}).df()

    def synced_versions(self) -> dict[int, int]:
        with self._lock:
            return {
                int(c): int(v)
                for c, v in self._db.execute("SELECT company_id, version FROM synced").fetchall()
            }

    def record_versions(self, versions: dict[int, int]) -> None:
        with self._lock:
            for company, version in versions.items():
                self._db.execute(
                    "INSERT OR REPLACE INTO synced VALUES ($c, $v)", {"c": company, "v": version}
                )

    def prune(self, *, older_than: timedelta) -> int:
        return 0  # a replace deletes the rows it supersedes in its own transaction

    def close(self) -> None:
        self._db.close()


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse the settings name (``WELLNESS_WAREHOUSE_BACKEND``)."""
    if settings.warehouse_backend == "duckdb":
        return DuckDBWarehouse(settings.warehouse_path)
    if settings.warehouse_backend == "bigquery":
        # Imported here: the BigQuery adapter imports this module, and DuckDB users need no Google client.
        from backend.service.bigquery.warehouse_bigquery import BigQueryWarehouse, bigquery_client

        return BigQueryWarehouse(bigquery_client(settings), dataset=settings.bigquery_dataset)
    raise ValueError(f"no warehouse backend {settings.warehouse_backend!r}")


def check_name(name: str, allowed: Sequence[str]) -> None:
    """Table and query names come from the adapters, never from a request: anything else is a bug."""
    if name not in allowed:
        raise ValueError(f"no warehouse table or query {name!r}; there are: {', '.join(allowed)}")


def check_rows(companies: Sequence[int], rows: pd.DataFrame) -> list[int]:
    """The companies of a ``replace``, sorted; its rows must have a ``company_id`` and be theirs."""
    ids = sorted({int(c) for c in companies})
    if "company_id" not in rows.columns or rows["company_id"].isna().any():
        raise ValueError("every warehouse row needs a company_id")
    strays = sorted(set(rows["company_id"].astype(int)) - set(ids))
    if strays:
        raise ValueError(f"rows of companies {strays} are not among the replaced companies {ids}")
    return ids


def as_of(frame: pd.DataFrame, types: dict[str, Any]) -> pd.DataFrame:
    """A frame read back from a warehouse, with the loaders' exact types again."""
    return frame.astype({c: t for c, t in types.items() if c in frame.columns})
