"""One contract for every event bus adapter (``bus_backend``: postgres, pubsub on the emulator).

Waits are bounded by deadlines drawn from the adapter's lease (visibility timeout); the only timed
assertions are lower bounds ("not back before..."), never speed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.service.events.conftest import BusUnderTest, make_event

SLACK_S = 0.1  # between this process's clock and the bus's server clock


def test_published_events_are_received_intact(bus: BusUnderTest) -> None:
    sent = [
        make_event(occurred_at=datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)),
        make_event(
            None,
            type="company.updated",
            category="company_master",
            entity_id="42",
            payload={"company_ids": [7, 8], "rows": 2},
        ),
    ]
    bus.publish(*sent)
    got = bus.receive(within_s=10, want=2)
    assert sorted((d.event for d in got), key=lambda e: str(e.id)) == sorted(sent, key=lambda e: str(e.id))
    assert all(d.attempt == 1 for d in got)
    assert all(d.event.occurred_at.tzinfo is not None for d in got)
    for delivery in got:
        bus.settle(delivery)


def test_a_settled_event_is_not_delivered_again(bus: BusUnderTest) -> None:
    bus.publish(make_event())
    [delivery] = bus.receive(within_s=10)
    bus.settle(delivery)
    bus.nothing_until(time.monotonic() + bus.lease_s + 1)


def test_an_unsettled_event_comes_back_after_its_lease_as_attempt_2(bus: BusUnderTest) -> None:
    event = make_event()
    bus.publish(event)
    start = time.monotonic()
    [first] = bus.receive(within_s=10)
    [again] = bus.receive(within_s=bus.lease_s + 10)
    assert time.monotonic() - start >= bus.lease_s - SLACK_S
    # Pub/Sub counts deliveries only on a subscription with a dead-letter policy (setup gives it one).
    assert (first.attempt, again.attempt, again.event) == (1, 2, event)
    bus.settle(again)


def test_extend_keeps_the_lease_past_its_first_deadline(bus: BusUnderTest) -> None:
    bus.publish(make_event())
    start = time.monotonic()
    [delivery] = bus.receive(within_s=10)
    time.sleep(max(0.0, start + 0.7 * bus.lease_s - time.monotonic()))
    assert bus.bus.extend(delivery)
    bus.nothing_until(start + 1.35 * bus.lease_s)  # the first deadline was start + lease
    bus.settle(delivery)


def test_retry_brings_the_event_back_no_sooner_than_its_delay(bus: BusUnderTest) -> None:
    event = make_event()
    bus.publish(event)
    [delivery] = bus.receive(within_s=10)
    delay = 0.3 * bus.lease_s
    start = time.monotonic()
    bus.retry(delivery, delay_s=delay, error="RuntimeError: try later")
    [again] = bus.receive(within_s=delay + bus.lease_s + 10)
    assert time.monotonic() - start >= delay - SLACK_S
    assert (again.event, again.attempt) == (event, 2)
    bus.settle(again)


def test_a_buried_event_is_a_dead_letter_with_its_error_and_is_not_delivered_again(bus: BusUnderTest) -> None:
    event = make_event()
    bus.publish(event)
    [delivery] = bus.receive(within_s=10)
    bus.bury(delivery, error="ValueError: 読めない行")
    assert bus.dead_letter(event.id) == (event, 1, "ValueError: 読めない行")
    bus.nothing_until(time.monotonic() + bus.lease_s + 1)
