"""The one place configuration is read: environment variables prefixed ``WELLNESS_``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

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
    # At least the concurrent requests of one process: a connection beyond the pool (overflow) is
    # opened for one request and closed after it, a new server process each time.
    db_pool_size: int = Field(default=10, ge=1, le=100)
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
    public_base_url: str | None = Field(
        default=None,
        description="The API's address as users reach it (https://wellness.example.jp), the base of "
        "download links. Unset: http://{host}:{port}.",
    )
    log_level: str = "info"
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="Comma-separated addresses of proxies trusted to set X-Forwarded-For (Cloud Run: '*').",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs paging cursors. Unset: generated into data_dir/secret_key on first use; "
        "with more than one API instance, set the same value on each.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body; a larger one answers 413 unread."
    )
    ingest_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="Largest file accepted for ingest; larger answers 413."
    )
    ingest_max_rows: int = Field(default=1_000_000, ge=1, description="Most data rows in one ingested file.")
    ingest_max_unzipped_bytes: int = Field(
        default=1024**3, ge=1024, description="Most bytes an XLSX may unpack to (zip-bomb guard)."
    )
    ingest_max_zip_ratio: int = Field(
        default=100, ge=10, description="Highest compression ratio of any part of an XLSX over 1 MiB."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed by CORS (e.g. https://app.example.jp); empty: CORS off.",
    )

    session_absolute_ttl_s: int = Field(
        default=12 * 3600, ge=60, description="A session ends this long after sign-in, used or not."
    )
    session_idle_ttl_s: int = Field(
        default=2 * 3600, ge=60, description="A session ends after this long without a request."
    )
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=50, ge=1)
    login_failure_window_s: int = Field(default=900, ge=1, description="Failures count within this window.")
    login_lockout_s: int = Field(default=900, ge=1, description="How long a throttled sign-in waits.")

    event_backend: Literal["postgres", "pubsub"] = Field(
        default="postgres",
        description="The event bus: 'postgres' (a queue table, LISTEN/NOTIFY) or 'pubsub' (Google Pub/Sub).",
    )
    event_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Deliveries of an event before it becomes a dead letter."
    )
    event_visibility_s: float = Field(
        default=30.0, gt=0, description="A claimed event is hidden this long (extended while it runs)."
    )
    event_backoff_base_s: float = Field(default=1.0, gt=0, description="First retry delay (doubles).")
    event_backoff_max_s: float = Field(default=300.0, gt=0, description="Longest retry delay.")
    event_document_poll_s: float = Field(
        default=1.0, gt=0, description="How often the relay looks at the document store's outbox."
    )
    embedded_worker: bool = Field(
        default=True,
        description="`wellness serve` also runs one event worker in-process (turn off when workers "
        "run as their own processes, as in production).",
    )
    pubsub_topic: str = Field(default="wellness-events", pattern=r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$")
    pubsub_subscription: str = Field(
        default="wellness-workers", pattern=r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$"
    )
    pubsub_dead_letter_topic: str = Field(
        default="wellness-events-dead", pattern=r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$"
    )
    pubsub_emulator_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PUBSUB_EMULATOR_HOST"),
        description="host:port of a Pub/Sub emulator (read by the Google client from the environment).",
    )

    warehouse_backend: Literal["duckdb", "bigquery"] = Field(
        default="duckdb",
        description="The analysis warehouse: 'duckdb' (a file in data_dir) or 'bigquery' (Google BigQuery).",
    )
    bigquery_project: str | None = Field(
        default=None,
        description="Project of the BigQuery dataset; unset: google_cloud_project, then the client's own "
        "discovery (Application Default Credentials).",
    )
    bigquery_dataset: str = Field(
        default="wellness",
        pattern=r"^[A-Za-z0-9_]{1,1024}$",
        description="BigQuery dataset of the warehouse tables (created when missing).",
    )
    bigquery_api_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="Endpoint of a BigQuery emulator (http://127.0.0.1:9050); set, the client sends no "
        "credentials. Unset: the real service.",
    )

    analysis_inline_max_answers: int = Field(
        default=100_000,
        ge=0,
        description="An analysis over more survey answers than this (and not in the cache) is left to "
        "the workers: the API answers 202 with a job to poll.",
    )
    analysis_job_timeout_s: float = Field(
        default=900, gt=0, description="A job not computed within this long is reported failed."
    )
    job_keep_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Finished analysis jobs and completed import jobs are deleted this long after "
        "they finished (at start-up); their results stay.",
    )

    storage_backend: Literal["local", "gcs"] = Field(
        default="local",
        description="Object storage (report files): 'local' (files in data_dir/objects, links served by "
        "the API) or 'gcs' (Google Cloud Storage, V4 signed URLs).",
    )
    storage_bucket: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$",
        description="The Cloud Storage bucket (needed by the gcs backend).",
    )
    storage_link_ttl_s: int = Field(
        default=900, ge=1, le=7 * 24 * 3600, description="How long a download link works (at most 7 days)."
    )
    storage_signing_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs the local backend's download links. Unset: generated into "
        "data_dir/storage_signing_key on first use; with more than one API instance, set the same "
        "value on each.",
    )
    storage_emulator_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("STORAGE_EMULATOR_HOST"),
        description="http://host:port of a Cloud Storage emulator such as fake-gcs-server.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not origin.startswith(("https://", "http://")):
                raise ValueError(f"{origin!r} is not an origin; write it as https://host[:port]")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not a URL; write it as https://host[:port][/path]")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _bucket_for_gcs(self) -> Settings:
        if self.storage_backend == "gcs" and not self.storage_bucket:
            raise ValueError("WELLNESS_STORAGE_BACKEND=gcs needs WELLNESS_STORAGE_BUCKET (the bucket's name)")
        return self

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
    def secret_key_path(self) -> Path:
        """Where the generated secret key is kept when WELLNESS_SECRET_KEY is unset."""
        return self.data_dir.expanduser().resolve() / "secret_key"

    @property
    def base_url(self) -> str:
        """Where users reach the API: WELLNESS_PUBLIC_BASE_URL, else http://{host}:{port}."""
        return self.public_base_url or f"http://{self.host}:{self.port}"

    @property
    def objects_dir(self) -> Path:
        """Files of the local object storage."""
        return self.data_dir.expanduser().resolve() / "objects"

    @property
    def storage_signing_key_path(self) -> Path:
        """Where the generated link-signing key is kept when WELLNESS_STORAGE_SIGNING_KEY is unset."""
        return self.data_dir.expanduser().resolve() / "storage_signing_key"

    @property
    def warehouse_path(self) -> Path:
        """DuckDB file of the embedded warehouse: one per database (and schema), so rows synced from
        one database are never read as another's."""
        if self.database_url is None and self.database_schema is None:
            return self.data_dir.expanduser().resolve() / "warehouse.duckdb"
        url = "embedded" if self.database_url is None else make_url(self.database_url).render_as_string()
        source = f"{url}|{self.database_schema}"  # the password masked: hide_password is the default
        digest = hashlib.sha256(source.encode()).hexdigest()[:12]
        return self.data_dir.expanduser().resolve() / f"warehouse-{digest}.duckdb"

    @property
    def warehouse_project(self) -> str | None:
        """BigQuery project of the warehouse: bigquery_project, else google_cloud_project."""
        return self.bigquery_project or self.google_cloud_project

    @property
    def documents_path(self) -> Path:
        """SQLite file of the embedded document store."""
        return self.data_dir.expanduser().resolve() / "documents.sqlite3"


def get_settings() -> Settings:
    """Settings read from the environment now (long-lived holders such as DatabaseManager keep theirs)."""
    return Settings()
