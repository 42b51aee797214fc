"""The warehouse on Google BigQuery, append-only.

BigQuery cannot UPDATE or DELETE rows still in its streaming buffer (up to about 90 minutes after
they were streamed), so this adapter never changes a row. A ``replace`` streams its rows tagged with
a new sync id, then one marker row per company (company, table, sync id, time) into ``synced_rows``:
the marker is the commit point. A query reads, for each company, only the rows of its latest marker
of that table, so a replace that fails before its markers leaves the previous rows visible. Versions
are appended the same way; the latest per company wins. Superseded rows stay in the tables until
``prune`` deletes them, once their replace is older than the streaming buffer (a DML statement may
not touch rows still in it).

Every SQL text is written here from the fixed table names; the dataset is the jobs' default dataset,
so not even its name becomes SQL, and every value is a query parameter.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import NotFound
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from backend.config import Settings
from backend.service.bigquery.warehouse import QUERIES, TABLES, check_name, check_rows

CHUNK_ROWS = 10_000  # rows per streaming insert (BigQuery takes at most 50,000 and 10 MB a request)
SYNC_ID = "_sync_id"  # the column tagging each data row with the replace that wrote it
MARKERS = "synced_rows"
VERSIONS = "synced_versions"
_MARKER_SCHEMA = [
    bigquery.SchemaField("company_id", "INT64", mode="REQUIRED"),
    bigquery.SchemaField("table_name", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("sync_id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("synced_at", "TIMESTAMP", mode="REQUIRED"),
]
_VERSION_SCHEMA = [
    bigquery.SchemaField("company_id", "INT64", mode="REQUIRED"),
    bigquery.SchemaField("version", "INT64", mode="REQUIRED"),
    bigquery.SchemaField("recorded_at", "TIMESTAMP", mode="REQUIRED"),
]
# QUALIFY wants a WHERE, GROUP BY or HAVING beside it; ties of time fall to the larger sync id.
_LATEST = (
    "SELECT company_id, sync_id FROM synced_rows WHERE table_name = '{table}'{some}"
    " QUALIFY ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY synced_at DESC, sync_id DESC) = 1"
)
_READ = (
    "SELECT r.* FROM {table} AS r"
    " JOIN ({latest}) AS m ON r.company_id = m.company_id AND r._sync_id = m.sync_id"
)
_SQL = {
    t: {
        "all": _READ.format(table=t, latest=_LATEST.format(table=t, some="")),
        "some": _READ.format(table=t, latest=_LATEST.format(table=t, some=" AND company_id IN UNNEST(@ids)")),
    }
    for t in TABLES
}
_SQL_VERSIONS = (
    "SELECT company_id, version FROM synced_versions WHERE TRUE"
    " QUALIFY ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY recorded_at DESC) = 1"
)
# Superseded: what a later replace (or version) of the same company replaced, longer ago than
# @cutoff. Data rows go first, since their replace's marker is what dates them. Each statement
# compares keys with an uncorrelated IN (no self-join whose aliases an engine could mix up).
_PRUNE_ROWS = (
    "DELETE FROM {table} WHERE _sync_id IN"
    " (SELECT sync_id FROM synced_rows WHERE table_name = '{table}' AND synced_at < @cutoff)"
    " AND CONCAT(CAST(company_id AS STRING), ':', _sync_id) NOT IN"
    " (SELECT CONCAT(CAST(company_id AS STRING), ':', sync_id) FROM ({latest}))"
)
_PRUNE_MARKERS = (
    "DELETE FROM synced_rows WHERE synced_at < @cutoff"
    " AND CONCAT(table_name, ':', CAST(company_id AS STRING), ':', sync_id) NOT IN"
    " (SELECT CONCAT(table_name, ':', CAST(company_id AS STRING), ':', sync_id) FROM synced_rows"
    " WHERE TRUE QUALIFY ROW_NUMBER() OVER"
    " (PARTITION BY company_id, table_name ORDER BY synced_at DESC, sync_id DESC) = 1)"
)
_PRUNE_VERSIONS = (
    "DELETE FROM synced_versions WHERE recorded_at < @cutoff"
    " AND CONCAT(CAST(company_id AS STRING), ':', CAST(UNIX_MICROS(recorded_at) AS STRING)) NOT IN"
    " (SELECT CONCAT(CAST(company_id AS STRING), ':', CAST(UNIX_MICROS(recorded_at) AS STRING))"
    " FROM synced_versions WHERE TRUE QUALIFY ROW_NUMBER() OVER"
    " (PARTITION BY company_id ORDER BY recorded_at DESC) = 1)"
)
# INT64 as Int64 (exact money, NULL as <NA>, never a float64 with NaN) and BOOL as nullable boolean.
_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Parameter = bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter
_clock_lock = threading.Lock()
_last_us = 0


class BigQueryWarehouse:
    """BigQuery through ``google-cloud-bigquery``: streaming inserts and query jobs, nothing else."""

    name = "bigquery"

    def __init__(self, client: bigquery.Client, *, dataset: str, chunk_rows: int = CHUNK_ROWS) -> None:
        self._client = client
        self._dataset = bigquery.DatasetReference(client.project, dataset)
        self._chunk_rows = chunk_rows
        self._tables: dict[str, bigquery.Table] = {}
        client.create_dataset(bigquery.Dataset(self._dataset), exists_ok=True)
        for table, schema in ((MARKERS, _MARKER_SCHEMA), (VERSIONS, _VERSION_SCHEMA)):
            self._tables[table] = client.create_table(self._new_table(table, schema), exists_ok=True)

    def replace(self, table: str, companies: Sequence[int], rows: pd.DataFrame) -> None:
        check_name(table, TABLES)
        ids = check_rows(companies, rows)
        target = self._data_table(table, rows)
        if not ids:
            return
        sync_id = uuid.uuid4().hex
        for start in range(0, len(rows), self._chunk_rows):
            self._insert(target, _json_rows(rows.iloc[start : start + self._chunk_rows], target, sync_id))
        at = _now()
        self._insert(
            self._tables[MARKERS],
            [{"company_id": str(c), "table_name": table, "sync_id": sync_id, "synced_at": at} for c in ids],
        )

    def query(self, name: str, *, company_ids: Sequence[int] | None = None) -> pd.DataFrame:
        check_name(name, QUERIES)
        if self._existing(name) is None:
            return pd.DataFrame()
        if company_ids is None:
            result = self._run(_SQL[name]["all"])
        else:
            ids = sorted({int(c) for c in company_ids})
            result = self._run(_SQL[name]["some"], bigquery.ArrayQueryParameter("ids", "INT64", ids))
        # Not to_dataframe (deprecated in favour of pandas-gbq): Arrow, with the types the loaders keep.
        arrow = result.to_arrow(create_bqstorage_client=False)
        frame: pd.DataFrame = arrow.to_pandas(types_mapper=_PANDAS_TYPES.get)
        return frame.drop(columns=SYNC_ID)

    def synced_versions(self) -> dict[int, int]:
        return {int(row["company_id"]): int(row["version"]) for row in self._run(_SQL_VERSIONS)}

    def record_versions(self, versions: dict[int, int]) -> None:
        if not versions:
            return
        at = _now()
        rows = [{"company_id": str(c), "version": str(v), "recorded_at": at} for c, v in versions.items()]
        self._insert(self._tables[VERSIONS], rows)

    def prune(self, *, older_than: timedelta) -> int:
        cutoff = bigquery.ScalarQueryParameter("cutoff", "TIMESTAMP", datetime.now(UTC) - older_than)
        removed = 0
        for table in TABLES:
            if self._existing(table) is not None:
                latest = _LATEST.format(table=table, some="")
                removed += self._dml(_PRUNE_ROWS.format(table=table, latest=latest), cutoff)
        return removed + self._dml(_PRUNE_MARKERS, cutoff) + self._dml(_PRUNE_VERSIONS, cutoff)

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def _run(self, sql: str, *params: _Parameter) -> Any:  # a RowIterator
        return self._job(sql, *params).result()

    def _dml(self, sql: str, *params: _Parameter) -> int:
        job = self._job(sql, *params)
        job.result()
        return int(job.num_dml_affected_rows or 0)

    def _job(self, sql: str, *params: _Parameter) -> bigquery.QueryJob:
        # A query job, not query_and_wait: the emulator answers a failing jobs.query with no rows.
        config = bigquery.QueryJobConfig(default_dataset=self._dataset, query_parameters=list(params))
        return self._client.query(sql, job_config=config)

    def _insert(self, table: bigquery.Table, rows: list[dict[str, Any]]) -> None:
        errors = self._client.insert_rows_json(table, rows)
        if errors:
            raise ValueError(
                f"BigQuery refused {len(errors)} of {len(rows)} rows of {table.table_id}; first: {errors[0]}"
            )

    def _existing(self, table: str) -> bigquery.Table | None:
        if table not in self._tables:
            try:
                self._tables[table] = self._client.get_table(self._dataset.table(table))
            except NotFound:
                return None
        return self._tables[table]

    def _data_table(self, table: str, rows: pd.DataFrame) -> bigquery.Table:
        """The table, created from the first rows' column types; later rows must fit its columns."""
        if SYNC_ID in rows.columns:
            raise ValueError(f"{SYNC_ID} is the warehouse's own column; rows cannot carry it")
        found = self._existing(table)
        if found is None:
            schema = [_field(str(c), rows[c]) for c in rows.columns]
            schema.append(bigquery.SchemaField(SYNC_ID, "STRING", mode="REQUIRED"))
            found = self._tables[table] = self._client.create_table(
                self._new_table(table, schema), exists_ok=True
            )
        unknown = sorted(set(rows.columns) - {f.name for f in found.schema})
        if unknown:
            raise ValueError(f"the warehouse table {table} has no columns {unknown}")
        return found

    def _new_table(self, table: str, schema: list[bigquery.SchemaField]) -> bigquery.Table:
        made = bigquery.Table(self._dataset.table(table), schema=schema)
        made.clustering_fields = ["company_id"]  # every query picks companies
        return made


def bigquery_client(settings: Settings) -> bigquery.Client:
    """A client of BigQuery, or of the emulator at ``bigquery_api_endpoint`` (without credentials)."""
    project = settings.warehouse_project
    if settings.bigquery_api_endpoint is None:
        return bigquery.Client(project=project)
    if project is None:
        raise ValueError("a BigQuery emulator needs a project: set WELLNESS_BIGQUERY_PROJECT")
    return bigquery.Client(
        project=project,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=settings.bigquery_api_endpoint),
    )


def _now() -> str:
    """Now to the microsecond, later than any earlier call in this process (markers and versions order
    by it; across processes, by their clocks)."""
    global _last_us
    with _clock_lock:
        _last_us = max(time.time_ns() // 1000, _last_us + 1)
        return (_EPOCH + timedelta(microseconds=_last_us)).isoformat()


def _field(name: str, column: pd.Series[Any]) -> bigquery.SchemaField:
    """The BigQuery column for a frame column, by its dtype."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        kind = "BOOL"
    elif pd.api.types.is_integer_dtype(dtype):
        kind = "INT64"  # money is Int64 yen: exact, never FLOAT64
    elif pd.api.types.is_float_dtype(dtype):
        kind = "FLOAT64"
    elif isinstance(dtype, pd.DatetimeTZDtype):
        kind = "TIMESTAMP"  # an instant: read back in UTC
    elif pd.api.types.is_datetime64_dtype(dtype):
        kind = "DATETIME"  # a wall-clock time (a P&L period)
    elif pd.api.types.is_string_dtype(column) or column.isna().all():
        kind = "STRING"
    else:
        raise ValueError(
            f"column {name!r} has dtype {dtype}, which the warehouse cannot store; give it one of "
            "Int64, float64, boolean, string, datetime64"
        )
    return bigquery.SchemaField(name, kind)


def _json_rows(rows: pd.DataFrame, table: bigquery.Table, sync_id: str) -> list[dict[str, Any]]:
    """The rows as the streaming API's JSON, each value converted for its column's type."""
    kinds = {f.name: f.field_type for f in table.schema}
    names = [str(c) for c in rows.columns]
    columns = [_TO_JSON[kinds[n]](rows[n]) for n in names]
    return [
        {**dict(zip(names, values, strict=True)), SYNC_ID: sync_id} for values in zip(*columns, strict=True)
    ]


def _ints(column: pd.Series[Any]) -> Iterator[str | None]:
    # As strings: a JSON number may pass through a double on the way and lose digits past 2**53.
    return (None if pd.isna(v) else str(int(v)) for v in column.tolist())


def _floats(column: pd.Series[Any]) -> Iterator[float | str | None]:
    for v in column.tolist():
        if pd.isna(v):
            yield None
        elif math.isinf(v):
            yield "Infinity" if v > 0 else "-Infinity"  # JSON has no infinity; BigQuery reads these
        else:
            yield float(v)


def _times(pattern: str, *, utc: bool) -> Callable[[pd.Series[Any]], Iterator[str | None]]:
    def convert(column: pd.Series[Any]) -> Iterator[str | None]:
        values = pd.to_datetime(column, utc=True)  # naive values count as UTC
        if not utc:
            values = values.dt.tz_localize(None)
        text = values.dt.strftime(pattern)
        return (None if pd.isna(v) else str(v) for v in text.tolist())

    return convert


def _strings(column: pd.Series[Any]) -> Iterator[str | None]:
    return (None if pd.isna(v) else str(v) for v in column.tolist())


def _bools(column: pd.Series[Any]) -> Iterator[bool | None]:
    return (None if pd.isna(v) else bool(v) for v in column.tolist())


_TO_JSON: dict[str, Callable[[pd.Series[Any]], Iterator[Any]]] = {
    **dict.fromkeys(("INT64", "INTEGER"), _ints),
    **dict.fromkeys(("FLOAT64", "FLOAT"), _floats),
    **dict.fromkeys(("BOOL", "BOOLEAN"), _bools),
    "STRING": _strings,
    "TIMESTAMP": _times("%Y-%m-%dT%H:%M:%S.%fZ", utc=True),
    "DATETIME": _times("%Y-%m-%dT%H:%M:%S.%f", utc=False),
}
