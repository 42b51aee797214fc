"""The Pub/Sub adapter of the event bus (``WELLNESS_EVENT_BACKEND=pubsub``).

A message is ``Event.to_json()`` with the company id as its ordering key, so one company's events
are delivered in the order they were published. Pub/Sub cannot acknowledge inside a SQL
transaction: a delivery is acknowledged right after the handlers' commit (``settled``), and a
redelivery in between is absorbed by the handlers' ledger. A retry moves the message's ack
deadline to the backoff delay, so it comes back when that runs out; a dead letter is published to
the dead-letter topic with its error and attempts as attributes, then acknowledged.

The server does not say when a retried message will come back: after a pull that found nothing,
``seconds_until_next`` answers None, so ``Worker.run_until_idle`` ends once the outboxes are empty
and a pull finds nothing, even while a retry is still waiting out its delay.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry, if_exception_type
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import queue_sql
from backend.database.events import Event
from backend.errors import Unavailable, ValidationFailed, WellnessError
from backend.service.events import pubsub_resources as resources
from backend.service.events.bus import Delivery
from backend.service.events.pubsub_errors import errors, translate

log = logging.getLogger(__name__)
POLL_S = 0.5  # how soon to pull again after a pull that found messages
PULL_TIMEOUT_S = 1.0  # a pull waits this long for messages, then answers none
PUBLISH_TIMEOUT_S = 60.0
ATTRIBUTE_BYTES = 1024  # Pub/Sub's limit on one attribute value
_PULL_RETRY = Retry(predicate=if_exception_type(gexc.ServiceUnavailable), initial=0.1, maximum=1, timeout=10)


@dataclass(frozen=True)
class DeadLetter:
    event: Event
    attempts: int
    error: str


class PubSubBus:
    """Publishes to ``pubsub_topic``, pulls from ``pubsub_subscription`` (created by ``setup``)."""

    name = "pubsub"

    def __init__(self, settings: Settings) -> None:
        self.names = resources.Names.of(settings)
        self._lease_s = resources.ack_deadline_s(settings)
        self._publisher = resources.publisher(settings)
        try:
            self._subscriber = resources.subscriber(settings)
        except Unavailable:
            resources.close_publisher(self._publisher)
            raise
        self._found_nothing = False
        self._closed = False

    def publish(self, events: Sequence[Event], *, session: Session) -> None:
        """Returns once Pub/Sub accepted every event (``session`` is unused)."""
        what = f"publishing {len(events)} events to {self.names.topic}"
        with errors(what):
            sent = [self._send(self.names.topic, e, key=_ordering_key(e)) for e in events]
        self._wait(self.names.topic, sent, what, then="they stay in the outbox for the relay's next pass")

    def receive(self, *, max_events: int) -> list[Delivery]:
        """One synchronous pull of up to ``max_events`` (waits at most PULL_TIMEOUT_S)."""
        with errors(f"pulling events from {self.names.subscription}"):
            try:
                response = self._subscriber.pull(
                    subscription=self.names.subscription,
                    max_messages=max_events,
                    timeout=PULL_TIMEOUT_S,
                    retry=_PULL_RETRY,
                )
            except gexc.DeadlineExceeded:  # nothing arrived within the timeout
                self._found_nothing = True
                return []
        deliveries, junk = [], []
        for received in response.received_messages:
            try:
                event = Event.from_json(received.message.data)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.error("dropping message %s: not an event (%s)", received.message.message_id, exc)
                junk.append(received.ack_id)
                continue
            attempt = received.delivery_attempt or 1  # set only with a dead-letter policy
            deliveries.append(Delivery(event, attempt, handle=received.ack_id))
        if junk:
            self._ack(junk)
        self._found_nothing = not deliveries
        return deliveries

    def publish_outbox(self, session: Session, *, limit: int) -> int | None:
        return None  # the relay reads the outbox and publishes what it read

    def receive_in(self, session: Session, *, max_events: int) -> list[Delivery] | None:
        return None  # a pull cannot be part of a PostgreSQL transaction

    def release(self, deliveries: Sequence[Delivery]) -> None:
        """Nack: an ack deadline of 0 makes Pub/Sub deliver the messages again now."""
        for delivery in deliveries:
            try:
                self._deadline(delivery, 0)
            except WellnessError as exc:  # the deadline runs out by itself
                log.warning("event %s not given back, it comes again later: %s", delivery.event.id, exc)

    def seconds_until_next(self, session: Session) -> float | None:
        """None after a pull that found nothing (the server does not tell when a retry is due)."""
        return None if self._found_nothing else POLL_S

    def extend(self, delivery: Delivery) -> bool:
        """Move the ack deadline a visibility timeout ahead; False if Pub/Sub refuses the ack id."""
        try:
            self._deadline(delivery, self._lease_s)
        except ValidationFailed as exc:  # Pub/Sub's InvalidArgument: the ack id expired (emulator)
            log.warning("event %s: lease lost (%s)", delivery.event.id, exc)
            return False
        return True

    def settle(self, delivery: Delivery, *, session: Session) -> None:
        return None  # Pub/Sub cannot take part in the handlers' transaction: see ``settled``

    def settle_all(self, deliveries: Sequence[Delivery], *, session: Session) -> None:
        """Counted here; acknowledged once the transaction committed (``settled``)."""
        queue_sql.count_handled(session, (d.event.type for d in deliveries))

    def settled(self, delivery: Delivery) -> None:
        """Acknowledge after the handlers' commit; a failure only means a redelivery."""
        try:
            self._ack([delivery.handle])
        except WellnessError as exc:
            log.warning("event %s handled but not acknowledged, it comes again: %s", delivery.event.id, exc)

    def retry(self, delivery: Delivery, *, session: Session, delay_s: float, error: str) -> bool:
        """The message comes back when its ack deadline, set to ``delay_s``, runs out. True: without
        exactly-once delivery Pub/Sub cannot tell whether the lease is still ours."""
        delay = min(resources.MAX_BACKOFF_S, max(0, math.ceil(delay_s)))
        try:
            self._deadline(delivery, delay)
        except WellnessError as exc:  # it comes back after the ack deadline anyway
            log.warning("event %s: could not set its retry delay: %s", delivery.event.id, exc)
        return True

    def bury(self, delivery: Delivery, *, session: Session, error: str) -> bool:
        """Publish to the dead-letter topic with ``error`` and the attempts, then acknowledge."""
        what = f"publishing event {delivery.event.id} to {self.names.dead_letter_topic}"
        attributes = {"error": _truncated(error), "attempts": str(delivery.attempt)}
        with errors(what):
            sent = [self._send(self.names.dead_letter_topic, delivery.event, key="", **attributes)]
        self._wait(self.names.dead_letter_topic, sent, what, then="it stays unacknowledged and comes back")
        self.settled(delivery)
        return True

    def dead_letters(self, *, max_events: int = 100) -> list[DeadLetter]:
        """A look at the dead letters (pulled from the inspect subscription and released again)."""
        subscription = self.names.dead_letter_subscription
        with errors(f"reading dead letters from {subscription}"):
            try:
                response = self._subscriber.pull(
                    subscription=subscription, max_messages=max_events, timeout=PULL_TIMEOUT_S, retry=None
                )
            except gexc.DeadlineExceeded:
                return []
            found = [d for r in response.received_messages if (d := _dead_letter(r.message))]
            ack_ids = [r.ack_id for r in response.received_messages]
            if ack_ids:
                self._subscriber.modify_ack_deadline(
                    subscription=subscription, ack_ids=ack_ids, ack_deadline_seconds=0
                )
        return found

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._subscriber.close()
        resources.close_publisher(self._publisher)

    # --- calls -----------------------------------------------------------------------------------

    def _send(self, topic: str, event: Event, *, key: str, **attributes: str) -> tuple[str, Any]:
        """Hand ``event`` to the publisher; answers (its ordering key, the publish future)."""
        future = self._publisher.publish(
            topic, event.to_json(), ordering_key=key, type=event.type, event_id=str(event.id), **attributes
        )
        return key, future

    def _wait(self, topic: str, sent: list[tuple[str, Any]], what: str, *, then: str) -> None:
        """Block until every publish resolved; then a failure raises Unavailable, saying ``then``."""
        failures: list[tuple[str, BaseException]] = []
        for key, future in sent:
            try:
                future.result(timeout=PUBLISH_TIMEOUT_S)
            except Exception as exc:
                failures.append((key, exc))
        if not failures:
            return
        for key in {key for key, _ in failures if key}:  # a failed ordering key is paused until resumed
            self._publisher.resume_publish(topic, key)
        first = failures[0][1]
        mapped = translate(first, what)
        reason = mapped.message if mapped is not None else f"{what}: {type(first).__name__}: {first}"
        raise Unavailable(f"{reason} ({len(failures)} of {len(sent)} not accepted; {then}).") from first

    def _deadline(self, delivery: Delivery, seconds: int) -> None:
        with errors(f"moving the ack deadline of event {delivery.event.id}"):
            self._subscriber.modify_ack_deadline(
                subscription=self.names.subscription, ack_ids=[delivery.handle], ack_deadline_seconds=seconds
            )

    def _ack(self, ack_ids: list[str]) -> None:
        with errors(f"acknowledging on {self.names.subscription}"):
            self._subscriber.acknowledge(subscription=self.names.subscription, ack_ids=ack_ids)


def _ordering_key(event: Event) -> str:
    return "" if event.company_id is None else str(event.company_id)


def _truncated(text: str) -> str:
    """``text`` within Pub/Sub's attribute limit (bytes of UTF-8, not cut inside a character)."""
    data = text.encode()
    if len(data) <= ATTRIBUTE_BYTES:
        return text
    return data[: ATTRIBUTE_BYTES - 3].decode(errors="ignore") + "…"


def _dead_letter(message: Any) -> DeadLetter | None:
    try:
        event = Event.from_json(message.data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.error("dead letter %s is not an event (%s)", message.message_id, exc)
        return None
    attributes = dict(message.attributes)
    # Pub/Sub's own dead-lettering (past max_delivery_attempts, a worker dying each time) has no error.
    attempts = attributes.get("attempts") or attributes.get("CloudPubSubDeadLetterSourceDeliveryCount")
    error = attributes.get("error") or "Pub/Sub's dead-letter policy: never acknowledged"
    return DeadLetter(event, int(attempts or 0), error)
