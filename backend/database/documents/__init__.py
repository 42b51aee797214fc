"""The document-store port (Firestore's semantics) and its two adapters: ``local`` and ``firestore``."""

from __future__ import annotations

from backend.config import Settings
from backend.database.documents.aggregates import Avg, Count, Sum
from backend.database.documents.indexes import INDEXES, IndexRegistry, MissingIndex, index
from backend.database.documents.port import (
    Document,
    DocumentStore,
    Transaction,
    TransactionMisuse,
    WriteBatch,
)
from backend.database.documents.values import DELETE_FIELD, SERVER_TIMESTAMP, GeoPoint, Increment, Reference

__all__ = [
    "DELETE_FIELD",
    "INDEXES",
    "SERVER_TIMESTAMP",
    "Avg",
    "Count",
    "Document",
    "DocumentStore",
    "GeoPoint",
    "Increment",
    "IndexRegistry",
    "MissingIndex",
    "Reference",
    "Sum",
    "Transaction",
    "TransactionMisuse",
    "WriteBatch",
    "index",
    "open_document_store",
]


def open_document_store(settings: Settings, *, indexes: IndexRegistry | None = None) -> DocumentStore:
    """The adapter WELLNESS_DOCUMENT_BACKEND names: the embedded store, or Google Cloud Firestore."""
    if settings.document_backend == "firestore":
        from backend.database.documents.firestore import FirestoreDocumentStore

        return FirestoreDocumentStore(
            project=settings.google_cloud_project, database=settings.firestore_database, indexes=indexes
        )
    from backend.database.documents.local import LocalDocumentStore

    return LocalDocumentStore(settings.documents_path, indexes=indexes)
