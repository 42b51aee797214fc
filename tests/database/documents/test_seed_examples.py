"""The seed document's Firestore transaction example, as written, and its port equivalent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import firestore

from backend.database import DatabaseManager, get_document_store, get_firestore_client
from backend.database.documents import DocumentStore, Transaction
from tests import emulators
from tests.support import make_settings


@pytest.fixture
def firestore_backend(firestore_host: str, tmp_path: Path) -> Iterator[None]:
    emulators.wipe_firestore(firestore_host)
    DatabaseManager.reset()
    DatabaseManager().configure(
        make_settings(
            "postgresql+psycopg://unused@127.0.0.1:1/x",
            tmp_path,
            document_backend="firestore",
            google_cloud_project=emulators.PROJECT,
        )
    )
    yield
    DatabaseManager.reset()


@pytest.mark.emulator
def test_seed_firestore_transaction_example_runs_as_written(firestore_backend: None) -> None:
    get_document_store().set("counters/counter1", {"counter": 41})

    # Firestoreトランザクション — the seed's example, verbatim
    db = get_firestore_client()
    transaction = db.transaction()

    @firestore.transactional
    def update_in_transaction(transaction, doc_ref):  # type: ignore[no-untyped-def]
        doc = doc_ref.get(transaction=transaction)
        # ドキュメント更新
        transaction.update(doc_ref, {"counter": doc.get("counter") + 1})

    doc_ref = db.collection("counters").document("counter1")
    update_in_transaction(transaction, doc_ref)

    stored = get_document_store().get("counters/counter1")
    assert stored is not None
    assert stored.data == {"counter": 42}


def test_the_same_transaction_through_the_port(document_store: DocumentStore) -> None:
    document_store.set("counters/counter1", {"counter": 41})

    def update_in_transaction(transaction: Transaction) -> None:
        doc = transaction.get("counters/counter1")
        assert doc is not None
        transaction.update("counters/counter1", {"counter": doc.data["counter"] + 1})

    document_store.run_transaction(update_in_transaction)
    stored = document_store.get("counters/counter1")
    assert stored is not None
    assert stored.data == {"counter": 42}
