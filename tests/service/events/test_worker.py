"""Workers on the PostgreSQL bus over both document backends: every committed write's event is
handled once, failures are retried with backoff and end as dead letters, duplicates take effect once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from backend.database import DatabaseManager, crud, crud_sql, events, queue_sql
from backend.database.routing import DOCUMENT_OUTBOX
from backend.service.events import stats
from backend.service.events.bus import Delivery, PostgresBus
from backend.service.events.handlers import HANDLERS, Handler, HandlerContext
from backend.service.events.worker import Worker, backoff_s
from tests.database.document_factories import T0, analytics_data, consultation_data, report_data
from tests.database.factories import company_data, employee_data, statement_data


def versions(manager: DatabaseManager, *companies: int) -> dict[int, int]:
    with manager.session() as session:
        return queue_sql.data_versions(session, companies)


def queue(manager: DatabaseManager) -> dict[str, int]:
    with manager.session() as session:
        return {**queue_sql.queue_sizes(session), "outbox": queue_sql.outbox_size(session)}


def counters(manager: DatabaseManager) -> dict[str, tuple[int, int, int]]:
    with manager.session() as session:
        return {c.type: (c.handled, c.retried, c.dead) for c in queue_sql.counters(session)}


def make_company(manager: DatabaseManager) -> int:
    with manager.session(actor="user:1") as session:
        return crud_sql.companies.create(session, data=company_data()).id


def test_every_committed_write_is_handled_once_and_bumps_its_company(live: DatabaseManager) -> None:
    company = make_company(live)
    with live.session(actor="user:1") as session:
        crud_sql.employees.create(session, data=employee_data(company))
        crud_sql.bulk_create_financial_statements(
            session, rows=[statement_data(company, period=f"2024-{m:02d}") for m in (1, 2, 3)]
        )
    crud.consultations.create(live.documents, data=consultation_data(company_id=company), actor="user:1")
    Worker(live).run_until_idle(timeout_s=60)
    # company.created, employee.created, financial_statements.imported, survey.created
    assert versions(live, company) == {company: 4}
    assert queue(live) == {"pending": 0, "dead": 0, "outbox": 0}
    assert live.documents.count(DOCUMENT_OUTBOX) == 0
    assert counters(live) == {
        "company.created": (1, 0, 0),
        "employee.created": (1, 0, 0),
        "financial_statements.imported": (1, 0, 0),
        "survey.created": (1, 0, 0),
    }


def test_a_rolled_back_write_leaves_nothing_to_handle(live: DatabaseManager) -> None:
    company = make_company(live)
    Worker(live).run_until_idle(timeout_s=60)
    with pytest.raises(RuntimeError), live.session() as session:
        crud_sql.employees.create(session, data=employee_data(company))
        raise RuntimeError("the request failed after the write")
    assert queue(live)["outbox"] == 0
    Worker(live).run_until_idle(timeout_s=60)
    assert versions(live, company) == {company: 1}


def test_stale_analytics_are_marked_when_the_company_changes(live: DatabaseManager) -> None:
    company = make_company(live)
    crud.analytics.create(live.documents, data=analytics_data(company_id=company), doc_id="mine")
    crud.analytics.create(live.documents, data=analytics_data(company_id=company + 1), doc_id="other")
    crud.analytics.create(live.documents, data=analytics_data(company_id=None), doc_id="portfolio")
    Worker(live).run_until_idle(timeout_s=60)
    stale = {
        doc_id: crud.analytics.get(live.documents, doc_id).stale for doc_id in ("mine", "other", "portfolio")
    }
    assert stale == {"mine": True, "other": False, "portfolio": True}


def test_the_same_event_delivered_twice_takes_effect_once(live: DatabaseManager) -> None:
    company = make_company(live)
    worker = Worker(live)
    worker.relay.drain()
    [delivery] = worker.bus.receive(max_events=10)
    # the relay crashed after publishing, before removing: the event is published again
    with live.session() as session:
        events.emit(session, delivery.event)
    assert worker.process(delivery) == "handled"
    worker.run_until_idle(timeout_s=60)
    assert versions(live, company) == {company: 1}


def test_a_redelivery_after_the_effect_committed_is_a_no_op(live: DatabaseManager) -> None:
    company = make_company(live)
    worker = Worker(live)
    worker.relay.drain()
    [delivery] = worker.bus.receive(max_events=10)
    assert worker.process(delivery) == "handled"
    # as Pub/Sub may: the same event arrives again after it was acknowledged
    with live.session() as session:
        worker.bus.publish([delivery.event], session=session)
    worker.run_until_idle(timeout_s=60)
    assert versions(live, company) == {company: 1}
    assert counters(live)["company.created"] == (2, 0, 0)  # delivered twice, effect once


def failing(times: int) -> tuple[Handler, list[int]]:
    calls: list[int] = []

    def run(ctx: HandlerContext) -> None:
        calls.append(1)
        queue_sql.bump_versions(ctx.session, ctx.event.companies)  # an effect that must roll back
        if len(calls) <= times:
            raise RuntimeError(f"failure {len(calls)}")

    return Handler("flaky", lambda e: e.type == "company.created", run), calls


def test_a_failing_handler_is_retried_and_its_failed_effects_roll_back(live: DatabaseManager) -> None:
    handler, calls = failing(times=2)
    company = make_company(live)
    Worker(live, handlers=(handler,)).run_until_idle(timeout_s=60)
    assert len(calls) == 3
    assert versions(live, company) == {company: 1}
    assert counters(live)["company.created"] == (1, 2, 0)
    assert queue(live)["pending"] == 0


def test_after_the_last_attempt_an_event_is_a_dead_letter_with_its_error(live: DatabaseManager) -> None:
    handler, calls = failing(times=99)
    make_company(live)
    Worker(live, handlers=(handler,)).run_until_idle(timeout_s=60)
    assert len(calls) == live.settings.event_max_attempts == 3
    with live.session() as session:
        [(event, attempts, error)] = queue_sql.dead_letters(session)
    assert (event.type, attempts, error) == ("company.created", 3, "RuntimeError: failure 3")
    assert counters(live)["company.created"] == (0, 2, 1)
    Worker(live, handlers=HANDLERS).run_until_idle(timeout_s=60)  # dead letters stay dead
    assert queue(live) == {"pending": 0, "dead": 1, "outbox": 0}


def test_backoff_doubles_with_jitter_up_to_the_ceiling(live: DatabaseManager) -> None:
    settings = live.settings.model_copy(update={"event_backoff_base_s": 1.0, "event_backoff_max_s": 10.0})
    assert [backoff_s(n, settings, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert [backoff_s(n, settings, rand=lambda: 0.0) for n in (1, 2, 3)] == [0.5, 1, 2]


def test_a_worker_that_lost_its_lease_changes_nothing(live: DatabaseManager) -> None:
    company = make_company(live)
    worker = Worker(live)
    worker.relay.drain()
    [delivery] = worker.bus.receive(max_events=10)
    stale = Delivery(delivery.event, delivery.attempt + 1)  # its lease is not the current one
    assert worker.process(stale) == "lost"
    assert versions(live, company) == {company: 0}
    assert worker.process(delivery) == "handled"
    assert versions(live, company) == {company: 1}


def test_a_report_request_is_picked_up(live: DatabaseManager) -> None:
    report_id, _ = crud.reports.create(live.documents, data=report_data())  # by a user that is not there
    Worker(live).run_until_idle(timeout_s=60)
    report = crud.reports.get(live.documents, report_id)
    assert (report.status, report.storage_paths) == ("failed", {})
    assert "disabled or gone" in (report.error or "")
    # its change to failed is an event too, which no handler wants
    assert counters(live) == {"report.requested": (1, 0, 0), "report.updated": (1, 0, 0)}


def test_the_heartbeat_keeps_a_slow_handler_from_being_delivered_twice(live: DatabaseManager) -> None:
    seen: list[Any] = []

    def slow(ctx: HandlerContext) -> None:
        seen.append(ctx.event.id)
        time.sleep(live.settings.event_visibility_s * 2)  # twice the lease: only the heartbeat holds it

    make_company(live)
    worker = Worker(live, handlers=(Handler("slow", lambda e: True, slow),))
    other = PostgresBus(live, live.settings)
    worker.relay.drain()
    [delivery] = worker.bus.receive(max_events=1)
    thread = threading.Thread(target=worker.process, args=(delivery,))
    thread.start()
    stolen = []
    while thread.is_alive():
        stolen += other.receive(max_events=1)
        time.sleep(0.2)
    thread.join()
    assert stolen == []
    assert len(seen) == 1


def test_a_dead_letter_replayed_after_the_fix_is_processed_once(live: DatabaseManager) -> None:
    broken, _ = failing(times=99)
    company = make_company(live)
    Worker(live, handlers=(broken,)).run_until_idle(timeout_s=60)
    with live.session() as session:
        [(event, _, _)] = queue_sql.dead_letters(session)
        stats.replay(session, event.id)  # what POST /api/v1/admin/events/dead-letters/{id}/replay does
    Worker(live).run_until_idle(timeout_s=60)  # the fixed handlers
    Worker(live).run_until_idle(timeout_s=60)
    assert versions(live, company) == {company: 1}
    assert queue(live) == {"pending": 0, "dead": 0, "outbox": 0}
    assert counters(live)["company.created"] == (1, 2, 1)


def test_a_handler_that_needs_order_gets_its_companys_events_in_order(live: DatabaseManager) -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def record(ctx: HandlerContext) -> None:
        time.sleep(
            0.01 * (hash(ctx.event.entity_id) % 5)
        )  # uneven handlers: an unordered bus would interleave
        with lock:
            seen.append(str(ctx.event.entity_id))

    handler = Handler("ordered", lambda e: e.type == "employee.created", record, ordered=True)
    company = make_company(live)
    ids = []
    for _ in range(12):
        with live.session(actor="user:1") as session:  # twelve commits, in this order
            ids.append(str(crud_sql.employees.create(session, data=employee_data(company)).id))
    workers = [Worker(live, handlers=(handler,)) for _ in range(3)]
    threads = [threading.Thread(target=w.run_until_idle, kwargs={"timeout_s": 60}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ids


def test_a_firestore_outbox_wakes_the_worker_through_its_snapshot_listener(
    live: DatabaseManager, document_backend: str
) -> None:
    if document_backend == "local":
        pytest.skip("the embedded document store has no snapshot listeners: its outbox is polled")
    worker = Worker(live)
    worker.settings = worker.settings.model_copy(update={"event_document_poll_s": 600.0})  # no polling
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        time.sleep(1.0)  # the worker is waiting now, its listener attached
        crud.consultations.create(live.documents, data=consultation_data(company_id=5), actor="user:1")
        deadline = time.monotonic() + 30
        while counters(live).get("survey.created") != (1, 0, 0):
            assert time.monotonic() < deadline, "the worker never woke for the document outbox"
            time.sleep(0.1)
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert versions(live, 5) == {5: 1}
    assert not thread.is_alive()


def test_stop_wakes_a_worker_asleep_on_the_bus(live: DatabaseManager) -> None:
    worker = Worker(live)
    worker.settings = worker.settings.model_copy(update={"event_document_poll_s": 600.0})  # no polling
    thread = threading.Thread(target=worker.run, daemon=True)  # a failure must not hold up the run
    thread.start()
    time.sleep(1.0)  # asleep now: nothing is pending
    stopped_at = time.monotonic()
    worker.stop()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert time.monotonic() - stopped_at < 30, "it slept on until a poll instead of stopping"


def _emit(manager: DatabaseManager, n: int) -> None:
    with manager.session(actor="user:1") as session:
        made = [
            events.new_event("companies", "updated", entity_id=None, company_id=7, actor="t")
            for _ in range(n)
        ]
        events.emit(session, *made)


def test_a_busy_worker_claims_its_next_events_with_the_last_ones_settlement(live: DatabaseManager) -> None:
    _emit(live, 25)
    worker = Worker(live, handlers=(Handler("noop", lambda e: True, lambda ctx: None),))
    worker.relay.drain()
    assert worker.step() == 10  # handled 10 and, in the same transaction, leased the next 10
    with live.session() as session:
        assert queue_sql.in_flight(session)[0] == 10
        assert queue_sql.queue_sizes(session)["pending"] == 15
    assert worker.step() == 10  # the 10 claimed ahead
    worker.run_until_idle(timeout_s=60)
    assert queue(live) == {"pending": 0, "dead": 0, "outbox": 0}
    assert counters(live)["company.updated"] == (25, 0, 0)


def test_a_stopping_worker_gives_back_what_it_claimed_ahead(live: DatabaseManager) -> None:
    _emit(live, 25)
    worker = Worker(live, handlers=(Handler("noop", lambda e: True, lambda ctx: None),))
    worker.on_outcome = lambda delivery, outcome: worker.stop()  # stop after the first claim
    worker.run()
    with live.session() as session:
        assert queue_sql.in_flight(session)[0] == 0  # not held until a lease runs out
        assert queue_sql.queue_sizes(session)["pending"] == 15
        claimed = queue_sql.claim(session, limit=20, visibility_s=30)
    assert len(claimed) == 15
    assert {c.attempt for c in claimed} == {1}  # the give-back counted no attempt


def test_the_worker_transaction_does_not_wait_for_its_wal_flush(live: DatabaseManager) -> None:
    """Its effects, ledger rows and acknowledgement are lost together in a crash, and redone."""
    _emit(live, 2)
    worker = Worker(live, handlers=(Handler("noop", lambda e: True, lambda ctx: None),))
    worker.relay.drain()
    deliveries = worker.bus.receive(max_events=2)
    with live.session() as session:
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
        worker.bus.settle_all(deliveries, session=session)
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    with live.session() as session:
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"  # that transaction only


def test_cached_analyses_in_use_are_computed_again_after_a_change(live: DatabaseManager) -> None:
    from backend.service.analysis import service as analyses

    company = make_company(live)
    before = consultation_data(company_id=company, employee_id=1, phase="before", answered_at=T0)
    crud.consultations.create(live.documents, data=before)
    crud.consultations.create(
        live.documents, data={**before, "phase": "after", "answered_at": T0 + timedelta(days=7)}
    )
    Worker(live).run_until_idle(timeout_s=60)
    params = analyses.NoParameters()
    with live.session() as session:
        used = analyses.computed(session, live.documents, "vas_change", params, frozenset({company}), 1)
        idle = analyses.computed(session, live.documents, "vas_change", params, None, 1)
    crud.analytics.update(live.documents, idle.key, data={"last_used_at": T0})  # not used for long
    second = {**before, "employee_id": 2}
    crud.consultations.create(live.documents, data=second)
    crud.consultations.create(
        live.documents, data={**second, "phase": "after", "answered_at": T0 + timedelta(days=7)}
    )
    Worker(live).run_until_idle(timeout_s=60)
    assert crud.analytics.find(live.documents, used.key) is None  # replaced by the fresh one
    assert crud.analytics.get(live.documents, idle.key).stale  # left for its next request
    with live.session() as session:
        again = analyses.computed(session, live.documents, "vas_change", params, frozenset({company}), 1)
    assert again.from_cache  # computed by the worker, ahead of this request
    assert again.key != used.key
    assert again.result.overall.employees == 2  # the new pair is in it
