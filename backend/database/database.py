"""Connection management: the process-wide ``DatabaseManager`` and the unit-of-work helper."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings, get_settings
from backend.database import audit
from backend.database.postgres import (
    EmbeddedPostgres,
    check_connection,
    create_db_engine,
    describe,
    unavailable,
)
from backend.errors import WellnessError


class DatabaseManager:
    """One per process (``DatabaseManager() is DatabaseManager()``); connects lazily and thread-safely."""

    _instance: DatabaseManager | None = None
    _instance_lock = threading.Lock()

    def __new__(cls) -> DatabaseManager:
        with cls._instance_lock:
            if cls._instance is None:
                instance = super().__new__(cls)
                instance._setup()
                cls._instance = instance
            return cls._instance

    def _setup(self) -> None:
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._bind: Engine | Connection | None = None
        self._embedded: EmbeddedPostgres | None = None
        self._engine: Engine | None = None
        self._session_factory: sessionmaker[Session] | None = None

    def configure(self, settings: Settings, *, bind: Engine | Connection | None = None) -> None:
        """Use ``settings`` (and optionally an existing engine or connection) instead of the environment."""
        with self._lock:
            if self._engine is not None or self._session_factory is not None:
                raise RuntimeError("DatabaseManager is already connected; call reset() first")
            self._settings = settings
            self._bind = bind

    @property
    def settings(self) -> Settings:
        """The settings this manager connects with, read from the environment on first use."""
        with self._lock:
            if self._settings is None:
                self._settings = get_settings()
            return self._settings

    @property
    def engine(self) -> Engine:
        """The PostgreSQL engine, connecting (and starting the embedded server) on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = self._connect()
            return self._engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        with self._lock:
            if self._session_factory is None:
                if isinstance(self._bind, Connection):  # tests: commits become savepoints of theirs
                    self._session_factory = sessionmaker(
                        bind=self._bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
                    )
                else:
                    self._session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
            return self._session_factory

    @property
    def backend(self) -> str:
        return "server" if self.settings.database_url else "embedded"

    def _connect(self) -> Engine:
        if isinstance(self._bind, Engine):
            return self._bind
        if isinstance(self._bind, Connection):
            return self._bind.engine
        settings = self.settings
        if settings.database_url:
            url: Any = settings.database_url
        else:
            self._embedded = EmbeddedPostgres(settings.embedded_pgdata)
            url = self._embedded.start()
        engine = create_db_engine(url, settings)
        try:
            check_connection(engine)
        except WellnessError:
            engine.dispose()
            raise
        return engine

    @contextmanager
    def session(self, *, actor: str = audit.SYSTEM_ACTOR) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back on any exception."""
        session = self.session_factory()
        session.info[audit.ACTOR_KEY] = actor
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise unavailable(self.engine.url, exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def postgres_health(self) -> dict[str, Any]:
        """Status of PostgreSQL for /healthz; never raises."""
        started = time.perf_counter()
        try:
            engine = self.engine
            with engine.connect() as conn:
                version = conn.execute(text("SHOW server_version")).scalar_one()
        except (WellnessError, OperationalError) as exc:
            message = exc.message if isinstance(exc, WellnessError) else str(exc.orig)
            return {"status": "unavailable", "backend": self.backend, "error": message}
        return {
            "status": "ok",
            "backend": self.backend,
            "server": describe(engine.url),
            "version": version,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    def close(self) -> None:
        """Dispose of the pool and release the embedded server (it stops if no other process uses it)."""
        with self._lock:
            if self._engine is not None and not isinstance(self._bind, Engine | Connection):
                self._engine.dispose()
            if self._embedded is not None:
                self._embedded.stop()
            self._setup()

    @classmethod
    def reset(cls) -> None:
        """Close and forget the process-wide instance (tests; reconfiguration)."""
        with cls._instance_lock:
            instance, cls._instance = cls._instance, None
        if instance is not None:
            instance.close()


@contextmanager
def get_db_session(*, actor: str = audit.SYSTEM_ACTOR) -> Iterator[Session]:
    """``with get_db_session() as session:`` commits on success, rolls back and re-raises on error, closes."""
    with DatabaseManager().session(actor=actor) as session:
        yield session


def init_db() -> None:
    """Prepare the stores: PostgreSQL migrations to head. Safe to call on every start."""
    from backend.database.migration import upgrade

    upgrade(DatabaseManager().engine)
