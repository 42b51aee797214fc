"""GET /healthz, in-process and through the real `wellness serve` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.config import Settings
from backend.database import DatabaseManager
from tests.support import free_port, make_settings, postmaster_pid, wait_gone


def test_healthz_reports_postgresql(manager: DatabaseManager) -> None:
    with TestClient(create_app(migrate=False)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["postgresql"]["status"] == "ok"
    assert body["postgresql"]["version"]
    assert body["documents"]["status"] == "ok"
    assert body["documents"]["backend"] == "local"


def test_healthz_is_503_with_the_reason_when_postgresql_is_down(tmp_path: Path) -> None:
    url = "postgresql+psycopg://wellness@127.0.0.1:1/wellness"
    DatabaseManager.reset()
    DatabaseManager().configure(make_settings(url, tmp_path, db_connect_timeout_s=1))
    try:
        with TestClient(create_app(migrate=False)) as client:
            response = client.get("/healthz")
    finally:
        DatabaseManager.reset()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["postgresql"]["status"] == "unavailable"
    assert "127.0.0.1:1" in body["postgresql"]["error"]


def test_wellness_serve_on_embedded_defaults_then_ctrl_c(tmp_path: Path) -> None:
    """What `make run` does: embedded PostgreSQL, migrations, /healthz, clean stop on Ctrl-C."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None, proc.stdout.read() if proc.stdout else ""
        assert body["postgresql"]["backend"] == "embedded"
        assert body["documents"] == {**body["documents"], "status": "ok", "backend": "local"}
        assert body["status"] == "ok"
        pgdata = tmp_path / ".wellness" / "pg"
        postmaster = postmaster_pid(pgdata)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert wait_gone(postmaster)


def test_healthz_is_503_when_the_document_store_cannot_open(settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    DatabaseManager.reset()
    DatabaseManager().configure(make_settings(str(settings.database_url), blocker / "data"))
    try:
        with TestClient(create_app(migrate=False)) as client:
            body = client.get("/healthz").json()
    finally:
        DatabaseManager.reset()
    assert body["status"] == "degraded"
    assert body["documents"]["status"] == "unavailable"
    assert "WELLNESS_DATA_DIR" in body["documents"]["error"]
