"""FirestoreService over the real embedded store: dicts with ids, paging, and no blocking of the loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.database import DatabaseManager
from backend.database.documents import DocumentStore
from backend.database.documents.port import Document
from backend.errors import NotFound, ValidationFailed
from backend.service.firestore import FirestoreService, firestore_service
from tests.support import make_settings

WAIT_S = 10  # a safety net so a broken implementation fails instead of hanging; never reached when correct


class Recording:
    """The real store, plus a record of the threads its reads ran in and an optional gate on queries."""

    def __init__(self, store: DocumentStore, *, barrier: threading.Barrier | None = None) -> None:
        self.store = store
        self.barrier = barrier
        self.threads: list[threading.Thread] = []

    def query(self, collection: str, **kwargs: Any) -> list[Document]:
        self.threads.append(threading.current_thread())
        if self.barrier is not None:
            self.barrier.wait(WAIT_S)  # both fetches must be inside the store at the same time
        return self.store.query(collection, **kwargs)

    def get(self, path: str) -> Document | None:
        self.threads.append(threading.current_thread())
        return self.store.get(path)


def _seed(store: DocumentStore, count: int = 5) -> None:
    for n in range(count):
        store.set(f"things/t{n}", {"rank": n, "group": "a" if n % 2 else "b"})


def test_fetch_returns_dicts_with_ids(document_store: DocumentStore) -> None:
    _seed(document_store)
    service = FirestoreService(document_store)
    found = asyncio.run(
        service.fetch_documents("things", conditions=[{"field": "group", "operator": "==", "value": "a"}])
    )
    assert found == [{"id": "t1", "rank": 1, "group": "a"}, {"id": "t3", "rank": 3, "group": "a"}]


@pytest.mark.parametrize("kind", ["id", "dict", "document"])
def test_fetch_pages_with_start_after(document_store: DocumentStore, kind: str) -> None:
    _seed(document_store)
    service = FirestoreService(document_store)

    async def pages() -> list[list[str]]:
        seen: list[list[str]] = []
        cursor: Any = None
        while True:
            page = await service.fetch_documents("things", order_by="-rank", limit=2, start_after=cursor)
            if not page:
                return seen
            seen.append([doc["id"] for doc in page])
            last = page[-1]
            if kind == "id":
                cursor = last["id"]
            elif kind == "dict":
                cursor = last
            else:
                cursor = document_store.get(f"things/{last['id']}")

    assert asyncio.run(pages()) == [["t4", "t3"], ["t2", "t1"], ["t0"]]


def test_bad_cursors_are_refused(document_store: DocumentStore) -> None:
    service = FirestoreService(document_store)
    for cursor, field in [("missing", "start_after"), ({"rank": 1}, "start_after.id"), (3, "start_after")]:
        with pytest.raises(ValidationFailed) as info:
            asyncio.run(service.fetch_documents("things", order_by="rank", start_after=cursor))  # type: ignore[arg-type]
        assert info.value.fields == [field]


def test_save_get_update_delete(document_store: DocumentStore) -> None:
    service = FirestoreService(document_store)

    async def scenario() -> list[Any]:
        await service.save_document("things", "x", data={"a": 1, "vas": {"physical": 10, "mental": 20}})
        await service.save_document("things", "x", data={"b": 2}, merge=True)
        merged = await service.get_document("things", "x")
        await service.update_document("things", "x", data={"vas.physical": 30})
        updated = await service.get_document("things", "x")
        await service.delete_document("things", "x")
        return [merged, updated, await service.get_document("things", "x")]

    merged, updated, gone = asyncio.run(scenario())
    assert merged == {"id": "x", "a": 1, "b": 2, "vas": {"physical": 10, "mental": 20}}
    assert updated == {"id": "x", "a": 1, "b": 2, "vas": {"physical": 30, "mental": 20}}
    assert gone is None


def test_errors_pass_through(document_store: DocumentStore) -> None:
    service = FirestoreService(document_store)
    with pytest.raises(NotFound):
        asyncio.run(service.update_document("things", "missing", data={"a": 1}))
    with pytest.raises(ValidationFailed) as info:
        asyncio.run(service.save_document("things", "a/b", data={"a": 1}))
    assert info.value.fields == ["document_id"]
    assert document_store.count("things") == 0


def test_the_document_id_wins_over_a_field_called_id(document_store: DocumentStore) -> None:
    document_store.set("things/real", {"id": "fake", "n": 1})
    service = FirestoreService(document_store)
    assert asyncio.run(service.get_document("things", "real")) == {"id": "real", "n": 1}


def test_concurrent_fetches_run_together_in_worker_threads(document_store: DocumentStore) -> None:
    _seed(document_store)
    recording = Recording(document_store, barrier=threading.Barrier(2))
    service = FirestoreService(recording)  # type: ignore[arg-type]

    async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return await asyncio.gather(
            service.fetch_documents(
                "things", conditions=[{"field": "group", "operator": "==", "value": "a"}]
            ),
            service.fetch_documents(
                "things", conditions=[{"field": "group", "operator": "==", "value": "b"}]
            ),
        )

    group_a, group_b = asyncio.run(both())
    assert [d["id"] for d in group_a] == ["t1", "t3"]
    assert [d["id"] for d in group_b] == ["t0", "t2", "t4"]
    assert len(recording.threads) == 2
    assert threading.main_thread() not in recording.threads


def test_the_loop_keeps_running_during_a_fetch(document_store: DocumentStore) -> None:
    _seed(document_store)
    gate = threading.Event()

    class Gated(Recording):
        def query(self, collection: str, **kwargs: Any) -> list[Document]:
            assert gate.wait(WAIT_S), "the event loop was blocked while the store worked"
            return super().query(collection, **kwargs)

    service = FirestoreService(Gated(document_store))  # type: ignore[arg-type]

    async def open_gate() -> str:
        gate.set()  # runs on the loop while the fetch waits in its worker thread
        return "loop ran"

    async def scenario() -> tuple[list[dict[str, Any]], str]:
        docs, marker = await asyncio.gather(service.fetch_documents("things", limit=1), open_gate())
        return docs, marker

    docs, marker = asyncio.run(scenario())
    assert [d["id"] for d in docs] == ["t0"]
    assert marker == "loop ran"


@pytest.fixture
def no_manager() -> Iterator[None]:
    DatabaseManager.reset()
    yield
    DatabaseManager.reset()


@pytest.mark.usefixtures("no_manager")
def test_construction_opens_nothing_and_later_uses_the_process_store(
    document_store: DocumentStore, tmp_path: Path
) -> None:
    service = FirestoreService()
    assert DatabaseManager._instance is None  # constructing a service touched no store and no manager
    settings = make_settings("postgresql+psycopg://unused@127.0.0.1:1/x", tmp_path)
    DatabaseManager().configure(settings, documents=document_store)
    _seed(document_store, 2)
    assert [d["id"] for d in asyncio.run(service.fetch_documents("things"))] == ["t0", "t1"]
    assert firestore_service.store is document_store
