"""An import of documents killed mid-way (SIGKILL of the real server), then resumed by uploading the
same file again: every row ends up written exactly once, and the job accounts for all of them."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from backend.service.ingest.jobs import job_id_for
from tests.support import free_port

PASSWORD = "resume test passphrase"
ROWS = 12_000


@contextmanager
def server(cwd: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    try:
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)


def test_a_killed_import_resumes_and_writes_every_row_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    wellness = [sys.executable, "-m", "backend.cli"]
    subprocess.run(
        [*wellness, "users", "create", "--email", "a@example.jp", "--role", "analyst", "--password-stdin"],
        cwd=tmp_path, env=env, input=PASSWORD + "\n", check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    codes = [f"E{n:05d}" for n in range(ROWS // 4)]
    employees = ("社員番号,部署\n" + "".join(f"{code},開発\n" for code in codes)).encode()
    lines = [
        f"{codes[n % len(codes)]},佐藤,マッサージ,2024-04-{n // len(codes) + 1:02d} {n % 24:02d}:00,30,1\n"
        for n in range(ROWS)
    ]
    treatments = ("社員番号,施術者,施術内容,施術日時,施術時間,使用クレジット\n" + "".join(lines)).encode()
    with server(tmp_path, env) as (proc, base):
        token = httpx.post(f"{base}/api/v1/auth/login", json={"email": "a@example.jp", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        company = httpx.post(
            f"{base}/api/v1/companies", json={"name": "再開株式会社"}, headers=headers
        ).json()["id"]
        loaded = httpx.post(
            f"{base}/api/v1/ingest/files", files={"file": ("e.csv", employees)},
            data={"company_id": str(company), "dataset": "employees"}, headers=headers, timeout=120,
        )  # fmt: skip
        assert loaded.status_code == 200, loaded.text
        job = job_id_for(hashlib.sha256(treatments).hexdigest(), "treatments", company)
        upload = subprocess.Popen(  # the upload that will be cut off, from another process
            [sys.executable, "-c", _UPLOAD, base, headers["Authorization"], str(company)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert upload.stdin is not None
        upload.stdin.write(treatments)
        upload.stdin.close()
        written = _wait_for_progress(base, headers, job)
        proc.send_signal(signal.SIGKILL)  # mid-job: some batches written, others not
        proc.wait(timeout=30)
        upload.wait(timeout=30)
    assert 0 < written < ROWS
    with server(tmp_path, env) as (_, base):
        token = httpx.post(f"{base}/api/v1/auth/login", json={"email": "a@example.jp", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        stopped = httpx.get(f"{base}/api/v1/ingest/jobs/{job}", headers=headers).json()
        assert stopped["status"] == "running"
        assert stopped["written"] >= written
        resumed = httpx.post(
            f"{base}/api/v1/ingest/files", files={"file": ("t.csv", treatments)},
            data={"company_id": str(company), "dataset": "treatments"}, headers=headers, timeout=300,
        )  # fmt: skip
        assert resumed.status_code == 200, resumed.text
        finished = httpx.get(f"{base}/api/v1/ingest/jobs/{job}", headers=headers).json()
        assert (finished["status"], finished["written"], finished["inserted"]) == ("done", ROWS, ROWS)
        stored = _count_treatments(base, headers, company)
    assert stored == ROWS


_UPLOAD = """
import sys, httpx
base, auth, company = sys.argv[1:]
form = {"company_id": company, "dataset": "treatments"}
httpx.post(base + "/api/v1/ingest/files", files={"file": ("t.csv", sys.stdin.buffer.read())},
           data=form, headers={"Authorization": auth}, timeout=300)
"""


def _wait_for_progress(base: str, headers: dict[str, str], job: str) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = httpx.get(f"{base}/api/v1/ingest/jobs/{job}", headers=headers)
        if response.status_code == 200 and response.json()["written"] > 0:
            return int(response.json()["written"])
        time.sleep(0.01)
    raise AssertionError("the import never started writing")


def _count_treatments(base: str, headers: dict[str, str], company: int) -> int:
    seen, cursor = 0, None
    while True:
        params = {"company_id": company, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{base}/api/v1/treatments", params=params, headers=headers, timeout=60).json()
        seen += len(page["items"])
        if (cursor := page["next_cursor"]) is None:
            return seen
