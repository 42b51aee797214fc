"""Where each data category lives: ``DataCategory``, ``DatabaseType`` and the routing table.

The one definition of the routing rule. It imports nothing else of the project, so every module of
the database layer (the manager above it, the document-store adapters below it) can use it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DatabaseType(enum.StrEnum):
    POSTGRESQL = "postgresql"
    FIRESTORE = "firestore"  # the document store: Firestore, or the embedded store with its semantics


class DataCategory(enum.StrEnum):
    USER_MASTER = "user_master"
    COMPANY_MASTER = "company_master"
    EMPLOYEE_MASTER = "employee_master"
    FINANCIAL = "financial"
    BILLING = "billing"
    AUDIT_LOG = "audit_log"
    CHAT = "chat"
    ANALYTICS_CACHE = "analytics_cache"
    USER_SESSION = "user_session"
    SURVEY = "survey"
    TREATMENT = "treatment"
    REPORT = "report"
    INGESTION = "ingestion"  # data input's own records: import jobs, Google Forms and their deliveries
    EVENT = "event"  # the event system's own records: outbox, queue, ledger, data versions, counters

    @classmethod
    def parse(cls, value: DataCategory | str) -> DataCategory:
        """The category for the enum or its string value; ValueError listing the valid ones otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for member in cls:
                if value.strip().lower() in (member.value, member.name.lower()):
                    return member
        valid = ", ".join(m.value for m in cls)
        raise ValueError(f"Unknown data category {value!r}; valid categories are: {valid}")


@dataclass(frozen=True)
class Route:
    database_type: DatabaseType
    names: tuple[str, ...]  # tables (PostgreSQL) or collections (document store); the first is the main one


ROUTES: dict[DataCategory, Route] = {
    DataCategory.USER_MASTER: Route(DatabaseType.POSTGRESQL, ("users", "company_access")),
    DataCategory.COMPANY_MASTER: Route(DatabaseType.POSTGRESQL, ("companies",)),
    DataCategory.EMPLOYEE_MASTER: Route(DatabaseType.POSTGRESQL, ("employees",)),
    DataCategory.FINANCIAL: Route(DatabaseType.POSTGRESQL, ("financial_statements",)),
    DataCategory.BILLING: Route(DatabaseType.POSTGRESQL, ("invoices", "payments")),
    DataCategory.AUDIT_LOG: Route(DatabaseType.POSTGRESQL, ("audit_logs",)),
    DataCategory.CHAT: Route(DatabaseType.FIRESTORE, ("chats",)),
    DataCategory.ANALYTICS_CACHE: Route(DatabaseType.FIRESTORE, ("analytics", "analysis_jobs")),
    DataCategory.USER_SESSION: Route(DatabaseType.FIRESTORE, ("sessions", "login_attempts")),
    DataCategory.SURVEY: Route(DatabaseType.FIRESTORE, ("consultations",)),
    DataCategory.TREATMENT: Route(DatabaseType.FIRESTORE, ("treatments",)),
    DataCategory.REPORT: Route(DatabaseType.FIRESTORE, ("reports",)),
    DataCategory.INGESTION: Route(DatabaseType.FIRESTORE, ("ingest_jobs", "google_forms", "form_deliveries")),
    DataCategory.EVENT: Route(
        DatabaseType.POSTGRESQL,
        ("event_outbox", "event_queue", "processed_events", "company_data_versions", "event_counters"),
    ),
}

# The document store's half of the event system: every document write adds its event to this
# collection in the same batch or transaction (``backend/database/events.py``), and handlers whose
# effect is a document record the events they processed in the ledger collection, in the same
# transaction as the effect. The relay moves outbox documents onto the bus.
DOCUMENT_OUTBOX = "event_outbox"
DOCUMENT_LEDGER = "processed_events"
