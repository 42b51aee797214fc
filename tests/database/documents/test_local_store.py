"""What only the embedded store needs: a file shared safely by several processes, and persistence."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from backend.database.documents.local import LocalDocumentStore

WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from backend.database.documents.local import LocalDocumentStore

    store = LocalDocumentStore(Path(sys.argv[1]))

    def increment(tx):
        doc = tx.get("counters/shared")
        tx.set("counters/shared", {"count": (doc.data["count"] if doc else 0) + 1})

    for i in range(int(sys.argv[2])):
        store.run_transaction(increment, max_attempts=50)
        with store.batch() as batch:
            batch.set(f"events/{sys.argv[3]}-{i}", {"n": i})
""")


def test_processes_sharing_the_file_lose_no_write(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    LocalDocumentStore(path).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path), "100", name]) for name in ("api", "worker")
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    store = LocalDocumentStore(path)
    doc = store.get("counters/shared")
    assert doc is not None
    assert doc.data == {"count": 200}
    assert store.count("events") == 200


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
