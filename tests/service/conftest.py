"""Fixtures of the service tests: the small demo portfolio seeded through the import path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents.local import LocalDocumentStore
from backend.service.demo.seed import seed


@pytest.fixture
def small_demo(settings: Settings, connection: Connection, tmp_path: Path) -> Iterator[DatabaseManager]:
    """The DatabaseManager over the test's connection and an embedded document store holding the
    small demo (seed 3: 6 companies, 12 months)."""
    DatabaseManager.reset()
    manager = DatabaseManager()
    store = LocalDocumentStore(tmp_path / "documents.db")
    manager.configure(settings, bind=connection, documents=store)
    seed(manager, settings, seed=3, scale="small")
    yield manager
    DatabaseManager.reset()
    store.close()
