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
