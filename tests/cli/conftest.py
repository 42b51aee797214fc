"""The ``wellness`` command against a real, migrated schema (committed data, in a schema of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from backend.cli import app
from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.models_sql import User
from backend.database.postgres import create_db_engine


@dataclass
class Cli:
    settings: Settings
    engine: Engine

    def __call__(self, *args: str, input: str | None = None) -> Any:
        DatabaseManager.reset()
        return CliRunner().invoke(app, list(args), input=input)

    def user(self, email: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(User).where(User.email == email)).first()
        return None if row is None else User(**row._mapping)


@pytest.fixture
def cli(fresh_schema: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    settings: Settings = fresh_schema()
    engine = create_db_engine(str(settings.database_url), settings)
    monkeypatch.setenv("WELLNESS_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("WELLNESS_DATABASE_SCHEMA", str(settings.database_schema))
    monkeypatch.setenv("WELLNESS_DATA_DIR", str(tmp_path / "data"))
    yield Cli(settings=settings.model_copy(update={"data_dir": tmp_path / "data"}), engine=engine)
    DatabaseManager.reset()
    engine.dispose()
