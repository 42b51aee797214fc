"""A relay killed with SIGKILL after the bus took the document outbox's events but before it removed
them: the next relay publishes them again, and the handlers' ledger keeps the effect to one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from backend.database import DatabaseManager, crud, queue_sql
from backend.database.routing import DOCUMENT_OUTBOX
from backend.service.events.worker import Worker
from tests.database.document_factories import consultation_data
from tests.service.events.conftest import worker_env

SCRIPT = Path(__file__).with_name("stuck_relay.py")


def test_a_relay_killed_between_publish_and_removal_gives_one_effect(live_local: DatabaseManager) -> None:
    crud.consultations.create(live_local.documents, data=consultation_data(company_id=7), actor="user:1")
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT)], env=worker_env(live_local.settings), stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "published"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with live_local.session() as session:
        assert queue_sql.queue_sizes(session)["pending"] == 1  # the bus has it
    assert live_local.documents.count(DOCUMENT_OUTBOX) == 1  # and so does the outbox, still
    worker = Worker(live_local)
    [delivery] = worker.bus.receive(max_events=10)
    assert worker.process(delivery) == "handled"  # handled before the next relay pass publishes it again
    worker.run_until_idle(timeout_s=60)
    with live_local.session() as session:
        assert queue_sql.data_versions(session, [7]) == {7: 1}
        assert queue_sql.queue_sizes(session) == {"pending": 0, "dead": 0}
        [counter] = queue_sql.counters(session)
    assert live_local.documents.count(DOCUMENT_OUTBOX) == 0
    assert (counter.type, counter.handled) == ("survey.created", 2)  # delivered twice, effect once
