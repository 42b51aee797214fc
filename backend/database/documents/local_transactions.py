"""Transactions of the embedded store: optimistic, like Firestore's.

Reads remember what they saw: each document's version (None when it did not exist) and each
query's result (paths and versions). At commit, under SQLite's write lock, ``verify`` reads them
again; if anything moved, the store runs the transaction's function again (``run_transaction``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from backend.database.documents.local_query import run_query
from backend.database.documents.paths import document_path
from backend.database.documents.port import Document, TransactionMisuse, Write, WriteMethods, WriteSequence
from backend.database.documents.query import Query

if TYPE_CHECKING:
    from backend.database.documents.local import LocalDocumentStore


class Contention(Exception):
    """Something a transaction read changed before it could commit."""


class LocalTransaction(WriteMethods):
    """Reads record versions; ``verify`` (under the write lock) fails if any of them moved."""

    def __init__(self, store: LocalDocumentStore) -> None:
        self.store = store
        self.writes: list[Write] = []
        self._sequence = WriteSequence()
        self._reads: dict[str, int | None] = {}
        self._queries: list[tuple[Query, list[tuple[str, int]]]] = []

    def _reading(self) -> None:
        if self.writes:
            raise TransactionMisuse("a transaction must do all its reads before its first write")

    def get(self, path: str) -> Document | None:
        self._reading()
        found = self.store._get(path)
        self._reads[document_path(path).path] = None if found is None else found.version
        return None if found is None else found.document

    def query(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int | None = None,
    ) -> list[Document]:
        self._reading()
        query, found = self.store._query(
            collection,
            collection_group=collection_group,
            conditions=conditions,
            order_by=order_by,
            limit=limit,
        )
        self._queries.append((query, [(v.document.path, v.version) for v in found]))
        return [v.document for v in found]

    def get_all(self, paths: Sequence[str]) -> list[Document | None]:
        self._reading()
        found = self.store._get_all(paths)
        answer = []
        for path in paths:
            doc = document_path(path).path
            self._reads[doc] = None if doc not in found else found[doc].version
            answer.append(None if doc not in found else found[doc].document)
        return answer

    def verify(self, conn: sqlite3.Connection) -> None:
        for path, version in self._reads.items():
            doc = document_path(path)
            row = conn.execute(
                "SELECT version FROM documents WHERE parent = ? AND id = ?", (doc.parent, doc.id)
            ).fetchone()
            if (None if row is None else row[0]) != version:
                raise Contention
        for query, seen in self._queries:
            if [(v.document.path, v.version) for v in run_query(conn, query, versions=True)] != seen:
                raise Contention

    def _write(self, write: Write) -> None:
        self._sequence.add(write)
        self.writes.append(write)
