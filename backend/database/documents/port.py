"""The document-store port: what every adapter (embedded SQLite, Google Cloud Firestore) offers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeVar

from backend.database.documents.paths import collection_path, document_path, new_id, parse_field_path
from backend.database.documents.values import check_document
from backend.errors import FieldProblem, ValidationFailed

if TYPE_CHECKING:
    from backend.database.documents.aggregates import Aggregation

T = TypeVar("T")
MAX_BATCH_WRITES = 500
WriteKind = Literal["set", "merge", "create", "update", "delete"]


@dataclass(frozen=True, slots=True)  # slots: one object per document, not two (queries make many)
class Document:
    """A stored document: its id, full path, data and server times (UTC)."""

    id: str
    path: str
    data: dict[str, Any]
    create_time: datetime | None = None
    update_time: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The data with the document's ``id`` added (the real id wins over a stored ``id`` field)."""
        return {**self.data, "id": self.id}


def stored_document(
    doc_id: str, path: str, data: dict[str, Any], create_time: datetime, update_time: datetime
) -> Document:
    """``Document(doc_id, path, data, create_time, update_time)`` for an adapter's own rows, built by
    the slots' own setters rather than the frozen dataclass's ``__init__`` (half the cost: the
    embedded store's query loop, which inlines this, builds one per result row). A test holds
    them equal."""
    doc: Document = object.__new__(Document)
    for set_field, value in zip(
        DOCUMENT_FIELD_SETTERS, (doc_id, path, data, create_time, update_time), strict=True
    ):
        set_field(doc, value)
    return doc


# The slots' descriptors set a field without going through the frozen class's __setattr__.
DOCUMENT_FIELD_SETTERS = tuple(
    getattr(Document, name).__set__ for name in ("id", "path", "data", "create_time", "update_time")
)


class Write(NamedTuple):
    """One validated write of a batch or transaction."""

    kind: WriteKind
    path: str
    data: Mapping[str, Any] = {}


class TransactionMisuse(RuntimeError):
    """A transaction read after it wrote (Firestore requires every read first)."""


def validated_write(kind: WriteKind, path: str, data: Mapping[str, Any] | None = None) -> Write:
    """Check the path and (for set/create/merge) the document against Firestore's rules."""
    doc = document_path(path)
    if kind == "delete":
        return Write(kind, doc.path)
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ValidationFailed([FieldProblem("document", "must be a mapping of field names to values")])
    if kind == "update":
        if not data:
            raise ValidationFailed([FieldProblem("document", "an update needs at least one field")])
        _check_update(doc.path, data)
    else:
        check_document(doc.path, data, allow_delete=kind == "merge")
    return Write(kind, doc.path, data)


def _check_update(path: str, data: Mapping[str, Any]) -> None:
    nested: dict[str, Any] = {}
    for key, value in data.items():
        parts = parse_field_path(key)
        target = nested
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ValidationFailed([FieldProblem(key, "conflicts with another field of the update")])
        target[parts[-1]] = value
    check_document(path, nested)


# Firestore refuses a request (a batch or a transaction's commit) with these writes of one document
# in this order, whatever the data: a create after any write but a delete, an update after a delete.
_REFUSED_AFTER: dict[WriteKind, tuple[WriteKind, ...]] = {
    "create": ("set", "merge", "create", "update"),
    "update": ("delete",),
}


class WriteSequence:
    """The writes of one request so far, checked against the orders Firestore refuses."""

    def __init__(self) -> None:
        self.last: dict[str, WriteKind] = {}

    def add(self, write: Write) -> None:
        before = self.last.get(write.path)
        if before is not None and before in _REFUSED_AFTER.get(write.kind, ()):
            raise ValidationFailed(
                [
                    FieldProblem(
                        "path",
                        f"one batch or transaction cannot {write.kind} a document after "
                        f"{'a ' + before if before != 'update' else 'an update'} of it (Firestore refuses "
                        "the whole request); use set, or split the writes",
                        value=write.path,
                    )
                ]
            )
        self.last[write.path] = write.kind


class WriteMethods:
    """set / create / update / delete: each write is validated, then handed to ``_write``."""

    def _write(self, write: Write) -> None:
        raise NotImplementedError

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None:
        """Create or replace the document (``merge=True``: merge maps into the stored document)."""
        self._write(validated_write("merge" if merge else "set", path, data))

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        """Create the document; Conflict if it exists."""
        self._write(validated_write("create", path, data))

    def update(self, path: str, data: Mapping[str, Any]) -> None:
        """Set fields by path (``vas.physical``); NotFound if the document does not exist."""
        self._write(validated_write("update", path, data))

    def delete(self, path: str) -> None:
        """Delete the document (no error when it does not exist)."""
        self._write(validated_write("delete", path))


class StoreWrites(WriteMethods):
    """The write half of a store, built on its atomic ``commit`` of validated writes."""

    def commit(self, writes: Sequence[Write]) -> None:
        raise NotImplementedError

    def _write(self, write: Write) -> None:
        self.commit([write])

    def add(self, collection: str, data: Mapping[str, Any]) -> str:
        """Create a document with a random id in ``collection``; returns the id."""
        doc_id = new_id()
        self.create(f"{collection_path(collection)}/{doc_id}", data)
        return doc_id

    def batch(self) -> WriteBatch:
        return WriteBatch(self.commit)


class WriteBatch(WriteMethods):
    """Collects up to 500 writes; ``commit`` applies them atomically (all or none)."""

    def __init__(self, commit: Callable[[Sequence[Write]], None]) -> None:
        self._commit = commit
        self.writes: list[Write] = []
        self.committed = False
        self._sequence = WriteSequence()

    def _write(self, write: Write) -> None:
        if self.committed:
            raise RuntimeError("this batch was already committed; start a new one")
        if len(self.writes) >= MAX_BATCH_WRITES:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "batch", f"a batch holds at most {MAX_BATCH_WRITES} writes; commit and start another"
                    )
                ]
            )
        self._sequence.add(write)
        self.writes.append(write)

    def commit(self) -> None:
        if self.committed:
            raise RuntimeError("this batch was already committed")
        self.committed = True
        if self.writes:
            self._commit(self.writes)

    def __len__(self) -> int:
        return len(self.writes)

    def __enter__(self) -> WriteBatch:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None and not self.committed:
            self.commit()


class Transaction(Protocol):
    """Reads first, then writes; the adapter retries the whole function on contention."""

    def get(self, path: str) -> Document | None: ...

    def get_all(self, paths: Sequence[str]) -> list[Document | None]: ...

    def query(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int | None = None,
    ) -> list[Document]: ...

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None: ...

    def create(self, path: str, data: Mapping[str, Any]) -> None: ...

    def update(self, path: str, data: Mapping[str, Any]) -> None: ...

    def delete(self, path: str) -> None: ...


class DocumentStore(Protocol):
    """Firestore's operations, limits and errors; ``local`` and ``firestore`` implement it."""

    backend: str
    database_type: Any  # DatabaseType.FIRESTORE (set by the adapters)

    def get(self, path: str) -> Document | None: ...

    def get_all(self, paths: Sequence[str]) -> list[Document | None]:
        """The documents at ``paths`` in one round trip, in the order asked; None for a missing one."""
        ...

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None: ...

    def create(self, path: str, data: Mapping[str, Any]) -> None: ...

    def update(self, path: str, data: Mapping[str, Any]) -> None: ...

    def delete(self, path: str) -> None: ...

    def add(self, collection: str, data: Mapping[str, Any]) -> str: ...

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
        """Documents of ``collection`` (a path), or with ``collection_group`` of every collection with
        that id under any parent, matching ``conditions``, in order."""
        ...

    def count(
        self,
        collection: str | None = None,
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> int: ...

    def aggregate(
        self,
        collection: str | None = None,
        *,
        aggregations: Mapping[str, Aggregation],
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``{"n": Count(), "total": Sum("minutes"), "mean": Avg("minutes")}`` -> answers by name,
        in one round trip, by Firestore's rules (``documents/aggregates.py``)."""
        ...

    def sum(
        self,
        collection: str | None = None,
        *,
        field: str,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> int | float: ...

    def avg(
        self,
        collection: str | None = None,
        *,
        field: str,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> float | None: ...

    def batch(self) -> WriteBatch: ...

    def run_transaction(self, fn: Callable[[Transaction], T], *, max_attempts: int = 5) -> T: ...

    def health(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
