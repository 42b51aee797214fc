"""What only the Pub/Sub bus does, or does differently (the shared behaviour is in test_bus_contract.py).

Measured on the emulator (0.8.x): it counts ``delivery_attempt`` once a dead-letter policy is set,
honours ``modify_ack_deadline`` as the retry delay, keeps the retry policy but does not apply its
backoff (a nack comes back at once), and refuses to update a subscription's expiration policy.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import pytest

from backend.config import Settings
from backend.database import crud_sql, queue_sql
from backend.errors import Unavailable
from backend.service.events import pubsub_resources as resources
from backend.service.events.handlers import HANDLERS, Handler, HandlerContext
from backend.service.events.pubsub import ATTRIBUTE_BYTES, PubSubBus
from backend.service.events.worker import Worker
from tests.service.events.conftest import BusUnderTest, make_event, pubsub_settings


@pytest.fixture
def pubsub(make_bus: Callable[..., BusUnderTest]) -> BusUnderTest:
    return make_bus("pubsub")


@pytest.fixture
def tap(pubsub: BusUnderTest) -> Iterator[Callable[[], list[object]]]:
    """A second subscription on the events topic, to look at the raw messages the bus publishes."""
    client = resources.subscriber(pubsub.settings)
    path = f"{pubsub.bus.names.subscription}-tap"  # type: ignore[attr-defined]
    client.create_subscription(name=path, topic=pubsub.bus.names.topic)  # type: ignore[attr-defined]

    def pull() -> list[object]:
        response = client.pull(subscription=path, max_messages=10, timeout=5)
        client.acknowledge(subscription=path, ack_ids=[r.ack_id for r in response.received_messages])
        return [r.message for r in response.received_messages]

    yield pull
    client.close()


def test_the_ordering_key_is_the_company_id(pubsub: BusUnderTest, tap: Callable[[], list[object]]) -> None:
    pubsub.publish(make_event(7), make_event(None))
    messages: list[object] = []
    deadline = time.monotonic() + 10
    while len(messages) < 2 and time.monotonic() < deadline:
        messages += tap()
    keys = sorted(m.ordering_key for m in messages)  # type: ignore[attr-defined]
    assert keys == ["", "7"]
    assert {m.attributes["type"] for m in messages} == {"employees.imported"}  # type: ignore[attr-defined]


def test_one_companys_events_arrive_in_the_order_published(pubsub: BusUnderTest) -> None:
    sent = [make_event(7 if i % 2 else 8, payload={"n": i}) for i in range(8)]
    pubsub.publish(*sent)
    got = pubsub.receive(within_s=15, want=len(sent))
    for company in (7, 8):
        published = [e.id for e in sent if e.company_id == company]
        assert [d.event.id for d in got if d.event.company_id == company] == published
    for delivery in got:
        pubsub.settle(delivery)


def test_a_republished_event_is_delivered_twice(pubsub: BusUnderTest) -> None:
    """Pub/Sub does not deduplicate by event id (the PostgreSQL queue does): the handlers' ledger
    makes the second delivery a no-op."""
    event = make_event()
    pubsub.publish(event)
    pubsub.publish(event)
    got = pubsub.receive(within_s=10, want=2)
    assert [d.event for d in got] == [event, event]


def test_a_message_that_is_not_an_event_is_dropped(pubsub: BusUnderTest) -> None:
    client = resources.publisher(pubsub.settings)
    try:
        client.publish(pubsub.bus.names.topic, b"{not json").result(timeout=10)  # type: ignore[attr-defined]
    finally:
        resources.close_publisher(client)
    event = make_event()
    pubsub.publish(event)
    [delivery] = pubsub.receive(within_s=10)
    assert delivery.event == event
    pubsub.settle(delivery)
    pubsub.nothing_until(time.monotonic() + pubsub.lease_s + 1)  # acknowledged, not redelivered


def test_a_long_error_is_cut_to_fit_an_attribute(pubsub: BusUnderTest) -> None:
    event = make_event()
    pubsub.publish(event)
    [delivery] = pubsub.receive(within_s=10)
    pubsub.bury(delivery, error="失敗" * 1000)
    _, _, error = pubsub.dead_letter(event.id)
    assert error is not None
    assert error.endswith("…")
    assert len(error.encode()) <= ATTRIBUTE_BYTES


def test_setup_twice_creates_once_and_configures_the_workers_subscription(
    pubsub_host: str, fresh_schema: Callable[[], Settings]
) -> None:
    settings = pubsub_settings(
        fresh_schema(),
        pubsub_host,
        event_max_attempts=3,
        event_backoff_base_s=2.0,
        event_backoff_max_s=900.0,
    )
    first, second = resources.setup(settings), resources.setup(settings)
    assert [s.created for s in first] == [True] * 4
    assert [s.created for s in second] == [False] * 4
    names = resources.Names.of(settings)
    assert {s.path for s in first} == {
        names.topic,
        names.dead_letter_topic,
        names.subscription,
        names.dead_letter_subscription,
    }
    client = resources.subscriber(settings)
    try:
        found = client.get_subscription(subscription=names.subscription)
    finally:
        client.close()
    assert (found.topic, found.enable_message_ordering, found.ack_deadline_seconds) == (names.topic, True, 10)
    assert found.dead_letter_policy.dead_letter_topic == names.dead_letter_topic
    assert found.dead_letter_policy.max_delivery_attempts == 5  # Pub/Sub's least; the worker buries at 3
    backoff = found.retry_policy
    assert (backoff.minimum_backoff.total_seconds(), backoff.maximum_backoff.total_seconds()) == (2, 600)


def test_publishing_before_setup_says_to_run_it(
    pubsub_host: str, fresh_schema: Callable[[], Settings]
) -> None:
    bus = PubSubBus(pubsub_settings(fresh_schema(), pubsub_host))
    try:
        with pytest.raises(Unavailable, match="wellness events setup"):
            bus.publish([make_event()], session=None)  # type: ignore[arg-type]
    finally:
        bus.close()


def test_without_a_project_the_bus_names_the_setting(
    pubsub_host: str, fresh_schema: Callable[[], Settings]
) -> None:
    settings = pubsub_settings(fresh_schema(), pubsub_host, google_cloud_project=None)
    with pytest.raises(Unavailable, match="GOOGLE_CLOUD_PROJECT"):
        PubSubBus(settings)


def test_a_worker_handles_outbox_events_over_pubsub_until_idle(pubsub: BusUnderTest) -> None:
    with pubsub.manager.session(actor="test") as session:
        company = crud_sql.companies.create(session, data={"name": f"株式会社{secrets.token_hex(2)}"})
    outcomes: list[str] = []
    worker = Worker(pubsub.manager, bus=pubsub.bus, on_outcome=lambda _, outcome: outcomes.append(outcome))
    worker.run_until_idle(timeout_s=60)  # ends once the outbox is empty and a pull finds nothing
    assert outcomes == ["handled"]
    with pubsub.manager.session() as session:
        assert queue_sql.outbox_size(session) == 0
        assert queue_sql.data_versions(session, [company.id]) == {company.id: 1}


def test_a_failing_handler_becomes_a_dead_letter(make_bus: Callable[..., BusUnderTest]) -> None:
    pubsub = make_bus("pubsub", event_max_attempts=2, event_backoff_base_s=0.5)

    def broken(ctx: HandlerContext) -> None:
        raise RuntimeError("the handler broke")

    handlers = (*HANDLERS, Handler("broken", lambda event: True, broken))
    outcomes: list[tuple[int, str]] = []
    worker = Worker(
        pubsub.manager,
        bus=pubsub.bus,
        handlers=handlers,
        on_outcome=lambda delivery, outcome: outcomes.append((delivery.attempt, outcome)),
    )
    event = make_event()
    pubsub.publish(event)
    deadline = time.monotonic() + 30
    while (2, "dead") not in outcomes and time.monotonic() < deadline:
        worker.step()
    assert outcomes == [(1, "retried"), (2, "dead")]
    assert pubsub.dead_letter(event.id) == (event, 2, "RuntimeError: the handler broke")
    with pubsub.manager.session() as session:
        assert queue_sql.data_versions(session, [7]) == {7: 0}  # the failed attempts rolled back
