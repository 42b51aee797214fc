"""The embedded document store: Firestore's semantics on one SQLite file (WAL; many processes).

Writes run in ``BEGIN IMMEDIATE`` transactions, so a batch is atomic and concurrent writers (the
API and a worker) queue rather than clash. Transactions are optimistic like Firestore's: reads
remember each document's version (and each query's result), the commit re-checks them under the
write lock, and the function runs again when something changed in between.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from backend.database.documents import local_codec, writes
from backend.database.documents.aggregates import AggregateMethods, Aggregation
from backend.database.documents.indexes import IndexRegistry
from backend.database.documents.local_aggregate import run_aggregate
from backend.database.documents.local_query import COLUMNS, PLAIN_COLUMNS, Versioned, documents, run_query
from backend.database.documents.local_sql import NotExpressible, literal, value_expression
from backend.database.documents.local_transactions import Contention, LocalTransaction
from backend.database.documents.paths import DocPath, FieldPath, document_path
from backend.database.documents.port import (
    Document,
    StoreWrites,
    Write,
)
from backend.database.documents.query import Query
from backend.database.routing import DatabaseType
from backend.errors import Conflict, FieldProblem, Unavailable, ValidationFailed

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    parent TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    create_time TEXT NOT NULL,
    update_time TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (parent, id)
);
"""
_INSERT = "INSERT INTO documents (parent, id, data, create_time, update_time) VALUES (?, ?, ?, ?, ?)"
_UPSERT = (
    f"{_INSERT} ON CONFLICT (parent, id) DO UPDATE SET data = excluded.data, "
    "update_time = excluded.update_time, version = version + 1"
)


class LocalDocumentStore(StoreWrites, AggregateMethods):
    """DocumentStore on SQLite; ``path`` is the database file (created on first use)."""

    backend = "local"
    database_type = DatabaseType.FIRESTORE

    def __init__(
        self, path: Path, *, indexes: IndexRegistry | None = None, busy_timeout_s: float = 30
    ) -> None:
        self.path = path
        self.indexes = indexes or IndexRegistry()
        self._busy_ms = int(busy_timeout_s * 1000)
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unavailable(path, exc) from exc
        self.connection().executescript(SCHEMA)

    # --- connections (one per thread) ----------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise _unavailable(self.path, exc) from exc
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    @contextmanager
    def _write_lock(self) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock first: whatever a commit checks stays true
        except sqlite3.OperationalError as exc:
            raise Unavailable(
                f"The document store {self.path} stayed locked by another writer for "
                f"{self._busy_ms / 1000:g} s ({exc}). Try again; if it persists, look for a process "
                "that keeps a write transaction open on the file.",
                details={"path": str(self.path)},
            ) from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def prepare(self) -> None:
        """Partial SQLite expression indexes so the declared queries seek instead of scanning
        (``init_db`` calls this; idempotent). See ``local_indexes``."""
        with self._write_lock() as conn:
            for collection, paths in local_indexes(self.indexes):
                try:
                    columns = ", ".join(value_expression(p) for p in paths)
                except NotExpressible:
                    continue
                name = "ix_" + hashlib.sha256(f"{collection}:{columns}".encode()).hexdigest()[:16]
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON documents ({columns}) "
                    f"WHERE parent = {literal(collection)}"
                )

    def close(self) -> None:
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()
        self._local = threading.local()

    def health(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            self.connection().execute("SELECT 1 FROM documents LIMIT 1").fetchall()
        except (sqlite3.Error, Unavailable) as exc:
            return {"status": "unavailable", "backend": self.backend, "error": str(exc)}
        return {
            "status": "ok",
            "backend": self.backend,
            "path": str(self.path),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    # --- reads ---------------------------------------------------------------------------------

    def _get(self, path: str) -> Versioned | None:
        doc = document_path(path)
        row = (
            self.connection()
            .execute(f"SELECT {COLUMNS} FROM documents WHERE parent = ? AND id = ?", (doc.parent, doc.id))
            .fetchone()
        )
        return None if row is None else Versioned.from_row(doc.parent, row)

    def get(self, path: str) -> Document | None:
        found = self._get(path)
        return None if found is None else found.document

    def _query(self, collection: str | None, **spec: Any) -> tuple[Query, list[Versioned]]:
        query = self.indexes.query(collection, **spec)
        return query, run_query(self.connection(), query, versions=True)

    def query(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int | None = None,
        start_after: Any = None,
    ) -> list[Document]:
        query = self.indexes.query(
            collection,
            collection_group=collection_group,
            conditions=conditions,
            order_by=order_by,
            limit=limit,
            start_after=start_after,
        )
        found: list[Document] = run_query(self.connection(), query)
        return found

    def count(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> int:
        query = self.indexes.query(collection, collection_group=collection_group, conditions=conditions)
        return int(run_query(self.connection(), query, count=True))

    def aggregate(
        self,
        collection: str | None = None,
        *,
        aggregations: Mapping[str, Aggregation],
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Count, Sum and Avg over the matching documents, by alias (see ``aggregates``)."""
        query, requested = self.indexes.aggregate_query(
            collection, aggregations, collection_group=collection_group, conditions=conditions
        )
        return run_aggregate(self.connection(), query, requested)

    def get_all(self, paths: Sequence[str]) -> list[Document | None]:
        """The documents at ``paths`` in one read, in the order asked; None for a missing one."""
        wanted = [document_path(p) for p in _paths(paths)]
        found = {
            doc.path: doc
            for parent, rows in self._rows_by_parent(wanted, PLAIN_COLUMNS)
            for doc in documents(parent, rows)
        }
        return [found.get(doc.path) for doc in wanted]

    def _get_all(self, paths: Sequence[str]) -> dict[str, Versioned]:
        """The documents at ``paths`` that exist, with their versions (for transactions)."""
        wanted = [document_path(p) for p in _paths(paths)]
        return {
            f"{parent}/{row[0]}": Versioned.from_row(parent, row)
            for parent, rows in self._rows_by_parent(wanted, COLUMNS)
            for row in rows
        }

    def _rows_by_parent(self, wanted: Sequence[DocPath], columns: str) -> Iterator[tuple[str, Iterable[Any]]]:
        """Rows of the wanted documents, one statement per collection (and per 500 ids), each a
        seek on the (parent, id) key."""
        ids: dict[str, dict[str, None]] = {}
        for doc in wanted:
            ids.setdefault(doc.parent, {})[doc.id] = None
        conn = self.connection()
        for parent, unique in ids.items():
            every = list(unique)
            for i in range(0, len(every), _GET_ALL_CHUNK):
                chunk = every[i : i + _GET_ALL_CHUNK]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT {columns} FROM documents WHERE parent = ? AND id IN ({marks})"
                yield parent, conn.execute(sql, [parent, *chunk])  # read as decoded: see run_query

    # --- writes --------------------------------------------------------------------------------

    def commit(
        self, batch: Sequence[Write], check: Callable[[sqlite3.Connection], None] | None = None
    ) -> None:
        """Apply validated writes atomically, all at one commit time."""
        now = datetime.now(UTC)
        stamp = local_codec.timestamp_text(now)
        with self._write_lock() as conn:
            if check is not None:
                check(conn)
            pending: list[tuple[str, str, str, str, str]] = []
            for write in batch:
                if write.kind == "set" and (text := _plain_json(write.data)) is not None:
                    parent, _, doc_id = write.path.rpartition("/")  # validated already
                    pending.append((parent, doc_id, text, stamp, stamp))  # no read needed
                    continue
                if pending:
                    conn.executemany(_UPSERT, pending)
                    pending = []
                self._read_modify_write(conn, write, now, stamp)
            if pending:
                conn.executemany(_UPSERT, pending)

    def _read_modify_write(self, conn: sqlite3.Connection, write: Write, now: datetime, stamp: str) -> None:
        doc = document_path(write.path)
        row = conn.execute(
            "SELECT data FROM documents WHERE parent = ? AND id = ?", (doc.parent, doc.id)
        ).fetchone()
        result = writes.apply(None if row is None else local_codec.decode(row[0]), write, now)
        if result is None:
            conn.execute("DELETE FROM documents WHERE parent = ? AND id = ?", (doc.parent, doc.id))
        else:
            conn.execute(_UPSERT, (doc.parent, doc.id, local_codec.encode(result), stamp, stamp))

    # --- transactions --------------------------------------------------------------------------

    def run_transaction(self, fn: Callable[[Any], T], *, max_attempts: int = 5) -> T:
        for attempt in range(max_attempts):
            tx = LocalTransaction(self)
            result = fn(tx)
            try:
                self.commit(tx.writes, check=tx.verify)
            except Contention:
                time.sleep(min(0.01 * 2**attempt, 0.5))
                continue
            return result
        raise Conflict(
            f"The transaction gave up after {max_attempts} attempts: other writes kept changing "
            "the documents it read. Try again.",
            details={"attempts": max_attempts},
        )


def local_indexes(registry: IndexRegistry) -> list[tuple[str, tuple[FieldPath, ...]]]:
    """The SQLite indexes that serve the registry's queries on the top-level collections.

    Only the equality fields (all of a composite index but its last, ordered field) are worth
    indexing: SQL orders by (type, value) expressions no index can serve. An index whose fields
    begin another's is left out, since the longer one serves it too. Every index slows writes.
    """
    wanted: dict[str, set[tuple[FieldPath, ...]]] = {}
    for declared in registry.indexes:
        if declared.group:
            continue  # a collection group spans parents; these indexes are per parent
        fields = tuple(f.path for f in declared.fields[:-1] if f.kind != "contains")
        if fields:
            wanted.setdefault(declared.collection, set()).add(fields)
    return [
        (collection, fields)
        for collection, all_fields in sorted(wanted.items())
        for fields in sorted(all_fields)
        if not any(other != fields and other[: len(fields)] == fields for other in all_fields)
    ]


_GET_ALL_CHUNK = 900  # ids per statement, below SQLite's oldest limit of bound variables (999)


def _paths(paths: Sequence[str]) -> Sequence[str]:
    if isinstance(paths, str) or not isinstance(paths, Sequence):
        raise ValidationFailed([FieldProblem("paths", "must be a list of document paths", value=paths)])
    return paths


def _unavailable(path: Path, exc: Exception) -> Unavailable:
    return Unavailable(
        f"Cannot open the document store {path}: {exc}. Check that the directory is "
        "writable, or point WELLNESS_DATA_DIR elsewhere.",
        details={"path": str(path)},
    )


def _plain_json(data: Mapping[str, Any]) -> str | None:
    """JSON text when ``data`` holds no write sentinels (plain sets need no read), else None."""
    try:
        return local_codec.encode(data)
    except local_codec.HasSentinel:
        return None
