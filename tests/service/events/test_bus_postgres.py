"""What only the PostgreSQL bus does (the shared behaviour is in test_bus_contract.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text

from backend.database import events, queue_sql
from tests.service.events.conftest import BusUnderTest, make_event


def test_a_republished_event_is_queued_once(make_bus: Callable[..., BusUnderTest]) -> None:
    """A relay that crashed after publishing publishes again: the queue keeps one copy (by event id)."""
    bus = make_bus("postgres")
    event = make_event()
    bus.publish(event)
    bus.publish(event)
    with bus.manager.session() as session:
        assert queue_sql.queue_sizes(session)["pending"] == 1
    [delivery] = bus.receive(within_s=5)
    assert delivery.event == event
    bus.settle(delivery)
    bus.nothing_until(time.monotonic() + 1)


def test_a_retried_event_comes_back_with_its_last_error(make_bus: Callable[..., BusUnderTest]) -> None:
    """Pub/Sub cannot carry the error of a nacked message into its redelivery; this queue does."""
    bus = make_bus("postgres")
    bus.publish(make_event())
    [delivery] = bus.receive(within_s=5)
    assert delivery.last_error is None
    bus.retry(delivery, delay_s=0, error="RuntimeError: once")
    [again] = bus.receive(within_s=5)
    assert (again.attempt, again.last_error) == (2, "RuntimeError: once")


def test_the_relay_moves_the_relational_outbox_in_the_server_in_order(
    make_bus: Callable[..., BusUnderTest],
) -> None:
    bus = make_bus("postgres")
    sent = [make_event() for _ in range(5)]
    with bus.manager.session() as session:
        events.emit(session, *sent)
    with bus.manager.session() as session:
        assert queue_sql.move_outbox(session, limit=3) == 3
        assert queue_sql.move_outbox(session, limit=3) == 2
        assert queue_sql.outbox_size(session) == 0
        queued = session.execute(text("SELECT id FROM event_queue ORDER BY seq")).scalars().all()
    assert queued == [e.id for e in sent]  # publication order kept
    got = bus.receive(within_s=5, want=5)
    assert sorted((d.event for d in got), key=lambda e: e.occurred_at) == sent


def test_a_listener_reports_the_tables_notified_without_waiting(
    make_bus: Callable[..., BusUnderTest],
) -> None:
    bus = make_bus("postgres")
    with queue_sql.listening(bus.manager.engine) as listener:
        assert listener.poll() == set()
        with bus.manager.session() as session:
            events.emit(session, make_event())
        assert listener.wait(5)
        assert listener.poll() == {"event_outbox"}  # what the wait woke for is not lost
        assert listener.poll() == set()


def test_workers_count_the_same_type_without_waiting_for_each_other(
    make_bus: Callable[..., BusUnderTest],
) -> None:
    """Counts go to the counting connection's shard: one open transaction's count does not hold up
    another connection's (a single row per type made workers wait for each other's commits)."""
    manager = make_bus("postgres").manager
    sessions = []
    shards: set[int] = set()
    while len(shards) < 2:  # two connections whose backend pids fall into different shards
        session = manager.open_session()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        if pid % queue_sql.COUNTER_SHARDS in shards:
            manager.end_session(session)
            continue
        shards.add(pid % queue_sql.COUNTER_SHARDS)
        sessions.append(session)
    first, second = sessions
    queue_sql.count(first, "survey.created", "handled", by=2)  # not committed yet: its row stays locked
    second.execute(text("SET LOCAL lock_timeout = '2s'"))
    queue_sql.count(second, "survey.created", "handled", by=3)  # would time out on a shared row
    manager.end_session(second)
    manager.end_session(first)
    with manager.session() as session:
        [counter] = queue_sql.counters(session)
    assert (counter.type, counter.handled, counter.retried, counter.dead) == ("survey.created", 5, 0, 0)
