"""The database layer's front door: data categories, routing, and the process-wide DatabaseManager.

``DataCategory`` is the single source of truth for where data lives: PostgreSQL for the strict,
related data; the document store (Firestore in production, the embedded store locally) for the
rest. ``get_db_for_category`` hands out the store for a category.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings, get_settings
from backend.database import audit, events  # noqa: F401  (events: the outbox's flush hook)
from backend.database.postgres import (
    EmbeddedPostgres,
    check_connection,
    create_db_engine,
    describe,
    unavailable,
)
from backend.database.routing import ROUTES, DatabaseType, DataCategory
from backend.errors import Unavailable, WellnessError

if TYPE_CHECKING:
    from backend.database.documents.port import DocumentStore


class RelationalStore:
    """The PostgreSQL side as ``get_db_for_category`` returns it: sessions over the manager's engine."""

    database_type = DatabaseType.POSTGRESQL

    def __init__(self, manager: DatabaseManager) -> None:
        self._manager = manager

    @property
    def engine(self) -> Engine:
        return self._manager.engine

    def session(self, *, actor: str = audit.SYSTEM_ACTOR) -> Any:
        """A unit of work (context manager), as ``get_db_session``."""
        return self._manager.session(actor=actor)

    def health(self) -> dict[str, Any]:
        return self._manager.postgres_health()


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
        self._read_engine: Engine | None = None
        self._session_factory: sessionmaker[Session] | None = None
        self._read_session_factory: sessionmaker[Session] | None = None
        self._documents: DocumentStore | None = None
        self._owns_documents = True

    def configure(
        self,
        settings: Settings,
        *,
        bind: Engine | Connection | None = None,
        documents: DocumentStore | None = None,
    ) -> None:
        """Use ``settings`` (and optionally an existing engine/connection or document store)."""
        with self._lock:
            if any(x is not None for x in (self._engine, self._session_factory, self._documents)):
                raise RuntimeError("DatabaseManager is already connected; call reset() first")
            self._settings = settings
            self._bind = bind
            if documents is not None:
                self._documents, self._owns_documents = documents, False

    @property
    def settings(self) -> Settings:
        """The settings this manager connects with, read from the environment on first use."""
        with self._lock:
            if self._settings is None:
                self._settings = get_settings()
            return self._settings

    # --- routing -------------------------------------------------------------------------------

    @staticmethod
    def get_collection_name(category: DataCategory | str) -> str:
        """The collection (document categories) or main table (relational ones) of a category."""
        return ROUTES[DataCategory.parse(category)].names[0]

    @staticmethod
    def get_database_type(category: DataCategory | str) -> DatabaseType:
        return ROUTES[DataCategory.parse(category)].database_type

    def get_db_for_category(self, category: DataCategory | str) -> RelationalStore | DocumentStore:
        """The store holding ``category``: a RelationalStore or the DocumentStore."""
        if self.get_database_type(category) is DatabaseType.POSTGRESQL:
            return RelationalStore(self)
        return self.documents

    # --- PostgreSQL ----------------------------------------------------------------------------

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
        session = self.open_session(actor=actor)
        try:
            yield session
        except BaseException as exc:
            self.end_session(session, failed=exc)
            raise
        self.end_session(session)

    def open_session(self, *, actor: str = audit.SYSTEM_ACTOR, read_only: bool = False) -> Session:
        """A new unit of work (no I/O until its first statement); finish it with ``end_session``.

        ``read_only``: each statement runs on its own (autocommit), which spares the BEGIN and COMMIT
        round trips of a request that only reads; any write through the session raises.
        """
        session = (self.read_session_factory if read_only else self.session_factory)()
        session.info[audit.ACTOR_KEY] = actor
        session.info[audit.READ_ONLY_KEY] = read_only
        return session

    @property
    def read_session_factory(self) -> sessionmaker[Session]:
        with self._lock:
            if self._read_session_factory is None:
                if isinstance(self._bind, Connection):  # tests: stay inside the test's transaction
                    return self.session_factory
                engine = self.engine
                if isinstance(self._bind, Engine):  # not ours to open a second pool for
                    engine = engine.execution_options(isolation_level="AUTOCOMMIT")
                else:
                    engine = self._read_engine = create_db_engine(engine.url, self.settings, autocommit=True)
                self._read_session_factory = sessionmaker(bind=engine, expire_on_commit=False)
            return self._read_session_factory

    def end_session(self, session: Session, *, failed: BaseException | None = None) -> None:
        """Commit (or, after ``failed``, roll back) and close; a lost connection becomes Unavailable."""
        try:
            if failed is None:
                session.commit()
            else:
                session.rollback()
        except OperationalError as exc:
            failed = exc
            session.rollback()
        finally:
            session.close()
        if isinstance(failed, OperationalError):
            raise unavailable(self.engine.url, failed) from failed

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

    # --- documents -----------------------------------------------------------------------------

    @property
    def documents(self) -> DocumentStore:
        """The document store chosen by WELLNESS_DOCUMENT_BACKEND, opened on first use."""
        with self._lock:
            if self._documents is None:
                from backend.database.documents import open_document_store

                self._documents = open_document_store(self.settings)
            return self._documents

    def documents_health(self) -> dict[str, Any]:
        try:
            return self.documents.health()
        except WellnessError as exc:
            return {"status": "unavailable", "backend": self.settings.document_backend, "error": exc.message}

    # --- life cycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release every connection; the embedded server stops if no other process uses it."""
        with self._lock:
            if self._engine is not None and not isinstance(self._bind, Engine | Connection):
                self._engine.dispose()
            if self._read_engine is not None:
                self._read_engine.dispose()
            if self._embedded is not None:
                self._embedded.stop()
            if self._documents is not None and self._owns_documents:
                self._documents.close()
            self._setup()

    @classmethod
    def reset(cls) -> None:
        """Close and forget the process-wide instance (tests; reconfiguration)."""
        with cls._instance_lock:
            instance, cls._instance = cls._instance, None
        if instance is not None:
            instance.close()


def get_db_for_category(category: DataCategory | str) -> RelationalStore | DocumentStore:
    """The store for a category: ``get_db_for_category("financial").database_type`` is POSTGRESQL."""
    return DatabaseManager().get_db_for_category(category)


@contextmanager
def get_db_session(*, actor: str = audit.SYSTEM_ACTOR) -> Iterator[Session]:
    """``with get_db_session() as session:`` commits on success, rolls back and re-raises on error, closes."""
    with DatabaseManager().session(actor=actor) as session:
        yield session


def get_document_store() -> DocumentStore:
    """The document store (embedded or Firestore, per WELLNESS_DOCUMENT_BACKEND)."""
    return DatabaseManager().documents


def get_firestore_client() -> Any:
    """Google's ``firestore.Client`` when the Firestore backend is active."""
    store = DatabaseManager().documents
    client = getattr(store, "client", None)
    if client is None:
        raise Unavailable(
            "The Google Firestore client is only available with WELLNESS_DOCUMENT_BACKEND=firestore "
            "(plus GOOGLE_CLOUD_PROJECT, or FIRESTORE_EMULATOR_HOST for the emulator); the embedded "
            "document store is active. Use get_document_store() for code that runs on both."
        )
    return client


def init_db() -> None:
    """Prepare both stores: PostgreSQL migrations to head, document-store indexes. Safe on every start."""
    from backend.database.migration import upgrade

    manager = DatabaseManager()
    upgrade(manager.engine)
    prepare = getattr(manager.documents, "prepare", None)
    if prepare is not None:
        prepare()
