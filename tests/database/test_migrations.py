"""Alembic migrations: in step with the models, reversible, and driven by the `wellness db` commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, inspect
from typer.testing import CliRunner

from backend.cli import app
from backend.config import Settings
from backend.database import DatabaseManager, migration
from backend.database.models_sql import Base
from backend.database.postgres import create_db_engine

TABLES = {
    "users",
    "companies",
    "company_access",
    "employees",
    "financial_statements",
    "invoices",
    "payments",
    "audit_logs",
    "event_outbox",
    "event_queue",
    "processed_events",
    "company_data_versions",
    "event_counters",
}


@pytest.fixture
def empty(fresh_schema: Callable[[], Settings]) -> Iterator[tuple[Settings, Engine]]:
    settings = fresh_schema()
    assert settings.database_url
    eng = create_db_engine(settings.database_url, settings)
    yield settings, eng
    eng.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_models_and_migrations_agree(engine: Engine) -> None:
    assert migration.model_differences(engine) == []
    assert migration.current_revision(engine) == migration.head_revision()


def test_every_model_has_a_table() -> None:
    assert set(Base.metadata.tables) == TABLES


def test_upgrade_downgrade_upgrade(empty: tuple[Settings, Engine]) -> None:
    _, eng = empty
    migration.upgrade(eng)
    assert tables(eng) == TABLES
    migration.downgrade(eng, "base")
    assert tables(eng) == set()
    assert migration.current_revision(eng) is None
    migration.upgrade(eng)
    assert tables(eng) == TABLES
    assert migration.model_differences(eng) == []


def test_upgrade_twice_is_harmless(empty: tuple[Settings, Engine]) -> None:
    _, eng = empty
    migration.upgrade(eng)
    migration.upgrade(eng)
    assert migration.current_revision(eng) == migration.head_revision()


def test_wellness_db_commands(empty: tuple[Settings, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, eng = empty
    monkeypatch.setenv("WELLNESS_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("WELLNESS_DATABASE_SCHEMA", str(settings.database_schema))
    DatabaseManager.reset()
    runner = CliRunner()

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables(eng) == TABLES

    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert f"database: {migration.head_revision()}" in result.output

    result = runner.invoke(app, ["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables(eng) == set()


def test_db_command_against_an_unreachable_server_says_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELLNESS_DATABASE_URL", "postgresql+psycopg://wellness@127.0.0.1:1/nowhere")
    monkeypatch.setenv("WELLNESS_DB_CONNECT_TIMEOUT_S", "2")
    DatabaseManager.reset()
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "Cannot reach PostgreSQL at 127.0.0.1:1" in result.output
    assert "WELLNESS_DATABASE_URL" in result.output
    assert "Traceback" not in result.output
