"""What only the embedded store needs: a file shared safely by several processes, and persistence."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from backend.database.documents import Transaction
from backend.database.documents.local import LocalDocumentStore
from backend.database.documents.port import Write
from backend.errors import Unavailable

ROUNDS = 20
WAIT_S = 30  # a safety net so broken code fails instead of hanging; never reached when correct


def share_the_file(path: str, name: str, together: Any, rounds: int) -> None:
    """One of the test's processes: ``rounds`` increments of a shared counter, each of whose first
    attempt reads the counter and then waits for the other process's first attempt to have read it
    too, so every round the two transactions clash; and a batch write after each."""
    store = LocalDocumentStore(Path(path))
    for i in range(rounds):
        attempts = 0

        def increment(tx: Transaction) -> None:
            nonlocal attempts
            attempts += 1
            doc = tx.get("counters/shared")
            if attempts == 1:
                together.wait(WAIT_S)
            tx.set("counters/shared", {"count": (doc.data["count"] if doc else 0) + 1})

        store.run_transaction(increment, max_attempts=50)
        with store.batch() as batch:
            batch.set(f"events/{name}-{i}", {"n": i})
    store.close()


def test_processes_sharing_the_file_lose_no_write(tmp_path: Path) -> None:
    # Two processes (the API and a worker, say), started together by a barrier, whose transactions
    # read the same counter before either writes, every round: without the commit's re-check each
    # round would lose one increment.
    path = tmp_path / "documents.sqlite3"
    LocalDocumentStore(path).close()
    spawn = multiprocessing.get_context("spawn")  # no fork: the test process may hold gRPC threads
    together = spawn.Barrier(2)
    workers = [
        spawn.Process(target=share_the_file, args=(str(path), name, together, ROUNDS))
        for name in ("api", "worker")
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=4 * WAIT_S)
    assert [w.exitcode for w in workers] == [0, 0]
    store = LocalDocumentStore(path)
    doc = store.get("counters/shared")
    assert doc is not None
    assert doc.data == {"count": 2 * ROUNDS}
    assert store.count("events") == 2 * ROUNDS


def test_a_writer_takes_the_lock_before_it_checks_anything(tmp_path: Path) -> None:
    # A commit checks what its transaction read only once it holds the write lock (BEGIN IMMEDIATE):
    # checked before, another writer could change the documents between the check and the write.
    path = tmp_path / "documents.sqlite3"
    holder = LocalDocumentStore(path)
    impatient = LocalDocumentStore(path, busy_timeout_s=0)
    checked: list[object] = []
    with holder._write_lock():
        with pytest.raises(Unavailable, match="locked"):
            impatient.commit([Write("set", "counters/c", {"count": 1})], check=checked.append)
        assert checked == []
    impatient.commit([Write("set", "counters/c", {"count": 1})], check=checked.append)
    assert len(checked) == 1
    holder.close()
    impatient.close()


def test_data_survives_reopening_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    store = LocalDocumentStore(path)
    store.set("chats/a", {"body": "こんにちは"})
    store.close()
    reopened = LocalDocumentStore(path)
    doc = reopened.get("chats/a")
    assert doc is not None
    assert doc.data == {"body": "こんにちは"}
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_prepare_makes_the_declared_queries_seek_an_index(tmp_path: Path) -> None:
    from backend.database.documents.local_query import _select
    from backend.database.documents.query import Query

    store = LocalDocumentStore(tmp_path / "documents.sqlite3")
    store.prepare()
    store.prepare()  # idempotent
    query = Query.build(
        "consultations",
        conditions=[{"field": "company_id", "value": 7}, {"field": "phase", "value": "after"}],
        order_by="answered_at",
    )
    sql, params = _select(query, count=False)
    plan = " ".join(str(row) for row in store.connection().execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX ix_" in plan
    assert "<expr>=? AND <expr>=?" in plan


def test_local_indexes_leave_out_what_a_longer_index_serves() -> None:
    from backend.database.documents import IndexRegistry, index
    from backend.database.documents.local import local_indexes

    registry = IndexRegistry(
        [
            index("c", "a", "t"),
            index("c", "a", "b", "-t"),
            index("c", "x", "t"),
            index("c", "tags[]", "t"),
            index("d", "a", "t"),
        ]
    )
    assert local_indexes(registry) == [("c", (("a",), ("b",))), ("c", (("x",),)), ("d", (("a",),))]


def test_the_query_loops_documents_are_plain_documents() -> None:
    from datetime import UTC, datetime

    from backend.database.documents.port import Document, stored_document

    at = datetime(2024, 4, 1, tzinfo=UTC)
    fast = stored_document("a", "chats/a", {"n": 1}, at, at)
    assert fast == Document("a", "chats/a", {"n": 1}, at, at)
    assert type(fast) is Document
    assert fast.to_dict() == {"n": 1, "id": "a"}
