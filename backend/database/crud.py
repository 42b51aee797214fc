"""Document CRUD: one typed repository per collection, through the document-store port.

Every write is validated by the collection's model first (``ValidationFailed`` naming each bad
field), so nothing half-valid is ever stored; a partial update re-validates the whole document
inside one store transaction. ``get_user`` reads USER_MASTER, which lives in PostgreSQL.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from backend.database import crud_sql, events
from backend.database.audit import SYSTEM_ACTOR
from backend.database.database import DatabaseManager, get_db_session
from backend.database.documents import writes
from backend.database.documents.paths import child_path, new_id
from backend.database.documents.port import (
    MAX_BATCH_WRITES,
    Document,
    DocumentStore,
    Transaction,
    WriteBatch,
    validated_write,
)
from backend.database.models import (
    AnalysisJob,
    AnalyticsCacheEntry,
    ChatMessage,
    Consultation,
    FormDelivery,
    GoogleForm,
    IngestJob,
    LoginThrottle,
    Report,
    Treatment,
    UserSession,
)
from backend.database.models_sql import User
from backend.database.routing import DOCUMENT_LEDGER, ROUTES, DataCategory
from backend.database.sql_errors import from_pydantic
from backend.database.validation import INT64_MAX
from backend.errors import Conflict, FieldProblem, NotFound, ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)

DEFAULT_PAGE = 50
MAX_PAGE = 500
GET_ALL_CHUNK = 300
_DIGITS = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    """One page of ``(id, model)`` pairs; pass ``next_after`` as ``after`` for the next page."""

    items: list[tuple[str, ModelT]]
    next_after: str | None


class DocumentRepository(Generic[ModelT]):
    """create / get / list / update / delete for one collection, validated by ``model``."""

    def __init__(
        self,
        model: type[ModelT],
        *,
        category: DataCategory,
        order_by: str,
        collection: str | None = None,
        events: bool = False,
        created: str = "created",
    ) -> None:
        """``collection``: one of the category's collections other than its main one. ``events``: every
        write adds its event to the document outbox in the same batch or transaction (``created``
        names the action of a new document: a new report is ``report.requested``)."""
        names = ROUTES[category].names
        if collection is not None and collection not in names:
            raise ValueError(f"{collection!r} is not a collection of {category}; it has {names}")
        self.model = model
        self.collection = collection or DatabaseManager.get_collection_name(category)
        self.order_by = order_by  # the natural order of list(); composite indexes are declared for it
        self.company_scoped = "company_id" in model.model_fields
        self.events = events
        self.created = created

    def create(
        self,
        store: DocumentStore,
        *,
        data: ModelT | Mapping[str, Any],
        doc_id: str | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> tuple[str, ModelT]:
        """Store a new document (a random id unless ``doc_id`` is given); Conflict if that id is taken."""
        model = self._coerce(data)
        given = doc_id is not None
        doc_id = doc_id if doc_id is not None else new_id()
        batch = store.batch()
        batch.create(child_path(self.collection, doc_id), model.model_dump())
        self._emit(batch, self.created, doc_id, model, actor)
        try:
            batch.commit()
        except Conflict as exc:
            if not given:
                raise
            raise Conflict(
                f"{self.collection} already has a document with id {doc_id!r}; use another id or update it.",
                details={"collection": self.collection, "id": doc_id},
            ) from exc
        return doc_id, model

    def get(self, store: DocumentStore, doc_id: str) -> ModelT:
        """The document ``doc_id``; NotFound naming collection and id."""
        model = self.find(store, doc_id)
        if model is None:
            raise self.not_found(doc_id)
        return model

    def find(self, store: DocumentStore, doc_id: str) -> ModelT | None:
        """The document ``doc_id``, or None when there is none."""
        doc = store.get(child_path(self.collection, doc_id))
        return None if doc is None else self._read(doc)

    def find_many(self, store: DocumentStore, doc_ids: Sequence[str]) -> builtins.list[ModelT | None]:
        """The documents ``doc_ids`` in one round trip per 300, in the order asked; None for a missing one."""
        paths = [child_path(self.collection, doc_id) for doc_id in doc_ids]
        found: builtins.list[ModelT | None] = []
        for start in range(0, len(paths), GET_ALL_CHUNK):
            docs = store.get_all(paths[start : start + GET_ALL_CHUNK])
            found += [None if doc is None else self._read(doc) for doc in docs]
        return found

    def list(
        self,
        store: DocumentStore,
        *,
        company_id: int | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Page[ModelT]:
        """A page in ``order_by`` (default: the natural order), starting after the document ``after``."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed([FieldProblem("limit", f"must be between 1 and {MAX_PAGE}", value=limit)])
        where = builtins.list(conditions or ())
        if company_id is not None:
            where.append({"field": "company_id", "operator": "==", "value": self._company(company_id)})
        cursor = None
        if after is not None:
            cursor = store.get(child_path(self.collection, after, field="after"))
            if cursor is None:
                raise ValidationFailed(
                    [
                        FieldProblem(
                            "after",
                            f"no {self.collection} document has this id; start again from the first page",
                            value=after,
                        )
                    ]
                )
        docs = store.query(
            self.collection,
            conditions=where,
            order_by=order_by or self.order_by,
            limit=limit + 1,
            start_after=cursor,
        )
        items = [(doc.id, self._read(doc)) for doc in docs[:limit]]
        return Page(items=items, next_after=items[-1][0] if len(docs) > limit else None)

    def scan(
        self,
        store: DocumentStore,
        *,
        company_id: int | None = None,
        conditions: Sequence[Mapping[str, Any]] = (),
    ) -> builtins.list[tuple[str, ModelT]]:
        """Every document (of one company) matching ``conditions``, in one query: for analyses and
        workers, where paging through ``list`` would run the query once a page. Large scans belong
        in the warehouse."""
        where = builtins.list(conditions)
        if company_id is not None:
            where.append({"field": "company_id", "operator": "==", "value": self._company(company_id)})
        return [(doc.id, self._read(doc)) for doc in store.query(self.collection, conditions=where)]

    def update(
        self, store: DocumentStore, doc_id: str, *, data: Mapping[str, Any], actor: str = SYSTEM_ACTOR
    ) -> ModelT:
        """Change some fields (``"vas.physical"`` reaches into a map); the whole result must be valid."""
        path = child_path(self.collection, doc_id)
        if not isinstance(data, Mapping) or not data:
            raise ValidationFailed([FieldProblem("data", "an update needs at least one field")])

        def change(tx: Transaction) -> ModelT:
            current = tx.get(path)
            if current is None:
                raise self.not_found(doc_id)
            write = validated_write("update", path, data)  # Firestore's field-path rules
            model = self._validate(writes.apply(current.data, write, datetime.now(UTC)) or {})
            tx.set(path, model.model_dump())
            self._emit(tx, "updated", doc_id, model, actor)
            return model

        return store.run_transaction(change)

    def count(self, store: DocumentStore, *, conditions: Sequence[Mapping[str, Any]] | None = None) -> int:
        """How many documents match ``conditions``."""
        return store.count(self.collection, conditions=conditions)

    def set_in(
        self,
        batch: WriteBatch,
        doc_id: str,
        data: ModelT | Mapping[str, Any],
        *,
        actor: str = SYSTEM_ACTOR,
        emit: bool = True,
        validated: bool = False,
    ) -> ModelT:
        """Add the whole document ``doc_id`` (validated) to ``batch``, written when the batch commits;
        its event too, unless ``emit`` is False (a bulk import emits one event for all its rows).
        ``validated``: ``data`` is a model of this collection its caller has just validated (an
        import), so it is not validated again."""
        model = data if validated and type(data) is self.model else self._coerce(data)
        batch.set(child_path(self.collection, doc_id), model.model_dump())
        if emit:
            self._emit(batch, "written", doc_id, model, actor)
        return model

    def set_dumped_in(self, batch: WriteBatch, doc_id: str, data: Mapping[str, Any]) -> None:
        """Add the whole document ``doc_id`` to ``batch`` without an event: ``data`` is the
        ``model_dump()`` of a model of this collection its caller has validated (an import that
        keeps its validated rows as data, not models, until it writes them)."""
        batch.set(child_path(self.collection, doc_id), dict(data))

    def create_in(
        self,
        batch: WriteBatch,
        doc_id: str,
        data: ModelT | Mapping[str, Any],
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> ModelT:
        """Add the new document ``doc_id`` (validated), and its event, to ``batch``: its commit fails
        whole with Conflict when the document exists by then."""
        model = self._coerce(data)
        batch.create(child_path(self.collection, doc_id), model.model_dump())
        self._emit(batch, self.created, doc_id, model, actor)
        return model

    def upsert(
        self,
        store: DocumentStore,
        doc_id: str,
        change: Callable[[ModelT | None], ModelT | None],
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> ModelT | None:
        """Read-modify-write one document in a transaction: ``change`` gets the stored model (None when
        there is none) and returns the new one, or None to delete it. Retried whole on contention."""
        path = child_path(self.collection, doc_id)

        def run(tx: Transaction) -> ModelT | None:
            current = tx.get(path)
            before = None if current is None else self._read(current)
            new = change(before)
            if new is None:
                if before is not None:
                    tx.delete(path)
                    self._emit(tx, "deleted", doc_id, before, actor)
                return None
            model = self._validate(new.model_dump())
            tx.set(path, model.model_dump())
            self._emit(tx, "written", doc_id, model, actor)
            return model

        return store.run_transaction(run)

    def delete_many(self, store: DocumentStore, doc_ids: Iterable[str], *, actor: str = SYSTEM_ACTOR) -> int:
        """Delete documents in batches (atomic per batch, with their events); missing ones are no error."""
        ids = builtins.list(doc_ids)
        step = MAX_BATCH_WRITES // 2 if self.events else MAX_BATCH_WRITES
        for start in range(0, len(ids), step):
            batch = store.batch()
            for doc_id in ids[start : start + step]:
                batch.delete(child_path(self.collection, doc_id))
                self._emit(batch, "deleted", doc_id, None, actor)
            batch.commit()
        return len(ids)

    def delete_matching(
        self,
        store: DocumentStore,
        *,
        conditions: Sequence[Mapping[str, Any]],
        order_by: Any = None,
        actor: str = SYSTEM_ACTOR,
    ) -> int:
        """Delete every document matching ``conditions``, a page at a time; returns how many."""
        deleted = 0
        while page := self.list(store, conditions=conditions, order_by=order_by, limit=MAX_PAGE).items:
            deleted += self.delete_many(store, [doc_id for doc_id, _ in page], actor=actor)
        return deleted

    def delete(self, store: DocumentStore, doc_id: str, *, actor: str = SYSTEM_ACTOR) -> None:
        """Remove the document; NotFound if there is none."""
        path = child_path(self.collection, doc_id)

        def remove(tx: Transaction) -> None:
            current = tx.get(path)
            if current is None:
                raise self.not_found(doc_id)
            tx.delete(path)
            self._emit(tx, "deleted", doc_id, self._read(current), actor)

        store.run_transaction(remove)

    def _emit(
        self, writes: WriteBatch | Transaction, action: str, doc_id: str, model: ModelT | None, actor: str
    ) -> None:
        if not self.events:
            return
        company_id = getattr(model, "company_id", None) if model is not None else None
        event = events.new_event(
            self.collection, action, entity_id=doc_id, company_id=company_id, actor=actor
        )
        events.emit_in(writes, event)

    def _coerce(self, data: ModelT | Mapping[str, Any]) -> ModelT:
        """``data`` (this model, another model or a mapping) validated as this collection's model."""
        return self._validate(data.model_dump() if isinstance(data, BaseModel) else data)

    def _validate(self, data: Mapping[str, Any]) -> ModelT:
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            raise from_pydantic(exc) from exc

    def _read(self, doc: Document) -> ModelT:
        try:
            return self.model.model_validate(doc.data)
        except ValidationError as exc:
            problems = from_pydantic(exc).problems
            raise ValidationFailed(
                problems,
                message=(
                    f"The stored document {doc.path} is not a valid {self.model.__name__}: "
                    + "; ".join(p.describe() for p in problems[:5])
                ),
            ) from exc

    def _company(self, company_id: object) -> int:
        if not self.company_scoped:
            raise ValidationFailed([FieldProblem("company_id", f"{self.collection} is not company-scoped")])
        if isinstance(company_id, bool) or not isinstance(company_id, int) or company_id < 1:
            problem = FieldProblem("company_id", "must be a positive integer", value=company_id)
            raise ValidationFailed([problem])
        return company_id

    def not_found(self, doc_id: str) -> NotFound:
        return NotFound(
            f"No {self.collection} document with id {doc_id!r}.",
            details={"collection": self.collection, "id": doc_id},
        )


def get_user(user_id: int | str) -> User:
    """The user from PostgreSQL, read in its own short unit of work; NotFound if there is none."""
    key = _user_key(user_id)
    with get_db_session() as session:
        return crud_sql.users.get(session, key)


def _user_key(user_id: object) -> int:
    if isinstance(user_id, str) and _DIGITS.fullmatch(user_id):
        user_id = int(user_id)
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= INT64_MAX:
        raise ValidationFailed([FieldProblem("user_id", "must be a positive whole number", value=user_id)])
    return user_id


chats = DocumentRepository(ChatMessage, category=DataCategory.CHAT, order_by="created_at", events=True)
analytics = DocumentRepository(
    AnalyticsCacheEntry, category=DataCategory.ANALYTICS_CACHE, order_by="-computed_at"
)
analysis_jobs = DocumentRepository(
    AnalysisJob,
    category=DataCategory.ANALYTICS_CACHE,
    collection="analysis_jobs",
    order_by="-created_at",
    events=True,
    created="requested",
)
sessions = DocumentRepository(UserSession, category=DataCategory.USER_SESSION, order_by="-created_at")
ingest_jobs = DocumentRepository(
    IngestJob, category=DataCategory.INGESTION, order_by="-created_at", collection="ingest_jobs"
)
google_forms = DocumentRepository(
    GoogleForm, category=DataCategory.INGESTION, order_by="-created_at", collection="google_forms"
)
form_deliveries = DocumentRepository(
    FormDelivery, category=DataCategory.INGESTION, order_by="-last_received_at", collection="form_deliveries"
)
login_attempts = DocumentRepository(
    LoginThrottle, category=DataCategory.USER_SESSION, order_by="updated_at", collection="login_attempts"
)
consultations = DocumentRepository(
    Consultation, category=DataCategory.SURVEY, order_by="answered_at", events=True
)
treatments = DocumentRepository(
    Treatment, category=DataCategory.TREATMENT, order_by="started_at", events=True
)
reports = DocumentRepository(
    Report, category=DataCategory.REPORT, order_by="-created_at", events=True, created="requested"
)


STALE_PER_TRANSACTION = 200


def mark_analytics_stale(
    store: DocumentStore, companies: Iterable[int | None], *, ledger_id: str
) -> int | None:
    """Mark the cached analyses of ``companies`` (None: portfolio-wide ones) stale, once per
    ``ledger_id``: the ledger document is written in the transaction that marks the last of them.
    Answers how many were marked, or None when the ledger shows it was done before."""
    ledger = child_path(DOCUMENT_LEDGER, ledger_id)
    marked = 0
    for company_id in sorted(set(companies), key=lambda c: -1 if c is None else c):
        condition: builtins.list[dict[str, Any]] = [
            {"field": "company_id", "operator": "==", "value": company_id},
            {"field": "stale", "operator": "==", "value": False},
        ]

        def run(tx: Transaction, condition: builtins.list[dict[str, Any]] = condition) -> int | None:
            if tx.get(ledger) is not None:
                return None
            docs = tx.query(analytics.collection, conditions=condition, limit=STALE_PER_TRANSACTION)
            for doc in docs:
                tx.update(doc.path, {"stale": True})
            return len(docs)

        while (done := store.run_transaction(run)) is not None:
            marked += done
            if done < STALE_PER_TRANSACTION:
                break
        if done is None:
            return None
    store.run_transaction(lambda tx: None if tx.get(ledger) else tx.set(ledger, {"at": datetime.now(UTC)}))
    return marked
