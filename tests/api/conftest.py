"""The real app over PostgreSQL and each document backend (the embedded store; the Firestore emulator)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from backend.api.app import create_app
from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents import DocumentStore
from tests.api.world import World, make_world


@dataclass
class Api:
    client: TestClient
    manager: DatabaseManager

    @property
    def store(self) -> DocumentStore:
        return self.manager.documents


@pytest.fixture
def api(settings: Settings, connection: Connection, document_store: DocumentStore) -> Iterator[Api]:
    """The app with the test's rolled-back connection and document store (both backends)."""
    DatabaseManager.reset()
    manager = DatabaseManager()
    manager.configure(settings, bind=connection, documents=document_store)
    with TestClient(create_app(migrate=False, settings=settings), raise_server_exceptions=False) as client:
        yield Api(client=client, manager=manager)
    DatabaseManager.reset()


@pytest.fixture
def world(api: Api) -> World:
    return make_world(api.manager)
