"""Uploads through the real server vs the raw write of the same rows on the same engines.

    .venv/bin/python bench/ingest.py [--rows 100000]

Seeds an embedded PostgreSQL and document store in a temporary directory (the companies, 5,000
employees of one company, an analyst), serves the app with `wellness serve` in its own process, and
uploads two files through `POST /api/v1/ingest/files`:

- a CP932 CSV of monthly P&L rows with Japanese headers (financial statements, PostgreSQL), against
  a raw psycopg ``COPY`` of the same rows into the same table (target ratio >= 0.25);
- a UTF-8 CSV of VAS surveys (documents), against the store's own batched writes (500 per batch) of
  the same documents (target ratio >= 0.5).

Each upload starts once the server's event worker has handled every event before it (the seeding's,
the previous upload's), so it is not timed alongside that backlog.

Ratio = raw time / upload time (1.0 = the upload costs nothing beyond the write). The server's peak
memory during each upload is given above its memory before it (target: under 10x the file size).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_read import make_financial_csv, make_surveys_csv

from backend.config import Settings
from backend.database import DatabaseManager, crud_sql, init_db, queue_sql
from backend.database.bulk_sql import copy_validated
from backend.database.models_sql import Employee
from backend.database.routing import DOCUMENT_OUTBOX
from backend.service.auth import service as auth
from backend.service.ingest import read_table
from backend.service.ingest.parsing import RowStream
from backend.service.ingest.schemas import ImportReport
from backend.service.ingest.targets import TARGETS, DocumentTarget

EMPLOYEES = 5_000


def seed(settings: Settings, companies: int) -> str:
    """Companies, one company's employees and an analyst; answers the analyst's bearer token."""
    manager = DatabaseManager()
    manager.configure(settings)
    init_db()
    with manager.session(actor="bench") as session:
        for n in range(companies):
            crud_sql.companies.create(session, data={"name": f"ベンチ {n + 1} 株式会社"})
        rows = [{"company_id": 1, "employee_code": f"E{i:05d}", "is_active": True} for i in range(EMPLOYEES)]
        copy_validated(
            session, model=Employee, columns=list(rows[0]), rows=rows, row_numbers=range(EMPLOYEES)
        )
        user = crud_sql.users.create(
            session, data={"email": "a@bench.jp", "display_name": "A", "role": "analyst"}
        )
        token = auth.open_session(
            session, manager.documents, settings, user=user, client=auth.Client("::1")
        ).token
    DatabaseManager.reset()
    return token


class PeakRss:
    """The highest resident memory of a process while the block runs, polled every 5 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.base = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def upload(base: str, token: str, path: Path, server: int, **form: str) -> tuple[float, int, ImportReport]:
    with PeakRss(server) as memory:
        started = time.perf_counter()
        response = httpx.post(
            f"{base}/api/v1/ingest/files",
            files={"file": (path.name, path.read_bytes())},
            data=form,
            headers={"Authorization": f"Bearer {token}"},
            timeout=1800,
        )
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"upload of {path.name} failed: {response.status_code} {response.text[:500]}")
    return seconds, memory.peak - memory.base, ImportReport.model_validate(response.json())


def raw_copy(settings: Settings, path: Path) -> float:
    """The same statements, built straight from the file's values, COPYed by psycopg."""
    manager = DatabaseManager()
    manager.configure(settings)
    with manager.session() as session:
        stream = RowStream(
            "financial_statements", read_table(path.read_bytes(), filename=path.name), company_id=None
        )
        columns = ["company_id", "period", "revenue_yen", "cost_of_sales_yen", "sga_yen",
                   "operating_profit_yen", "net_income_yen", "headcount", "leavers"]  # fmt: skip
        tuples = [tuple(row.values[c] for c in columns) for row in stream]
        session.execute(text("TRUNCATE financial_statements"))
    raw = manager.engine.raw_connection()
    try:
        started = time.perf_counter()
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[attr-defined]
                f"COPY financial_statements ({', '.join(columns)}) FROM STDIN"
            ) as copy,
        ):
            for row in tuples:
                copy.write_row(row)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()
        DatabaseManager.reset()


def raw_documents(settings: Settings, path: Path) -> float:
    """The same survey documents (same ids, same data), written in batches of 500 by the store."""
    manager = DatabaseManager()
    manager.configure(settings)
    store = manager.documents
    target = TARGETS["surveys"]
    assert isinstance(target, DocumentTarget)
    with manager.session() as session:
        ids = {r.employee_code: r.id for r in crud_sql.employees.list(session, company_id=1, limit=500).items}
        after = None
        while len(ids) < EMPLOYEES:
            page = crud_sql.employees.list(session, company_id=1, limit=500, after=after)
            ids |= {r.employee_code: r.id for r in page.items}
            after = page.next_after
    documents = []
    for row in RowStream("surveys", read_table(path.read_bytes(), filename=path.name), company_id=1):
        values = dict(row.values)
        values["employee_id"] = ids[values.pop("employee_code")]
        data = {
            **values,
            "answered_at": values["answered_at"].astimezone(UTC),
            "source": "upload",
            "user_id": 1,
        }
        documents.append((target.document_id("surveys", data), data))
    for start in range(0, len(documents), 500):  # clear what the upload wrote
        batch = store.batch()
        for doc_id, _ in documents[start : start + 500]:
            batch.delete(f"consultations/{doc_id}")
        batch.commit()
    started = time.perf_counter()
    for start in range(0, len(documents), 500):
        batch = store.batch()
        for doc_id, data in documents[start : start + 500]:
            batch.set(f"consultations/{doc_id}", data)
        batch.commit()
    seconds = time.perf_counter() - started
    DatabaseManager.reset()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), args.rows)


def run(tmp: Path, rows: int) -> None:
    settings = Settings(_env_file=None, data_dir=tmp / "data")  # type: ignore[call-arg]
    statements, surveys = tmp / "statements_cp932.csv", tmp / "surveys.csv"
    make_financial_csv(statements, rows)
    make_surveys_csv(surveys, rows)
    print("seeding ...")
    token = seed(settings, companies=-(-rows // 600))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    env |= {"WELLNESS_DATA_DIR": str(tmp / "data"), "WELLNESS_LOG_LEVEL": "warning"}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    manager = DatabaseManager()
    try:
        _wait(base)
        manager.configure(settings)  # to see the server's queue
        _settle(manager)
        print("uploading the P&L ...")
        fs_up, fs_mem, fs_report = upload(base, token, statements, server.pid)
        _settle(manager)
        print("uploading the surveys ...")
        sv_up, sv_mem, sv_report = upload(base, token, surveys, server.pid, company_id="1")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
        DatabaseManager.reset()
    print("raw writes ...")
    fs_raw = raw_copy(settings, statements)
    sv_raw = raw_documents(settings, surveys)
    print(f"\n{'file':<38} {'rows':>8} {'MB':>6} {'upload s':>9} {'raw s':>7} {'ratio':>6} {'peak mem':>9}")
    for label, path, report, up, raw, mem, target in (
        ("P&L, CP932 CSV → PostgreSQL (COPY)", statements, fs_report, fs_up, fs_raw, fs_mem, 0.25),
        ("surveys, UTF-8 CSV → documents", surveys, sv_report, sv_up, sv_raw, sv_mem, 0.5),
    ):
        size = path.stat().st_size
        print(
            f"{label:<38} {report.rows:>8,} {size / 1e6:>6.1f} {up:>9.2f} {raw:>7.2f} {raw / up:>6.2f} "
            f"{mem / size:>8.1f}x   (target ratio >= {target}, memory < 10x)"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settle(manager: DatabaseManager) -> None:
    """Wait until the server's event worker has handled every event so far (the seeding's, the
    previous upload's): an upload is timed alone, not alongside that backlog."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with manager.session() as session:
            waiting = queue_sql.outbox_size(session) + queue_sql.queue_sizes(session)["pending"]
        if not waiting and not manager.documents.query(DOCUMENT_OUTBOX, limit=1):
            return
        time.sleep(0.2)
    raise SystemExit("the server's event worker did not empty the queue within 300 s")


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


if __name__ == "__main__":
    main()
