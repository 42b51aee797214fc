"""Two `wellness worker` processes draining 1,000 events at once: every effect happens exactly once."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from backend.database import DatabaseManager, crud_sql, queue_sql
from backend.database.models_sql import ProcessedEvent
from tests.database.factories import company_data, employee_data
from tests.service.events.conftest import worker_env

EVENTS = 1_000


def test_two_worker_processes_take_every_effect_exactly_once(live_local: DatabaseManager) -> None:
    with live_local.session(actor="user:1") as session:
        company = crud_sql.companies.create(session, data=company_data()).id
    for start in range(0, EVENTS - 1, 100):  # 999 employees in ten transactions: 1,000 events in all
        with live_local.session(actor="user:1") as session:
            for _ in range(min(100, EVENTS - 1 - start)):
                crud_sql.employees.create(session, data=employee_data(company))
    command = [sys.executable, "-m", "backend.cli", "worker", "--until-idle", "--timeout", "240"]
    env = worker_env(live_local.settings)
    logs = [live_local.settings.data_dir / f"worker-{n}.log" for n in (1, 2)]
    workers = []
    for log in logs:
        with log.open("w") as out:
            workers.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=out))
    for w in workers:
        w.wait(timeout=300)
    outputs = [log.read_text() for log in logs]
    assert [w.returncode for w in workers] == [0, 0], outputs
    handled = [sum(line.startswith("handled") for line in out.splitlines()) for out in outputs]
    assert sum(handled) == EVENTS
    assert min(handled) > 0, f"one worker handled everything: {handled}"  # they really shared the work
    with live_local.session() as session:
        assert queue_sql.data_versions(session, [company]) == {company: EVENTS}
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == EVENTS
        assert queue_sql.queue_sizes(session) == {"pending": 0, "dead": 0}
        assert {c.type: c.handled for c in queue_sql.counters(session)} == {
            "company.created": 1,
            "employee.created": EVENTS - 1,
        }
