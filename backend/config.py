"""The one place configuration is read: environment variables prefixed ``WELLNESS_``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A data directory is tied to the PostgreSQL major version that created it; change only with a migration.
EMBEDDED_POSTGRES_MAJOR = 18


class Settings(BaseSettings):
    """All settings of the system; every field can be set as ``WELLNESS_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="WELLNESS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(
        default=Path(".wellness"),
        description="Where embedded engines keep their files (PostgreSQL under data_dir/pg).",
    )
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql+psycopg://user:pass@host:5432/db). Unset: embedded server.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="Schema to use instead of the server's default search_path.",
    )
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_max_overflow: int = Field(default=10, ge=0, le=100)
    db_pool_timeout_s: float = Field(default=10.0, gt=0, description="Wait for a free pooled connection.")
    db_connect_timeout_s: int = Field(default=5, ge=1, le=120)
    db_statement_timeout_ms: int = Field(default=60_000, ge=0, description="0 disables the limit.")

    document_backend: Literal["local", "firestore"] = Field(
        default="local",
        description="Document store: 'local' (embedded SQLite in data_dir) or 'firestore' (Google Cloud).",
    )
    google_cloud_project: str | None = Field(
        default=None,
        validation_alias=AliasChoices("WELLNESS_GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT"),
        description="Project of the Firestore database (the client's own discovery is used when unset).",
    )
    firestore_database: str = Field(default="(default)", description="Firestore database id.")
    firestore_emulator_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("FIRESTORE_EMULATOR_HOST"),
        description="host:port of a Firestore emulator (read by the Google client from the environment).",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"

    @field_validator("database_url", mode="before")
    @classmethod
    def _empty_url_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgresql+psycopg://")):
            raise ValueError(
                "must start with postgresql+psycopg:// (or postgresql://), e.g. "
                "postgresql+psycopg://user:password@host:5432/database"
            )
        return value

    @property
    def embedded_pgdata(self) -> Path:
        """Data directory of the embedded PostgreSQL server."""
        return self.data_dir.expanduser().resolve() / "pg"

    @property
    def documents_path(self) -> Path:
        """SQLite file of the embedded document store."""
        return self.data_dir.expanduser().resolve() / "documents.sqlite3"


def get_settings() -> Settings:
    """Settings read from the environment now (long-lived holders such as DatabaseManager keep theirs)."""
    return Settings()
