"""The API killed with SIGKILL in the middle of a relational upload (while its COPY runs): afterwards
the database holds either the rows and their one event, or neither."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from tests.cli.test_ingest_resume import server

PASSWORD = "upload kill passphrase"
ROWS = 30_000


def _pnl(companies: list[int]) -> bytes:
    """ROWS monthly statements, 3,000 months (from 1950) of each company."""
    header = "company_id,period,revenue_yen,cost_of_sales_yen,sga_yen,operating_profit_yen,net_income_yen"
    lines = [header + ",headcount,leavers\n"]
    for n in range(ROWS):
        company, month = companies[n // 3000], n % 3000
        lines.append(
            f"{company},{1950 + month // 12}-{month % 12 + 1:02d},{10_000 + n},100,100,9800,9000,10,0\n"
        )
    return "".join(lines).encode()


def _counts(pgdata: Path) -> tuple[int, int]:
    """(P&L rows, their import events in the outbox or the queue) straight from the database."""
    with psycopg.connect(host=str(pgdata), dbname="wellness", user="postgres") as conn:
        rows = conn.execute("SELECT count(*) FROM financial_statements").fetchone()
        events = conn.execute(
            "SELECT (SELECT count(*) FROM event_outbox WHERE type = 'financial_statements.imported')"
            " + (SELECT count(*) FROM event_queue WHERE type = 'financial_statements.imported')"
        ).fetchone()
    assert rows is not None
    assert events is not None
    return int(rows[0]), int(events[0])


def _copy_running(pgdata: Path) -> bool:
    with psycopg.connect(host=str(pgdata), dbname="wellness", user="postgres") as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY financial_statements%%'"
            " AND state = 'active'"
        ).fetchone()
    return bool(found and found[0])


def test_a_killed_upload_leaves_its_rows_and_event_or_neither(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    env["WELLNESS_EMBEDDED_WORKER"] = "false"  # the events stay where the upload left them
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "users", "create", "--email", "a@example.jp",
         "--role", "analyst", "--password-stdin"],
        cwd=tmp_path, env=env, input=PASSWORD + "\n", check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    pgdata = tmp_path / ".wellness" / "pg"
    with server(tmp_path, env) as (proc, base):
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": "a@example.jp", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        companies = [
            httpx.post(f"{base}/api/v1/companies", json={"name": f"中断{n}株式会社"}, headers=headers).json()[
                "id"
            ]
            for n in range(ROWS // 3000)
        ]
        body = _pnl(companies)
        upload = subprocess.Popen(  # the upload that will be cut off, from another process
            [sys.executable, "-c", _UPLOAD, base, headers["Authorization"]],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert upload.stdin is not None
        upload.stdin.write(body)
        upload.stdin.close()
        deadline = time.monotonic() + 120
        while not _copy_running(pgdata):
            assert time.monotonic() < deadline, "the upload never reached its COPY"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)  # mid-COPY: the transaction is open
        proc.wait(timeout=30)
        upload.wait(timeout=60)
    with server(tmp_path, env) as (_, base):  # the next start adopts the orphaned database server
        rows, events = _counts(pgdata)
        assert (rows, events) == (0, 0), "a killed upload left part of itself behind"
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": "a@example.jp", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        done = httpx.post(f"{base}/api/v1/ingest/files", files={"file": ("pnl.csv", body)},
                          data={"dataset": "financial_statements"}, headers=headers, timeout=300)  # fmt: skip
        assert done.status_code == 200, done.text
        assert _counts(pgdata) == (ROWS, 1)


_UPLOAD = """
import sys, httpx
base, auth = sys.argv[1:]
httpx.post(base + "/api/v1/ingest/files", files={"file": ("pnl.csv", sys.stdin.buffer.read())},
           data={"dataset": "financial_statements"}, headers={"Authorization": auth}, timeout=300)
"""
