"""What only the PostgreSQL bus does (the shared behaviour is in test_bus_contract.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from backend.database import queue_sql
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
