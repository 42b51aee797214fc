"""The README's first run, for real: create the first admin, serve, sign in, use the API and the docs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

PASSWORD = "first admin passphrase"


def test_first_admin_signs_in_and_uses_the_api(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    wellness = [sys.executable, "-m", "backend.cli"]
    created = subprocess.run(
        [*wellness, "users", "create", "--email", "admin@example.jp", "--role", "admin", "--password-stdin"],
        cwd=tmp_path, env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    port = free_port()
    server = subprocess.Popen(
        [*wellness, "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"email": "admin@example.jp", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}", "X-Request-ID": "first-run-1"}
        assert httpx.get(f"{base}/api/v1/auth/me", headers=headers).json()["role"] == "admin"
        created_company = httpx.post(
            f"{base}/api/v1/companies", json={"name": "株式会社はじめ"}, headers=headers
        )
        assert created_company.status_code == 201
        assert httpx.get(f"{base}/api/v1/companies").status_code == 401
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "[first-run-1] GET /api/v1/auth/me 200" in output  # the access line carries the request id
    assert PASSWORD not in output
    assert "Traceback" not in output
