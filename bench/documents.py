"""Document store: the project's adapters against raw baselines, each pair in one process.

    .venv/bin/python bench/documents.py [--docs 100000] [--emulator-docs 20000] [--rounds 3]
                                        [--repeat 20] [--only writes|reads|emulator]

1. write: N survey documents in batches of 500 through the embedded adapter (validation, Firestore
   limits, encoding, upsert) vs ``sqlite3.executemany`` of the same documents as JSON into the same
   table (same schema, WAL, and the expression indexes ``init_db`` prepares). Target ratio >= 0.5.
2. write on the Firestore emulator: the Firestore adapter vs the raw google client, batches of 500.
   Target >= 0.8. Skipped when the emulator is not installed. Uses fewer documents (the emulator is
   slow and the pair measures overhead, not the emulator).
3. query: two equality conditions and an order over the N documents (about 1,000 results),
   embedded adapter vs the hand-written SQL on the same table, which may use the same expression
   index (rows decoded with json.loads). Target >= 0.8.
4. get_all: 1,000 documents by path (in random order) in one call, embedded adapter vs one
   hand-written ``SELECT ... WHERE parent = ? AND id IN (...)`` with json.loads, answered in the
   order asked.
5. aggregation: count, sum and average of ``vas.physical`` over one company's surveys, embedded
   adapter (Firestore's rules for the sum) vs the hand-written ``SELECT count(*), sum(...),
   avg(...)`` on the same index.

Ratios are raw time / project time (1.0 = no overhead); the best of --rounds runs counts (reads:
each run repeats the call --repeat times, since one call takes milliseconds).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.database.documents import Avg, Count, Sum
from backend.database.documents.indexes import INDEXES, IndexRegistry, index
from backend.database.documents.local import LocalDocumentStore

BATCH = 500
START = datetime(2024, 4, 1, tzinfo=UTC)


def surveys(n: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(7)
    docs = []
    for i in range(n):
        docs.append(
            (
                f"s{i:07d}",
                {
                    "employee_id": rng.randint(1, 5000),
                    "company_id": rng.randint(1, 50),
                    "treatment_id": f"t{i // 2:07d}",
                    "phase": "before" if i % 2 == 0 else "after",
                    "answered_at": START + timedelta(minutes=i),
                    "vas": {
                        k: rng.randint(0, 100)
                        for k in ("physical", "mental", "motivation", "communication", "other")
                    },
                    "free_text": rng.choice(["肩こりが楽になった", "よく眠れた", "", "特になし"]),
                    "source": "google_forms",
                    "form_id": "form-1",
                    "response_id": f"r{i}",
                },
            )
        )
    return docs


def compare(
    name: str,
    project: Callable[[], float],
    raw: Callable[[], float],
    *,
    rounds: int,
    target: float,
    n: int,
    warm_up: bool = False,
) -> None:
    """Best time of each side over ``rounds``, alternating which side goes first; prints the ratio."""
    if warm_up:
        project(), raw()
    best = {"project": float("inf"), "raw": float("inf")}
    for i in range(rounds):
        sides = [("project", project), ("raw", raw)]
        for side, fn in sides if i % 2 == 0 else sides[::-1]:
            best[side] = min(best[side], fn())
    print(
        f"{name:<42} project {best['project']:8.3f} s   raw {best['raw']:8.3f} s   "
        f"ratio {best['raw'] / best['project']:5.2f}   (target >= {target}; {n:,} docs)",
        flush=True,
    )


# --- 1. writes on the embedded store ----------------------------------------------------------


def local_writes(tmp: Path, docs: list[tuple[str, dict[str, Any]]], rounds: int) -> None:
    def prepared(name: str) -> LocalDocumentStore:
        store = LocalDocumentStore(tmp / f"{name}-{time.monotonic_ns()}.sqlite3")
        store.prepare()  # as init_db does
        return store

    def project() -> float:
        store = prepared("project")
        started = time.perf_counter()
        for i in range(0, len(docs), BATCH):
            with store.batch() as batch:
                for doc_id, data in docs[i : i + BATCH]:
                    batch.set(f"consultations/{doc_id}", data)
        elapsed = time.perf_counter() - started
        store.close()
        return elapsed

    def raw() -> float:
        empty = prepared("raw")
        conn = sqlite3.connect(empty.path, isolation_level=None)
        empty.close()
        conn.execute("PRAGMA synchronous=NORMAL")
        insert = "INSERT INTO documents (parent, id, data, create_time, update_time) VALUES (?, ?, ?, ?, ?)"
        started = time.perf_counter()
        for i in range(0, len(docs), BATCH):
            now = datetime.now(UTC).isoformat()
            rows = [
                ("consultations", doc_id, json.dumps(data, default=str, ensure_ascii=False), now, now)
                for doc_id, data in docs[i : i + BATCH]
            ]
            conn.execute("BEGIN")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed

    compare("write, embedded store vs sqlite3", project, raw, rounds=rounds, target=0.5, n=len(docs))


# --- 2. writes on the Firestore emulator ------------------------------------------------------


def emulator_writes(tmp: Path, docs: list[tuple[str, dict[str, Any]]], rounds: int) -> None:
    if not docs:
        print("write, Firestore adapter vs google client: skipped (--emulator-docs 0)")
        return
    try:
        from tests.emulators import firestore_emulator, wipe_firestore
    except ImportError:
        print("write, Firestore adapter vs google client: skipped (run from the repository root)")
        return
    import os

    from _pytest.outcomes import Skipped
    from google.cloud import firestore

    from backend.database.documents.firestore import FirestoreDocumentStore

    try:
        with firestore_emulator(tmp) as host:
            os.environ["FIRESTORE_EMULATOR_HOST"] = host
            store = FirestoreDocumentStore(project="demo-wellness")
            client = firestore.Client(project="demo-wellness")

            def project() -> float:
                wipe_firestore(host)
                started = time.perf_counter()
                for i in range(0, len(docs), BATCH):
                    with store.batch() as batch:
                        for doc_id, data in docs[i : i + BATCH]:
                            batch.set(f"consultations/{doc_id}", data)
                return time.perf_counter() - started

            def raw() -> float:
                wipe_firestore(host)
                started = time.perf_counter()
                for i in range(0, len(docs), BATCH):
                    batch = client.batch()
                    for doc_id, data in docs[i : i + BATCH]:
                        batch.set(client.collection("consultations").document(doc_id), data)
                    batch.commit()
                return time.perf_counter() - started

            compare(
                "write, Firestore adapter vs google client",
                project,
                raw,
                rounds=rounds,
                target=0.8,
                n=len(docs),
                warm_up=True,
            )
    except Skipped as skip:
        print(f"write, Firestore adapter vs google client: skipped ({skip.msg})")


# --- 3-5. reads on the embedded store -------------------------------------------------------


def repeated(call: Callable[[], object], times: int) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        for _ in range(times):
            call()
        return time.perf_counter() - started

    return run


def local_reads(tmp: Path, docs: list[tuple[str, dict[str, Any]]], rounds: int, repeat: int) -> None:
    registry = IndexRegistry((*INDEXES, index("consultations", "company_id", "vas.physical")))
    store = LocalDocumentStore(tmp / "query.sqlite3", indexes=registry)
    store.prepare()  # as init_db does; the hand-written SQL below can use the same index
    for i in range(0, len(docs), BATCH):
        with store.batch() as batch:
            for doc_id, data in docs[i : i + BATCH]:
                batch.set(f"consultations/{doc_id}", data)
    conn = sqlite3.connect(tmp / "query.sqlite3")
    local_query(store, conn, rounds, repeat, len(docs))
    local_get_all(store, conn, docs, rounds, repeat)
    local_aggregate(store, conn, rounds, repeat, len(docs))
    store.close()
    conn.close()


def local_query(
    store: LocalDocumentStore, conn: sqlite3.Connection, rounds: int, repeat: int, n: int
) -> None:
    conditions = [
        {"field": "company_id", "operator": "==", "value": 7},
        {"field": "phase", "operator": "==", "value": "after"},
    ]
    sql = (
        "SELECT id, data FROM documents WHERE parent = 'consultations' "
        """AND json_extract(data, '$."company_id"') = 7 AND json_extract(data, '$."phase"') = 'after' """
        "ORDER BY json_extract(data, '$.answered_at.__ts__')"
    )

    def project() -> list[Any]:
        return store.query("consultations", conditions=conditions, order_by="answered_at")

    def raw() -> list[Any]:
        return [(doc_id, json.loads(data)) for doc_id, data in conn.execute(sql)]

    assert [d.id for d in project()] == [doc_id for doc_id, _ in raw()]
    assert len(raw()) > 100
    compare(
        f"query, embedded store vs hand-written SQL ({len(raw())} found)",
        repeated(project, repeat),
        repeated(raw, repeat),
        rounds=rounds,
        target=0.8,
        n=n,
    )


def local_get_all(
    store: LocalDocumentStore,
    conn: sqlite3.Connection,
    docs: list[tuple[str, dict[str, Any]]],
    rounds: int,
    repeat: int,
) -> None:
    ids = random.Random(3).sample([doc_id for doc_id, _ in docs], min(1000, len(docs)))
    paths = [f"consultations/{doc_id}" for doc_id in ids]
    sql = (
        "SELECT id, data, create_time, update_time FROM documents WHERE parent = 'consultations' "
        f"AND id IN ({', '.join('?' * len(ids))})"
    )

    def project() -> list[Any]:
        return store.get_all(paths)

    def raw() -> list[Any]:
        found = {row[0]: (row[0], json.loads(row[1])) for row in conn.execute(sql, ids)}
        return [found.get(doc_id) for doc_id in ids]

    assert [d.id if d else None for d in project()] == [r[0] if r else None for r in raw()]
    compare(
        f"get_all, embedded store vs SELECT ... IN ({len(ids)} paths)",
        repeated(project, repeat),
        repeated(raw, repeat),
        rounds=rounds,
        target=0.8,
        n=len(docs),
    )


def local_aggregate(
    store: LocalDocumentStore, conn: sqlite3.Connection, rounds: int, repeat: int, n: int
) -> None:
    conditions = [{"field": "company_id", "operator": "==", "value": 7}]
    wanted = {"n": Count(), "total": Sum("vas.physical"), "mean": Avg("vas.physical")}
    physical = """json_extract(data, '$."vas"."physical"')"""
    sql = (
        f"SELECT count({physical}), sum({physical}), avg({physical}) FROM documents "
        """WHERE parent = 'consultations' AND json_extract(data, '$."company_id"') = 7"""
    )

    def project() -> dict[str, Any]:
        return store.aggregate("consultations", aggregations=wanted, conditions=conditions)

    def raw() -> tuple[Any, ...]:
        row: tuple[Any, ...] = conn.execute(sql).fetchone()
        return row

    answer, row = project(), raw()
    assert (answer["n"], answer["total"]) == row[:2]
    assert abs(answer["mean"] - row[2]) < 1e-9
    compare(
        f"aggregate, embedded store vs SQL count/sum/avg ({answer['n']} docs)",
        repeated(project, repeat),
        repeated(raw, repeat),
        rounds=rounds,
        target=0.8,
        n=n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--emulator-docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20, help="calls per timed run of the reads")
    parser.add_argument("--only", choices=["writes", "reads", "emulator"], help="run one part")
    args = parser.parse_args()
    docs = surveys(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "writes"):
            local_writes(Path(tmp), docs, args.rounds)
        if args.only in (None, "reads"):
            local_reads(Path(tmp), docs, args.rounds, args.repeat)
        if args.only in (None, "emulator"):
            emulator_writes(Path(tmp), docs[: args.emulator_docs], args.rounds)


if __name__ == "__main__":
    main()
