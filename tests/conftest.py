"""Shared fixtures: one PostgreSQL per test run (embedded, or WELLNESS_TEST_DATABASE_URL), a fresh
schema migrated once, and per-test isolation by an outer transaction that is rolled back."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.migration import upgrade
from backend.database.postgres import EmbeddedPostgres, create_db_engine
from tests.support import make_settings

SERVER_URL_ENV = "WELLNESS_TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.relational)


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
def manager(settings: Settings, connection: Connection) -> Iterator[DatabaseManager]:
    """The process-wide DatabaseManager, bound to the test's connection."""
    DatabaseManager.reset()
    mgr = DatabaseManager()
    mgr.configure(settings, bind=connection)
    yield mgr
    DatabaseManager.reset()
