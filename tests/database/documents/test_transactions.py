"""Document-store contract: atomic batches and transactions (reads first, retried on contention)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from backend.database.documents import DocumentStore, Increment, Transaction, TransactionMisuse
from backend.errors import Conflict, NotFound, ValidationFailed


def test_a_failing_batch_writes_nothing(document_store: DocumentStore) -> None:
    document_store.set("acc/existing", {"v": 1})
    document_store.set("acc/other", {"v": 1})
    batch = document_store.batch()
    batch.set("acc/a", {"v": 1})
    batch.update("acc/other", {"v": 2})
    batch.create("acc/existing", {"v": 3})
    with pytest.raises(Conflict):
        batch.commit()
    assert document_store.get("acc/a") is None
    for path in ("acc/existing", "acc/other"):
        doc = document_store.get(path)
        assert doc is not None
        assert doc.data == {"v": 1}


def test_a_batch_updating_a_missing_document_writes_nothing(document_store: DocumentStore) -> None:
    with pytest.raises(NotFound), document_store.batch() as batch:
        batch.set("acc/b", {"v": 1})
        batch.update("acc/missing", {"v": 2})
    assert document_store.get("acc/b") is None


def test_a_batch_applies_writes_in_order(document_store: DocumentStore) -> None:
    with document_store.batch() as batch:
        batch.set("acc/c", {"v": 1, "n": 1})
        batch.update("acc/c", {"n": Increment(5)})
        batch.set("acc/d", {"v": 1})
        batch.delete("acc/d")
    doc = document_store.get("acc/c")
    assert doc is not None
    assert doc.data == {"v": 1, "n": 6}
    assert document_store.get("acc/d") is None


def test_a_batch_is_committed_once(document_store: DocumentStore) -> None:
    batch = document_store.batch()
    batch.set("acc/e", {"v": 1})
    batch.commit()
    with pytest.raises(RuntimeError, match="already committed"):
        batch.set("acc/f", {"v": 1})


def increment(tx: Transaction) -> int:
    doc = tx.get("counters/c1")
    value = (doc.data["count"] if doc else 0) + 1
    tx.set("counters/c1", {"count": value})
    return value


def test_transaction_reads_then_writes(document_store: DocumentStore) -> None:
    assert document_store.run_transaction(increment) == 1
    assert document_store.run_transaction(increment) == 2
    doc = document_store.get("counters/c1")
    assert doc is not None
    assert doc.data == {"count": 2}


def test_transaction_query_then_write(document_store: DocumentStore) -> None:
    for i in range(3):
        document_store.set(f"seats/{i}", {"taken": i == 0})

    def take_free_seat(tx: Transaction) -> str:
        free = tx.query("seats", conditions=[{"field": "taken", "value": False}], limit=1)
        tx.update(free[0].path, {"taken": True})
        return free[0].id

    assert document_store.run_transaction(take_free_seat) == "1"
    assert document_store.run_transaction(take_free_seat) == "2"
    assert document_store.count("seats", conditions=[{"field": "taken", "value": True}]) == 3


def test_a_read_after_a_write_is_refused(document_store: DocumentStore) -> None:
    def misuse(tx: Transaction) -> None:
        tx.set("counters/x", {"count": 1})
        tx.get("counters/x")

    with pytest.raises(TransactionMisuse):
        document_store.run_transaction(misuse)
    assert document_store.get("counters/x") is None


def test_an_exception_inside_writes_nothing(document_store: DocumentStore) -> None:
    def fail(tx: Transaction) -> None:
        tx.get("counters/y")
        tx.set("counters/y", {"count": 1})
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        document_store.run_transaction(fail)
    assert document_store.get("counters/y") is None


def test_transaction_errors_are_the_ports(document_store: DocumentStore) -> None:
    def update_missing(tx: Transaction) -> None:
        tx.get("counters/none")
        tx.update("counters/none", {"count": 1})

    with pytest.raises(NotFound):
        document_store.run_transaction(update_missing)


WAIT_S = 30  # a safety net so broken code fails instead of hanging; never reached when correct


def overlapping(reads: Any, writes: Any, together: threading.Barrier) -> Any:
    """A transaction function whose first attempt waits, after its reads, until the other thread's
    transaction has read too: both read the same state before either writes, every time."""
    attempts = 0

    def run(tx: Transaction) -> None:
        nonlocal attempts
        attempts += 1
        seen = reads(tx)
        if attempts == 1:
            together.wait(WAIT_S)
        writes(tx, seen)

    return run


def in_threads(*workers: Any) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(work: Any) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=4 * WAIT_S)
    return errors


def test_concurrent_transactions_lose_no_update(document_store: DocumentStore) -> None:
    # Two threads, two increments each. The first increments read the counter before either thread
    # writes, so they clash and one must run again; the second ones race freely. (Only the first:
    # the emulator locks what a transaction read, so a thread waiting with its second increment's
    # read would block the other's retry.) Small: the emulator takes about two seconds per clash.
    together = threading.Barrier(2)

    def read(tx: Transaction) -> Any:
        return tx.get("counters/c1")

    def write(tx: Transaction, doc: Any) -> None:
        tx.set("counters/c1", {"count": (doc.data["count"] if doc else 0) + 1})

    def worker() -> None:
        document_store.run_transaction(overlapping(read, write, together), max_attempts=10)
        document_store.run_transaction(lambda tx: write(tx, read(tx)), max_attempts=10)

    assert in_threads(worker, worker) == []
    doc = document_store.get("counters/c1")
    assert doc is not None
    assert doc.data == {"count": 4}


def test_a_query_in_a_transaction_admits_no_phantom(document_store: DocumentStore) -> None:
    # At most two bookings per slot. Both transactions query the slot (one booking) before either
    # writes; the second to commit must see the first's new booking (not a document it read, a
    # document its query would now find) and run again.
    document_store.set("bookings/first", {"slot": 1})
    together = threading.Barrier(2)

    def booker(name: str) -> Any:
        def book(tx: Transaction, found: list[Any]) -> None:
            if len(found) < 2:
                tx.create(f"bookings/{name}", {"slot": 1})

        booking = overlapping(
            lambda tx: tx.query("bookings", conditions=[{"field": "slot", "value": 1}]), book, together
        )
        return lambda: document_store.run_transaction(booking, max_attempts=10)

    assert in_threads(booker("a"), booker("b")) == []
    assert document_store.count("bookings", conditions=[{"field": "slot", "value": 1}]) == 2


REFUSED_ORDERS = [
    ("set", "create"),
    ("merge", "create"),
    ("create", "create"),
    ("update", "create"),
    ("delete", "update"),
]


def _write(target: Any, kind: str, path: str, value: int) -> None:
    if kind == "delete":
        target.delete(path)
    elif kind == "merge":
        target.set(path, {"v": value}, merge=True)
    else:
        getattr(target, kind)(path, {"v": value})


@pytest.mark.parametrize(("first", "then"), REFUSED_ORDERS)
def test_writes_of_one_document_in_an_order_firestore_refuses(
    document_store: DocumentStore, first: str, then: str
) -> None:
    # The emulator refuses these requests whatever the data ("Cannot update then insert an entity
    # in the same request"); both adapters refuse them when the second write is added.
    document_store.set("acc/r", {"v": 0})
    batch = document_store.batch()
    _write(batch, first, "acc/r", 1)
    with pytest.raises(ValidationFailed) as info:
        _write(batch, then, "acc/r", 2)
    assert info.value.fields == ["path"]

    def in_a_transaction(tx: Transaction) -> None:
        tx.get("acc/r")
        _write(tx, first, "acc/r", 1)
        _write(tx, then, "acc/r", 2)

    with pytest.raises(ValidationFailed):
        document_store.run_transaction(in_a_transaction)
    doc = document_store.get("acc/r")
    assert doc is not None
    assert doc.data == {"v": 0}


def test_orders_firestore_accepts(document_store: DocumentStore) -> None:
    with document_store.batch() as batch:
        batch.delete("acc/s")
        batch.create("acc/s", {"v": 1})
        batch.update("acc/s", {"v": 2})
        batch.delete("acc/s")
        batch.set("acc/s", {"v": 3})
        batch.create("acc/t", {"v": 1})
        batch.create("acc/u", {"v": 1})
    assert [(d.id, d.data["v"]) for d in document_store.query("acc")] == [("s", 3), ("t", 1), ("u", 1)]
