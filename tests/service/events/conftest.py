"""A DatabaseManager that really commits (workers need their own transactions and connections), on a
schema migrated once per run and emptied before each test, over each document backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents import DocumentStore
from backend.database.migration import upgrade
from backend.database.postgres import create_db_engine

FAST = {
    "event_visibility_s": 2.0,
    "event_backoff_base_s": 0.05,
    "event_backoff_max_s": 0.2,
    "event_max_attempts": 3,
    "event_document_poll_s": 0.1,
}
# Every table but the audit log, which refuses TRUNCATE (its rows do not disturb these tests).
TABLES = (
    "event_outbox, event_queue, processed_events, company_data_versions, event_counters, payments, "
    "invoices, financial_statements, employees, company_access, companies, users"
)


@pytest.fixture(scope="session")
def live_settings(fresh_schema: Callable[[], Settings]) -> Settings:
    settings = fresh_schema().model_copy(update=FAST)
    assert settings.database_url
    engine = create_db_engine(settings.database_url, settings)
    upgrade(engine)
    engine.dispose()
    return settings


@pytest.fixture
def live(live_settings: Settings, document_store: DocumentStore) -> Iterator[DatabaseManager]:
    """The process-wide manager on the live schema (emptied) and the test's document store."""
    DatabaseManager.reset()
    manager = DatabaseManager()
    manager.configure(live_settings, documents=document_store)
    with manager.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield manager
    DatabaseManager.reset()
