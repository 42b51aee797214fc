"""PostgreSQL connection management: the embedded server's life cycle and the engine factory."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from backend.config import Settings
from backend.database import postgres
from backend.database.postgres import EmbeddedPostgres, check_connection, create_db_engine, prune_dead_handles
from backend.errors import Unavailable
from tests.support import make_settings, postmaster_pid, wait_gone


def spawn_owner(pgdata: Path, *, signals: bool = False) -> subprocess.Popen[str]:
    """A separate process that opens the embedded server, says 'ready' and waits to be killed."""
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from backend.database.postgres import EmbeddedPostgres, install_signal_handlers
        if {signals}:
            install_signal_handlers()
        EmbeddedPostgres(Path({str(pgdata)!r})).start()
        print("ready", flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.fixture
def pgdata(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pg"
    yield path
    if (path / "postmaster.pid").exists():  # never leave a server behind, whatever the test did
        pid = postmaster_pid(path)
        if psutil.pid_exists(pid):
            psutil.Process(pid).terminate()
            wait_gone(pid)


def query(url: object, sql: str) -> object:
    eng = create_engine(url)  # type: ignore[call-overload]
    try:
        with eng.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        eng.dispose()


def test_embedded_server_starts_serves_and_stops(pgdata: Path) -> None:
    server = EmbeddedPostgres(pgdata)
    url = server.start()
    assert query(url, "SELECT current_database()") == "wellness"
    assert str(query(url, "SHOW server_version")).startswith("18.")
    pid = postmaster_pid(pgdata)
    server.stop()
    assert wait_gone(pid)


def test_a_second_process_joins_the_running_server(pgdata: Path) -> None:
    server = EmbeddedPostgres(pgdata)
    server.start()
    pid = postmaster_pid(pgdata)
    other = spawn_owner(pgdata)
    assert postmaster_pid(pgdata) == pid  # joined, did not start a second server
    other.terminate()
    other.wait(10)
    assert psutil.pid_exists(pid)  # this process still holds it
    server.stop()
    assert wait_gone(pid)


def test_sigkilled_owner_never_blocks_the_next_start(pgdata: Path) -> None:
    owner = spawn_owner(pgdata)
    pid = postmaster_pid(pgdata)
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)
    assert psutil.pid_exists(pid)  # orphaned server, dead pid left in .handle_pids.json

    server = EmbeddedPostgres(pgdata)
    url = server.start()  # prunes the dead pid, joins the orphan
    assert query(url, "SELECT 1") == 1
    server.stop()  # now the last holder: the orphan is stopped too
    assert wait_gone(pid)


def test_the_next_owner_exiting_normally_stops_an_orphaned_server(pgdata: Path) -> None:
    # The killed owner's pid stays in .handle_pids.json. The next process prunes it when it starts,
    # so that on a normal exit (pgserver's atexit hook; it never calls stop()) it knows it is the
    # last holder and stops the server. Unpruned, the dead pid would keep the server running.
    owner = spawn_owner(pgdata)
    pid = postmaster_pid(pgdata)
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)
    script = (
        "from pathlib import Path; from backend.database.postgres import EmbeddedPostgres; "
        f"EmbeddedPostgres(Path({str(pgdata)!r})).start()"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert wait_gone(pid)


def test_sigterm_stops_the_embedded_server_cleanly(pgdata: Path) -> None:
    owner = spawn_owner(pgdata, signals=True)
    pid = postmaster_pid(pgdata)
    owner.send_signal(signal.SIGTERM)
    assert owner.wait(20) == 128 + signal.SIGTERM
    assert wait_gone(pid)
    log = (pgdata / "log").read_text()
    assert "database system is shut down" in log


def test_prune_keeps_live_pids_and_drops_dead_ones(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".handle_pids.json").write_text(f"[{psutil.Process().pid}, {dead.pid}]")
    assert prune_dead_handles(tmp_path) == [dead.pid]
    assert (tmp_path / ".handle_pids.json").read_text() == f"[{psutil.Process().pid}]"
    (tmp_path / ".handle_pids.json").write_text("{not json")
    assert prune_dead_handles(tmp_path) == []
    assert (tmp_path / ".handle_pids.json").read_text() == "[]"


def test_data_dir_of_another_major_version_is_refused_with_advice(pgdata: Path) -> None:
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("16\n")
    with pytest.raises(Unavailable, match="tied to the PostgreSQL major version"):
        EmbeddedPostgres(pgdata).start()


def test_unreachable_server_names_the_host_and_what_to_check(tmp_path: Path) -> None:
    url = "postgresql+psycopg://app:s3cret-pw@127.0.0.1:1/analytics"
    eng = create_db_engine(url, make_settings(url, tmp_path, db_connect_timeout_s=2))
    with pytest.raises(Unavailable) as info:
        check_connection(eng)
    message = info.value.message
    assert "Cannot reach PostgreSQL at 127.0.0.1:1, database 'analytics', user 'app'" in message
    assert "WELLNESS_DATABASE_URL" in message
    assert "s3cret-pw" not in message


def test_engine_applies_pool_timeouts_and_utc(engine: Engine) -> None:
    assert engine.pool.size() == 10  # type: ignore[attr-defined]  # the default WELLNESS_DB_POOL_SIZE
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "1min"
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
        now = conn.execute(text("SELECT now()")).scalar_one()
    assert isinstance(now, datetime)
    assert now.tzinfo is not None


def test_statement_timeout_becomes_a_clear_error(settings: object, tmp_path: Path) -> None:
    from backend.database import DatabaseManager, get_db_session

    url = str(settings.database_url)  # type: ignore[attr-defined]
    DatabaseManager.reset()
    DatabaseManager().configure(make_settings(url, tmp_path, db_statement_timeout_ms=100))
    try:
        with (
            pytest.raises(Unavailable, match="WELLNESS_DB_STATEMENT_TIMEOUT_MS"),
            get_db_session() as session,
        ):
            session.execute(text("SELECT pg_sleep(2)"))
    finally:
        DatabaseManager.reset()


def _drop_pooled_connection(engine: Engine, admin: Engine) -> None:
    """Check a connection in and out once, then have the server end it while it sits in the pool."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.mark.parametrize(("idle_limit_s", "survives"), [(0.0, True), (1e9, False)])
def test_a_connection_dropped_while_idle_is_replaced_before_use(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, idle_limit_s: float, survives: bool
) -> None:
    """With the ping due (idle longer than the limit) the dead connection is replaced; without it
    the dead connection is handed out and the statement fails: the ping is what saves it."""
    assert settings.database_url
    pooled = create_db_engine(settings.database_url, settings)
    try:
        _drop_pooled_connection(pooled, engine)
        monkeypatch.setattr(postgres, "PING_AFTER_IDLE_S", idle_limit_s)
        if survives:
            with pooled.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
        else:
            with pytest.raises(OperationalError), pooled.connect() as conn:
                conn.execute(text("SELECT 1"))
    finally:
        pooled.dispose()
