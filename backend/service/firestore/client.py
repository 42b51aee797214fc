"""``FirestoreService``: the seed's async document operations over the document-store port.

Every call runs the store's blocking work in a worker thread (``asyncio.to_thread``), so the event
loop keeps serving other requests while the store reads or writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from backend.database.database import get_document_store
from backend.database.documents.paths import child_path
from backend.database.documents.port import Document, DocumentStore
from backend.errors import FieldProblem, ValidationFailed

Cursor = str | Mapping[str, Any] | Document


class FirestoreService:
    """Async get / fetch / save / update / delete of documents as dicts carrying their ``id``."""

    def __init__(self, store: DocumentStore | None = None) -> None:
        self._store = store

    @property
    def store(self) -> DocumentStore:
        """The store given, else the process's document store (opened on first use, not at construction)."""
        return self._store if self._store is not None else get_document_store()

    async def fetch_documents(
        self,
        collection_name: str,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int | None = None,
        start_after: Cursor | None = None,
    ) -> list[dict[str, Any]]:
        """Documents matching ``conditions``; ``start_after``: an id, a dict fetched before, or a Document."""

        def run() -> list[dict[str, Any]]:
            store = self.store
            cursor = _cursor(store, collection_name, start_after)
            docs = store.query(
                collection_name, conditions=conditions, order_by=order_by, limit=limit, start_after=cursor
            )
            return [doc.to_dict() for doc in docs]

        return await asyncio.to_thread(run)

    async def get_document(self, collection_name: str, document_id: str) -> dict[str, Any] | None:
        """The document as a dict with its ``id``, or None when there is none."""
        path = child_path(collection_name, document_id, field="document_id")
        doc = await asyncio.to_thread(lambda: self.store.get(path))
        return None if doc is None else doc.to_dict()

    # The seed's signatures (positional data), kept so code written against the seed runs unchanged.
    async def save_document(
        self, collection_name: str, document_id: str, data: Mapping[str, Any], merge: bool = False
    ) -> None:
        """Write the document (``merge=True``: merge into the stored one instead of replacing it)."""
        path = child_path(collection_name, document_id, field="document_id")
        await asyncio.to_thread(lambda: self.store.set(path, data, merge=merge))

    async def update_document(self, collection_name: str, document_id: str, data: Mapping[str, Any]) -> None:
        """Set the given fields (``"vas.physical"`` reaches into a map); NotFound if there is no document."""
        path = child_path(collection_name, document_id, field="document_id")
        await asyncio.to_thread(lambda: self.store.update(path, data))

    async def delete_document(self, collection_name: str, document_id: str) -> None:
        """Remove the document (nothing happens when it does not exist, as in Firestore)."""
        path = child_path(collection_name, document_id, field="document_id")
        await asyncio.to_thread(lambda: self.store.delete(path))


def _cursor(store: DocumentStore, collection: str, start_after: Cursor | None) -> Document | None:
    """The Document to start after: read by id, rebuilt from a fetched dict, or passed through."""
    if start_after is None or isinstance(start_after, Document):
        return start_after
    if isinstance(start_after, str):
        doc = store.get(child_path(collection, start_after, field="start_after"))
        if doc is None:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "start_after",
                        f"no {collection} document has this id; start again from the first page",
                        value=start_after,
                    )
                ]
            )
        return doc
    if isinstance(start_after, Mapping):
        doc_id = start_after.get("id")
        path = child_path(collection, doc_id, field="start_after.id")
        data = {key: value for key, value in start_after.items() if key != "id"}
        return Document(id=str(doc_id), path=path, data=data)
    raise ValidationFailed(
        [FieldProblem("start_after", "must be a document id, a dict from a previous fetch, or a Document")]
    )


firestore_service = FirestoreService()
