"""The Google Cloud Firestore adapter (official ``google-cloud-firestore`` client).

The client finds the emulator through FIRESTORE_EMULATOR_HOST. Every write and query is checked
by the same code as the embedded store's (``validated_write``, ``Query.build``, the index
registry) before it is sent, so both adapters refuse the same things with the same errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from google.api_core import gapic_v1
from google.cloud import firestore
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from backend.database.documents.aggregates import AggregateMethods, Aggregation
from backend.database.documents.firestore_errors import errors
from backend.database.documents.indexes import IndexRegistry
from backend.database.documents.paths import document_path, parse_field_path
from backend.database.documents.port import (
    Document,
    StoreWrites,
    TransactionMisuse,
    Write,
    WriteMethods,
    WriteSequence,
)
from backend.database.documents.query import Query
from backend.database.documents.values import DELETE_FIELD, SERVER_TIMESTAMP, GeoPoint, Increment, Reference
from backend.database.routing import DatabaseType
from backend.errors import FieldProblem, ValidationFailed, WellnessError

T = TypeVar("T")
log = logging.getLogger(__name__)
_CLIENT_OPS = {"array-contains": "array_contains", "array-contains-any": "array_contains_any"}


class FirestoreDocumentStore(StoreWrites, AggregateMethods):
    """DocumentStore on Google Cloud Firestore (or its emulator)."""

    backend = "firestore"
    database_type = DatabaseType.FIRESTORE

    def __init__(
        self, *, project: str | None = None, database: str = "(default)", indexes: IndexRegistry | None = None
    ) -> None:
        self.indexes = indexes or IndexRegistry()
        with errors("Opening Firestore"):
            self.client = firestore.Client(project=project, database=database)

    # --- values --------------------------------------------------------------------------------

    def _out(self, value: Any) -> Any:
        """A port value as the client wants it."""
        if isinstance(value, Mapping):
            return {k: self._out(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._out(v) for v in value]
        if isinstance(value, GeoPoint):
            return firestore.GeoPoint(value.latitude, value.longitude)
        if isinstance(value, Reference):
            return self.client.document(value.path)
        if value is SERVER_TIMESTAMP:
            return firestore.SERVER_TIMESTAMP
        if value is DELETE_FIELD:
            return firestore.DELETE_FIELD
        if isinstance(value, Increment):
            return firestore.Increment(value.amount)
        return value

    def _in(self, value: Any) -> Any:
        """A client value as the port returns it."""
        if isinstance(value, dict):
            return {k: self._in(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._in(v) for v in value]
        if isinstance(value, datetime):
            return datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
                tzinfo=value.tzinfo,
            )
        if isinstance(value, firestore.GeoPoint):
            return GeoPoint(value.latitude, value.longitude)
        if isinstance(value, firestore.DocumentReference):
            return Reference(value.path)
        return value

    def _document(self, snapshot: Any) -> Document:
        return Document(
            id=snapshot.id,
            path=snapshot.reference.path,
            data=self._in(snapshot.to_dict() or {}),
            create_time=self._in(snapshot.create_time),
            update_time=self._in(snapshot.update_time),
        )

    def _update_data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {FieldPath(*parse_field_path(k)).to_api_repr(): self._out(v) for k, v in data.items()}

    # --- reads ---------------------------------------------------------------------------------

    def get(self, path: str) -> Document | None:
        doc = document_path(path)
        with errors(f"Reading {doc.path}"):
            snapshot = self.client.document(doc.path).get()
        return self._document(snapshot) if snapshot.exists else None

    def _client_query(self, query: Query, start_after: Any = None) -> Any:
        q: Any = (
            self.client.collection_group(query.collection)
            if query.group
            else self.client.collection(query.collection)
        )
        for c in query.conditions:
            path = FieldPath(*c.field).to_api_repr()
            q = q.where(filter=FieldFilter(path, _CLIENT_OPS.get(c.op, c.op), self._out(c.value)))
        for order in query.effective_orders:  # explicit, so every page orders alike
            direction = firestore.Query.DESCENDING if order.direction == "desc" else firestore.Query.ASCENDING
            q = q.order_by(FieldPath(*order.field).to_api_repr(), direction=direction)
        if query.limit is not None:
            q = q.limit(query.limit)
        if isinstance(start_after, Document):
            snapshot = firestore.DocumentSnapshot(
                self.client.document(start_after.path), self._out(start_after.data), True, None, None, None
            )
            q = q.start_after(snapshot)
        elif query.start_after is not None:  # field values, already in the order of effective_orders
            q = q.start_after([self._out(v) for v in query.start_after])
        return q

    def query(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int | None = None,
        start_after: Any = None,
    ) -> list[Document]:
        query = self.indexes.query(
            collection,
            collection_group=collection_group,
            conditions=conditions,
            order_by=order_by,
            limit=limit,
            start_after=start_after,
        )
        with errors(f"Querying {_named(query)}"):
            return [self._document(s) for s in self._client_query(query, start_after).stream()]

    def count(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> int:
        query = self.indexes.query(collection, collection_group=collection_group, conditions=conditions)
        with errors(f"Counting {_named(query)}"):
            return int(self._client_query(query).count().get()[0][0].value)

    def aggregate(
        self,
        collection: str | None = None,
        *,
        aggregations: Mapping[str, Aggregation],
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Count, Sum and Avg over the matching documents in one request (see ``aggregates``)."""
        query, requested = self.indexes.aggregate_query(
            collection, aggregations, collection_group=collection_group, conditions=conditions
        )
        with errors(f"Aggregating {_named(query)}"):
            aggregation: Any = self._client_query(query)
            for n, a in enumerate(requested):  # the aliases are the client's own: a0, a1, ...
                field = None if a.field is None else FieldPath(*a.field).to_api_repr()
                add = getattr(aggregation, a.kind)
                aggregation = add(alias=f"a{n}") if field is None else add(field, alias=f"a{n}")
            values = self._aggregate_values(aggregation)
        return {a.alias: values[f"a{n}"] for n, a in enumerate(requested)}

    def _aggregate_values(self, aggregation: Any) -> dict[str, Any]:
        # AggregationQuery.get() turns a null average and an integer 0 into 0.0; the raw response keeps
        # the types (an integer or a float sum, None for the average of nothing).
        responses = aggregation._get_stream_iterator(None, gapic_v1.method.DEFAULT, None)
        values: dict[str, Any] = {}
        for response in responses:
            for alias, value in response.result.aggregate_fields.items():
                values[alias] = _helpers.decode_value(value, self.client)
        return values

    def get_all(self, paths: Sequence[str]) -> list[Document | None]:
        """The documents at ``paths`` in one round trip (a batch get), in the order asked; None for
        a missing one."""
        wanted = _paths(paths)
        with errors(f"Reading {len(wanted)} documents"):
            found = self._get_all(self.client.get_all, wanted)
        return [found.get(p) for p in wanted]

    def _get_all(self, read: Callable[[list[Any]], Any], paths: list[str]) -> dict[str, Document]:
        refs = [self.client.document(p) for p in dict.fromkeys(paths)]
        if not refs:
            return {}
        return {s.reference.path: self._document(s) for s in read(refs) if s.exists}

    # --- writes --------------------------------------------------------------------------------

    def _apply(self, target: Any, write: Write) -> None:
        ref = self.client.document(write.path)
        if write.kind == "delete":
            target.delete(ref)
        elif write.kind == "create":
            target.create(ref, self._out(write.data))
        elif write.kind == "update":
            target.update(ref, self._update_data(write.data))
        else:
            target.set(ref, self._out(write.data), merge=write.kind == "merge")

    def commit(self, writes: Sequence[Write]) -> None:
        """Apply validated writes atomically."""
        with errors(f"Committing {len(writes)} write(s)"):
            batch = self.client.batch()
            for write in writes:
                self._apply(batch, write)
            batch.commit()

    # --- transactions --------------------------------------------------------------------------

    def run_transaction(self, fn: Callable[[Any], T], *, max_attempts: int = 5) -> T:
        transaction = self.client.transaction(max_attempts=max_attempts)

        @firestore.transactional
        def attempt(tx: Any) -> T:
            return fn(FirestoreTransaction(self, tx))

        with errors("Transaction"):
            result: T = attempt(transaction)
        return result

    # --- health --------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with errors("Health check"):
                self.client.collection("health").document("probe").get(timeout=5)
        except WellnessError as exc:
            return {"status": "unavailable", "backend": self.backend, "error": exc.message}
        return {
            "status": "ok",
            "backend": self.backend,
            "project": self.client.project,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    def prepare(self) -> None:
        """Nothing to create at start-up: Firestore's composite indexes are deployed from the registry."""
        log.info(
            "%d composite indexes are declared; deploy them with `wellness db indexes --export "
            "firestore.indexes.json` and `firebase deploy --only firestore:indexes`.",
            len(self.indexes.indexes),
        )

    def watch(self, collection: str, on_change: Callable[[], None]) -> Callable[[], None]:
        """Call ``on_change`` (from the client's own thread) whenever documents of ``collection``
        change, through a snapshot listener; answers the function that stops listening."""
        with errors(f"Listening to {collection}"):
            listener = self.client.collection(collection).on_snapshot(lambda *_: on_change())
        return listener.unsubscribe

    def close(self) -> None:
        with errors("Closing the Firestore client"):
            self.client.close()  # type: ignore[no-untyped-call]


class FirestoreTransaction(WriteMethods):
    """The port's Transaction over a client transaction (reads first, then writes)."""

    def __init__(self, store: FirestoreDocumentStore, tx: Any) -> None:
        self.store = store
        self.tx = tx
        self.wrote = False
        self._sequence = WriteSequence()

    def _reading(self) -> None:
        if self.wrote:
            raise TransactionMisuse("a transaction must do all its reads before its first write")

    def get(self, path: str) -> Document | None:
        self._reading()
        ref = self.store.client.document(document_path(path).path)
        snapshot = ref.get(transaction=self.tx)
        return self.store._document(snapshot) if snapshot.exists else None

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
        query = self.store.indexes.query(
            collection,
            collection_group=collection_group,
            conditions=conditions,
            order_by=order_by,
            limit=limit,
        )
        return [self.store._document(s) for s in self.store._client_query(query).stream(transaction=self.tx)]

    def get_all(self, paths: Sequence[str]) -> list[Document | None]:
        self._reading()
        wanted = _paths(paths)
        found = self.store._get_all(self.tx.get_all, wanted)
        return [found.get(p) for p in wanted]

    def _write(self, write: Write) -> None:
        self._sequence.add(write)
        self.wrote = True
        self.store._apply(self.tx, write)


def _named(query: Query) -> str:
    return f"collection group {query.collection}" if query.group else query.collection


def _paths(paths: Sequence[str]) -> list[str]:
    """The paths, checked and in their canonical form ('chats/a', not '/chats/a/')."""
    if isinstance(paths, str) or not isinstance(paths, Sequence):
        raise ValidationFailed([FieldProblem("paths", "must be a list of document paths", value=paths)])
    return [document_path(p).path for p in paths]
