"""The real app over PostgreSQL and each document backend (the embedded store; the Firestore emulator)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
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


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    """One app for the run: it keeps no state of its own between requests (the manager holds it)."""
    return create_app(migrate=False, settings=settings)


def configured(settings: Settings, connection: Connection, store: DocumentStore) -> DatabaseManager:
    """The process's DatabaseManager, anew, on ``connection`` (its transaction) and ``store``."""
    DatabaseManager.reset()
    manager = DatabaseManager()
    manager.configure(settings, bind=connection, documents=store)
    return manager


def serving(app: FastAPI, settings: Settings, connection: Connection, store: DocumentStore) -> Iterator[Api]:
    """The app over ``connection`` and ``store`` for one test (a fixture's body: ``yield from``)."""
    manager = configured(settings, connection, store)
    yield Api(client=TestClient(app, raise_server_exceptions=False), manager=manager)
    DatabaseManager.reset()


@pytest.fixture
def api(
    app: FastAPI, settings: Settings, connection: Connection, document_store: DocumentStore
) -> Iterator[Api]:
    """The app with the test's rolled-back connection and document store (both backends)."""
    yield from serving(app, settings, connection, document_store)


@pytest.fixture
def world(api: Api) -> World:
    return make_world(api.manager)
