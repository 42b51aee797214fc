"""Settings: one class, WELLNESS_ environment variables, clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.config import Settings


def fresh(**kwargs: object) -> Settings:
    return Settings(_env_file=None, **kwargs)  # type: ignore[call-arg]


def test_defaults_use_embedded_postgres_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = fresh()
    assert settings.database_url is None
    assert settings.embedded_pgdata == tmp_path / ".wellness" / "pg"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WELLNESS_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("WELLNESS_DATABASE_URL", "postgresql+psycopg://u:p@db.internal:5433/wellness")
    monkeypatch.setenv("WELLNESS_DB_POOL_SIZE", "12")
    settings = fresh()
    assert settings.embedded_pgdata == tmp_path / "elsewhere" / "pg"
    assert settings.database_url == "postgresql+psycopg://u:p@db.internal:5433/wellness"
    assert settings.db_pool_size == 12


def test_empty_database_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELLNESS_DATABASE_URL", "")
    assert fresh().database_url is None


@pytest.mark.parametrize("url", ["mysql://root@localhost/db", "127.0.0.1:5432", "sqlite:///x.db"])
def test_non_postgres_urls_are_refused_with_an_example(url: str) -> None:
    with pytest.raises(ValidationError, match=r"postgresql\+psycopg://user:password@host:5432/database"):
        fresh(database_url=url)


@pytest.mark.parametrize(
    ("field", "value"), [("db_pool_size", 0), ("port", 70000), ("database_schema", "a;drop")]
)
def test_out_of_range_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        fresh(**{field: value})


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELLNESS_CORS_ORIGINS", "https://app.example.jp, http://localhost:5173")
    assert fresh().cors_origins == ["https://app.example.jp", "http://localhost:5173"]
    monkeypatch.setenv("WELLNESS_CORS_ORIGINS", "")
    assert fresh().cors_origins == []


def test_a_cors_origin_must_be_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELLNESS_CORS_ORIGINS", "app.example.jp")
    with pytest.raises(ValidationError, match="https://host"):
        fresh()


def test_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELLNESS_SECRET_KEY", "too-short")
    with pytest.raises(ValidationError, match="secret_key"):
        fresh()


def test_the_bigquery_project_falls_back_to_google_cloud_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("WELLNESS_WAREHOUSE_BACKEND", "bigquery")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "wellness-prod")
    settings = fresh()
    assert (settings.warehouse_backend, settings.warehouse_project) == ("bigquery", "wellness-prod")
    assert (settings.bigquery_dataset, settings.bigquery_api_endpoint) == ("wellness", None)
    monkeypatch.setenv("WELLNESS_BIGQUERY_PROJECT", "wellness-analytics")
    assert fresh().warehouse_project == "wellness-analytics"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bigquery_dataset", "wellness.x"),
        ("bigquery_dataset", ""),
        ("bigquery_api_endpoint", "127.0.0.1:9050"),
    ],
)
def test_bad_bigquery_settings_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        fresh(**{field: value})
