"""`make run` (`wellness serve --demo`) on a fresh machine: the demo data and two demo accounts on the
first start, signed in and used through the API; a second start loads nothing again."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from backend.config import Settings
from backend.service.demo import accounts
from tests.support import free_port


def serve_once(cwd: Path, env: dict[str, str], use: object) -> str:
    """Start ``wellness serve --demo``, call ``use(base_url, output_so_far)`` once it answers, stop it;
    answers everything it printed."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--demo", "--port", str(port)],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # the first start loads the full demo (about 15 s here)
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        assert server.poll() is None, log.read_text()
        use(base, log.read_text())  # type: ignore[operator]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    output = log.read_text()
    assert server.returncode == 0, output
    assert "Traceback" not in output
    return output


def test_the_first_start_loads_the_demo_and_its_accounts_sign_in(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    seen: dict[str, object] = {}

    def first(base: str, output: str) -> None:
        kept = (tmp_path / ".wellness" / "demo-accounts.txt").read_text().splitlines()[1:]
        logins = {role: (email, password) for role, email, password in (line.split("\t") for line in kept)}
        assert set(logins) == {"analyst", "vc"}
        for role, (email, password) in logins.items():
            assert f"{email}  password: {password}" in output  # shown once, on the console
            token = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password})
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            companies = httpx.get(f"{base}/api/v1/companies?limit=100", headers=headers).json()["items"]
            seen[role] = {c["vc_firm"] for c in companies}, len(companies)
            if role == "analyst":
                change = httpx.post(f"{base}/api/v1/analyses/vas_change", headers=headers, timeout=60)
                assert change.status_code == 200, change.text
                assert change.json()["result"]["overall"]["employees"] > 1000
        assert "/docs" in output

    output = serve_once(tmp_path, env, first)
    assert "First start: loading the demo data" in output
    analyst_firms, analyst_count = seen["analyst"]  # type: ignore[misc]
    vc_firms, vc_count = seen["vc"]  # type: ignore[misc]
    assert (len(analyst_firms), analyst_count) == (3, 20)  # the full demo: 3 VC firms, 20 companies
    assert len(vc_firms) == 1  # one VC firm's portfolio only
    assert 0 < vc_count < analyst_count
    kept = tmp_path / ".wellness" / "demo-accounts.txt"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = serve_once(tmp_path, env, lambda base, output: None)
    assert "First start" not in again  # the data dir exists: nothing is loaded again
    assert "password:" not in again


def test_only_a_fresh_embedded_system_gets_the_demo(tmp_path: Path) -> None:
    fresh = Settings(_env_file=None, data_dir=tmp_path / "new")  # type: ignore[call-arg]
    assert accounts.is_fresh(fresh)
    server = fresh.model_copy(update={"database_url": "postgresql+psycopg://u@db.example/prod"})
    assert not accounts.is_fresh(server)  # never against a configured production database
    fresh.embedded_pgdata.mkdir(parents=True)
    assert not accounts.is_fresh(fresh)
