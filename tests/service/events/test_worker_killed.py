"""A worker killed with SIGKILL in the middle of a handler: its effect never commits, its lease runs
out, and another worker handles the event exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from backend.database import DatabaseManager, crud_sql, queue_sql
from backend.service.events.worker import Worker
from tests.database.factories import company_data

SCRIPT = Path(__file__).with_name("slow_worker.py")


def test_an_event_whose_worker_was_killed_is_handled_once_by_another(live_local: DatabaseManager) -> None:
    settings = live_local.settings
    with live_local.session() as session:
        company = crud_sql.companies.create(session, data=company_data()).id
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    env |= {
        "WELLNESS_DATABASE_URL": str(settings.database_url),
        "WELLNESS_DATABASE_SCHEMA": str(settings.database_schema),
        "WELLNESS_DATA_DIR": str(settings.data_dir),
        "WELLNESS_EVENT_VISIBILITY_S": str(settings.event_visibility_s),
        "WELLNESS_EVENT_DOCUMENT_POLL_S": "0.1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the handler has written (not committed) its effect
        assert line.strip() == "in-handler", proc.stderr.read() if proc.stderr else ""
        with live_local.session() as session:
            assert queue_sql.data_versions(session, [company]) == {company: 0}  # not committed
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    Worker(live_local).run_until_idle(timeout_s=60)  # waits out the dead worker's lease
    with live_local.session() as session:
        assert queue_sql.data_versions(session, [company]) == {company: 1}
        assert queue_sql.queue_sizes(session) == {"pending": 0, "dead": 0}
        [counter] = queue_sql.counters(session)
    assert (counter.type, counter.handled, counter.retried) == ("company.created", 1, 0)
