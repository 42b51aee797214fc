"""Shared fixtures: one PostgreSQL per test run (embedded, or WELLNESS_TEST_DATABASE_URL), a fresh
schema migrated once, and per-test isolation by an outer transaction that is rolled back."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents import DocumentStore, IndexRegistry
from backend.database.documents.firestore import FirestoreDocumentStore
from backend.database.documents.local import LocalDocumentStore
from backend.database.migration import upgrade
from backend.database.postgres import EmbeddedPostgres, create_db_engine
from tests import emulators
from tests.support import make_settings

SERVER_URL_ENV = "WELLNESS_TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.relational)
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        on_emulator = (
            "firestore" in (params.get("document_backend"), params.get("shared_store"))
            or params.get("bus_backend") == "pubsub"
            or params.get("warehouse") == "bigquery"
            or params.get("storage_backend") == "gcs"
        )
        hosts = {"pubsub_host", "bigquery_endpoint", "gcs_host"} & set(getattr(item, "fixturenames", ()))
        if on_emulator or hosts:
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL URL: the server named by WELLNESS_TEST_DATABASE_URL, else an embedded one."""
    url = os.environ.get(SERVER_URL_ENV)
    if url:
        yield url
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("embedded") / "pg")
    yield embedded.start().render_as_string(hide_password=False)
    embedded.stop()


@pytest.fixture(scope="session")
def fresh_schema(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory of empty schemas (dropped at the end of the run); returns Settings using one."""
    admin = create_db_engine(pg_url, make_settings(pg_url, tmp_path_factory.mktemp("admin")))
    made: list[str] = []

    def make() -> Settings:
        name = f"wt_{os.getpid()}_{secrets.token_hex(4)}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        made.append(name)
        return make_settings(pg_url, tmp_path_factory.mktemp("data"), database_schema=name)

    yield make
    with admin.begin() as conn:
        for name in made:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def settings(fresh_schema) -> Settings:  # type: ignore[no-untyped-def]
    """Settings pointing at this run's migrated schema."""
    return fresh_schema()


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    assert settings.database_url
    eng = create_db_engine(settings.database_url, settings)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the test's outer transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as sess:
        sess.info["actor"] = "test"
        yield sess


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[LocalDocumentStore]:
    """A fresh embedded document store (the production index registry)."""
    store = LocalDocumentStore(tmp_path / "documents.sqlite3")
    yield store
    store.close()


@pytest.fixture(scope="session")
def firestore_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Firestore emulator for the whole run; FIRESTORE_EMULATOR_HOST points the client at it."""
    with (
        emulators.firestore_emulator(tmp_path_factory.mktemp("emulators")) as host,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("FIRESTORE_EMULATOR_HOST", host)
        mp.setenv("GOOGLE_CLOUD_PROJECT", emulators.PROJECT)
        yield host


@pytest.fixture(scope="session")
def pubsub_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Pub/Sub emulator for the whole run; PUBSUB_EMULATOR_HOST points the client at it."""
    with (
        emulators.pubsub_emulator(tmp_path_factory.mktemp("emulators")) as host,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("PUBSUB_EMULATOR_HOST", host)
        mp.setenv("GOOGLE_CLOUD_PROJECT", emulators.PROJECT)
        yield host


@pytest.fixture(scope="session")
def bigquery_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A bqemulator for the whole run (tests keep apart by datasets of their own): its REST endpoint."""
    with emulators.bigquery_emulator(tmp_path_factory.mktemp("emulators")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def gcs_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fake-gcs-server for the whole run; STORAGE_EMULATOR_HOST points the client at it."""
    with (
        emulators.fake_gcs_server(tmp_path_factory.mktemp("emulators")) as url,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("STORAGE_EMULATOR_HOST", url)
        yield url


@pytest.fixture(params=["local", "firestore"])
def document_backend(request: pytest.FixtureRequest) -> str:
    """Each document-store test runs on the embedded store and on the Firestore emulator."""
    if request.param == "firestore":
        emulators.wipe_firestore(request.getfixturevalue("firestore_host"))
    return str(request.param)


@pytest.fixture
def make_store(document_backend: str, tmp_path: Path) -> Iterator[Callable[..., DocumentStore]]:
    """Opens stores of the test's backend; ``make_store(indexes=IndexRegistry(...))`` for ad-hoc indexes."""
    opened: list[DocumentStore] = []

    def make(indexes: IndexRegistry | None = None) -> DocumentStore:
        store: DocumentStore
        if document_backend == "local":
            store = LocalDocumentStore(tmp_path / "documents.sqlite3", indexes=indexes)
        else:
            store = FirestoreDocumentStore(project=emulators.PROJECT, indexes=indexes)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def document_store(make_store: Callable[..., DocumentStore]) -> DocumentStore:
    """A document store of the test's backend with the production index registry."""
    return make_store()


@pytest.fixture
def manager(settings: Settings, connection: Connection) -> Iterator[DatabaseManager]:
    """The process-wide DatabaseManager, bound to the test's connection."""
    DatabaseManager.reset()
    mgr = DatabaseManager()
    mgr.configure(settings, bind=connection)
    yield mgr
    DatabaseManager.reset()
