"""The outbox: every write records its event with the data, in the same transaction or batch.

The one definition of an event. PostgreSQL writes add an ``event_outbox`` row through the session's
connection (the ORM's through a flush hook, as ``audit.py`` does; the bulk paths call ``emit``);
document writes add an outbox document to the same batch or transaction (``emit_in``). A write that
rolls back therefore emits nothing, and a committed one cannot lose its event. Payloads hold ids
and counts only, never personal data. The relay (``backend/service/events``) moves events onto the bus.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, UOWTransaction

from backend.database import audit
from backend.database.documents.paths import child_path
from backend.database.documents.port import DocumentStore, Transaction, WriteBatch
from backend.database.models_sql import (
    Base,
    Company,
    CompanyAccess,
    Employee,
    EventOutbox,
    FinancialStatement,
    Invoice,
    Payment,
    User,
)
from backend.database.routing import DOCUMENT_OUTBOX, DataCategory

# The entity each table's or collection's events are about: "<entity>.<action>".
ENTITIES: dict[str, tuple[str, DataCategory]] = {
    "users": ("user", DataCategory.USER_MASTER),
    "company_access": ("grant", DataCategory.USER_MASTER),
    "companies": ("company", DataCategory.COMPANY_MASTER),
    "employees": ("employee", DataCategory.EMPLOYEE_MASTER),
    "financial_statements": ("financial_statement", DataCategory.FINANCIAL),
    "invoices": ("invoice", DataCategory.BILLING),
    "payments": ("payment", DataCategory.BILLING),
    "chats": ("chat", DataCategory.CHAT),
    "consultations": ("survey", DataCategory.SURVEY),
    "treatments": ("treatment", DataCategory.TREATMENT),
    "reports": ("report", DataCategory.REPORT),
    "analysis_jobs": ("analysis_job", DataCategory.ANALYTICS_CACHE),
}
_ORM_ACTIONS = {"create": "created", "update": "updated", "delete": "deleted"}


@dataclass(frozen=True)
class Event:
    """What happened, to what, of which company, when and by whom; ``payload`` holds ids and counts."""

    type: str
    category: str
    entity_id: str | None
    company_id: int | None
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def companies(self) -> frozenset[int]:
        """Every company whose data this event touches (an import may touch several)."""
        ids = set(self.payload.get("company_ids") or ())
        if self.company_id is not None:
            ids.add(self.company_id)
        return frozenset(int(i) for i in ids)

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "category": self.category,
            "entity_id": self.entity_id,
            "company_id": self.company_id,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "payload": self.payload,
        }

    @classmethod
    def from_row(cls, row: Any) -> Event:
        """From a row (or mapping) with the outbox's columns; ``id`` may be a UUID or its text."""
        get: Any = row.get if isinstance(row, Mapping) else lambda key: getattr(row, key)
        raw_id = get("id")
        return cls(
            id=raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(str(raw_id)),
            type=get("type"),
            category=get("category"),
            entity_id=get("entity_id"),
            company_id=get("company_id"),
            occurred_at=get("occurred_at").astimezone(UTC),
            actor=get("actor"),
            payload=dict(get("payload") or {}),
        )

    def to_document(self) -> dict[str, Any]:
        return {**self.to_row(), "id": str(self.id)}

    def to_json(self) -> bytes:
        """The bus's wire format (Pub/Sub message data)."""
        return json.dumps(
            {**self.to_document(), "occurred_at": self.occurred_at.isoformat()}, separators=(",", ":")
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Event:
        raw = json.loads(data)
        return cls.from_row({**raw, "occurred_at": datetime.fromisoformat(raw["occurred_at"])})


def new_event(
    entity_table: str,
    action: str,
    *,
    entity_id: object,
    company_id: int | None,
    actor: str,
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """The event ``<entity>.<action>`` of a table or collection (``"employees", "imported"``...)."""
    entity, category = ENTITIES[entity_table]
    kind = f"{entity_table}.{action}" if action == "imported" else f"{entity}.{action}"
    return Event(
        type=kind,
        category=category.value,
        entity_id=None if entity_id is None else str(entity_id),
        company_id=company_id,
        actor=actor,
        payload=dict(payload or {}),
    )


def import_event(
    session: Session | None,
    table: str,
    *,
    companies: Iterable[int],
    counts: Mapping[str, int],
    actor: str | None = None,
    entity_id: str | None = None,
) -> Event:
    """One event for a whole import into ``table`` (never one per row), with its counts; the actor
    is the session's unless given (a document import has no SQL write of its own to take it from)."""
    ordered = sorted(set(companies))
    payload: dict[str, Any] = dict(counts)
    if len(ordered) > 1:
        payload["company_ids"] = ordered
    return new_event(
        table,
        "imported",
        entity_id=entity_id,
        company_id=ordered[0] if len(ordered) == 1 else None,
        actor=actor if actor is not None else audit.actor_of(session) if session else audit.SYSTEM_ACTOR,
        payload=payload,
    )


# --- PostgreSQL ------------------------------------------------------------------------------------


def emit(session: Session, *events: Event) -> None:
    """Add ``events`` to the relational outbox in the session's transaction."""
    if events:
        session.connection().execute(insert(EventOutbox), [e.to_row() for e in events])


def _company_of(session: Session, obj: Base) -> int | None:
    if isinstance(obj, Company):
        return obj.id
    if isinstance(obj, Payment):
        query = select(Invoice.company_id).where(Invoice.id == obj.invoice_id)
        company: int | None = session.connection().execute(query).scalar()
        return company
    company_id = getattr(obj, "company_id", None)
    return company_id if isinstance(company_id, int) else None


def _payload(obj: Base) -> dict[str, Any]:
    if isinstance(obj, CompanyAccess):
        return {"user_id": obj.user_id}
    if isinstance(obj, Payment):
        return {"invoice_id": obj.invoice_id}
    return {}


_EVENTFUL = (User, CompanyAccess, Company, Employee, FinancialStatement, Invoice, Payment)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    rows = []
    actor = audit.actor_of(session)
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, _EVENTFUL):
                continue
            if action == "update" and not audit.changed_fields(obj):
                continue
            rows.append(
                new_event(
                    obj.__tablename__,
                    _ORM_ACTIONS[action],
                    entity_id=audit.entity_id(obj),
                    company_id=_company_of(session, obj),
                    actor=actor,
                    payload=_payload(obj),
                )
            )
    emit(session, *rows)


event.listen(Session, "after_flush", _after_flush)


# --- documents -------------------------------------------------------------------------------------


def emit_in(writes: WriteBatch | Transaction, *events: Event) -> None:
    """Add ``events`` to the document outbox as part of ``writes`` (committed with them, or not at all)."""
    for e in events:
        writes.set(child_path(DOCUMENT_OUTBOX, str(e.id)), e.to_document())


def document_outbox(store: DocumentStore, *, limit: int) -> list[tuple[str, Event]]:
    """The oldest events in the document outbox, with their document paths."""
    docs = store.query(DOCUMENT_OUTBOX, order_by="occurred_at", limit=limit)
    return [(doc.path, Event.from_row(doc.data)) for doc in docs]


def remove_document_events(store: DocumentStore, paths: list[str]) -> None:
    """Remove relayed events from the document outbox (at most one batch)."""
    batch = store.batch()
    for path in paths:
        batch.delete(path)
    batch.commit()
