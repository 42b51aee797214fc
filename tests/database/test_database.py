"""The database layer's front door: categories, routing, the manager, and the seed's examples."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from backend.config import Settings
from backend.database import (
    DatabaseManager,
    DatabaseType,
    DataCategory,
    get_db_for_category,
    get_document_store,
    get_firestore_client,
    init_db,
)
from backend.database.documents import DocumentStore
from backend.errors import Unavailable
from tests.support import make_settings

RELATIONAL = {
    "user_master": "users",
    "company_master": "companies",
    "employee_master": "employees",
    "financial": "financial_statements",
    "billing": "invoices",
    "audit_log": "audit_logs",
}
DOCUMENTS = {
    "chat": "chats",
    "analytics_cache": "analytics",
    "user_session": "sessions",
    "survey": "consultations",
    "treatment": "treatments",
    "report": "reports",
}
# The project's own, beyond the seed's twelve: data input's records (import jobs, Google Forms).
ADDED = {"ingestion": "ingest_jobs", "event": "event_outbox"}


def test_the_seeds_twelve_categories_and_the_added_ones() -> None:
    assert {c.value for c in DataCategory} == set(RELATIONAL) | set(DOCUMENTS) | set(ADDED)
    assert DatabaseManager.get_database_type("ingestion") is DatabaseType.FIRESTORE
    assert DatabaseManager.get_database_type("event") is DatabaseType.POSTGRESQL
    assert [c.name for c in DataCategory][:3] == ["USER_MASTER", "COMPANY_MASTER", "EMPLOYEE_MASTER"]
    assert {t.value for t in DatabaseType} == {"postgresql", "firestore"}


@pytest.mark.parametrize(("value", "name"), [*RELATIONAL.items(), *DOCUMENTS.items(), *ADDED.items()])
def test_collection_names(value: str, name: str) -> None:
    assert DatabaseManager.get_collection_name(value) == name
    assert DatabaseManager.get_collection_name(DataCategory(value)) == name


@pytest.fixture
def routed(
    settings: Settings, connection: Connection, local_store: DocumentStore
) -> Iterator[DatabaseManager]:
    DatabaseManager.reset()
    DatabaseManager().configure(settings, bind=connection, documents=local_store)
    yield DatabaseManager()
    DatabaseManager.reset()


@pytest.mark.parametrize("value", list(RELATIONAL))
def test_relational_categories_route_to_postgresql(routed: DatabaseManager, value: str) -> None:
    store = get_db_for_category(value)
    assert store.database_type is DatabaseType.POSTGRESQL
    assert get_db_for_category(DataCategory(value)).database_type is DatabaseType.POSTGRESQL
    assert store.health()["status"] == "ok"  # type: ignore[union-attr]


@pytest.mark.parametrize("value", list(DOCUMENTS))
def test_document_categories_route_to_the_document_store(routed: DatabaseManager, value: str) -> None:
    store = get_db_for_category(value)
    assert store.database_type is DatabaseType.FIRESTORE
    assert store is get_document_store()


def test_the_seeds_routing_example(routed: DatabaseManager) -> None:
    db = get_db_for_category(DataCategory.FINANCIAL)  # PostgreSQLが返される
    assert db.database_type is DatabaseType.POSTGRESQL
    db = get_db_for_category(DataCategory.SURVEY)  # Firestoreが返される
    assert db.database_type is DatabaseType.FIRESTORE
    db = get_db_for_category("financial")  # PostgreSQLが返される
    assert db.database_type is DatabaseType.POSTGRESQL


@pytest.mark.parametrize("bad", ["finance", "", "surveys", None, 3])
def test_unknown_categories_list_the_valid_ones(bad: object) -> None:
    with pytest.raises(ValueError, match="valid categories are: user_master, company_master"):
        get_db_for_category(bad)  # type: ignore[arg-type]


def test_names_are_accepted_case_insensitively() -> None:
    assert DataCategory.parse("FINANCIAL") is DataCategory.FINANCIAL
    assert DataCategory.parse(" Survey ") is DataCategory.SURVEY


def test_one_store_per_process_even_under_threads(tmp_path: Path, settings: Settings) -> None:
    DatabaseManager.reset()
    DatabaseManager().configure(make_settings(str(settings.database_url), tmp_path))
    seen: list[int] = []
    threads = [
        threading.Thread(target=lambda: seen.append(id(DatabaseManager().documents))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(set(seen)) == 1
        assert DatabaseManager().documents.backend == "local"
        assert (tmp_path / "documents.sqlite3").exists()
    finally:
        DatabaseManager.reset()


def test_firestore_client_needs_the_firestore_backend(routed: DatabaseManager) -> None:
    with pytest.raises(Unavailable, match="WELLNESS_DOCUMENT_BACKEND=firestore"):
        get_firestore_client()


def test_init_db_prepares_both_stores_and_can_run_again(tmp_path: Path, fresh_schema) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_schema()
    DatabaseManager.reset()
    DatabaseManager().configure(settings.model_copy(update={"data_dir": tmp_path}))
    try:
        init_db()
        init_db()
        assert get_document_store().health()["status"] == "ok"
        indexes = (
            sqlite3.connect(tmp_path / "documents.sqlite3")
            .execute("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'")
            .fetchone()[0]
        )
        assert indexes > 0
        assert DatabaseManager().postgres_health()["status"] == "ok"
    finally:
        DatabaseManager.reset()
