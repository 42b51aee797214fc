"""The Pub/Sub resources of the event bus: their names from the settings, the clients, and ``setup``.

``setup`` (``wellness events setup``) creates, idempotently: the events topic, the dead-letter
topic, a subscription on the dead-letter topic to read dead letters from
(``<dead-letter topic>-inspect``; Pub/Sub drops messages published to a topic without one), and
the workers' subscription: per-company ordering, the ack deadline of the visibility timeout, a
dead-letter policy and a retry policy from the ``event_*`` settings. Run again, it brings an
existing workers' subscription to the current settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.cloud.pubsub_v1.types import PublisherOptions
from google.pubsub_v1 import types

from backend.config import Settings
from backend.errors import Conflict, Unavailable
from backend.service.events.pubsub_errors import errors

MIN_ACK_DEADLINE_S, MAX_ACK_DEADLINE_S = 10, 600  # Pub/Sub's limits on a subscription's ack deadline
MAX_BACKOFF_S = 600  # on a retry policy's backoffs, and on one modify_ack_deadline
MIN_DELIVERY_ATTEMPTS, MAX_DELIVERY_ATTEMPTS = 5, 100  # on a dead-letter policy
DEAD_LETTER_RETENTION = timedelta(days=7)  # the longest a subscription keeps messages
_UPDATED = ["ack_deadline_seconds", "dead_letter_policy", "retry_policy"]  # what settings decide


@dataclass(frozen=True)
class Names:
    """Full resource paths (``projects/P/topics/T``...) of the bus's topics and subscriptions."""

    topic: str
    subscription: str
    dead_letter_topic: str
    dead_letter_subscription: str

    @classmethod
    def of(cls, settings: Settings) -> Names:
        project = settings.google_cloud_project
        if not project:
            raise Unavailable(
                "WELLNESS_EVENT_BACKEND=pubsub needs the Google Cloud project: set GOOGLE_CLOUD_PROJECT "
                "(or WELLNESS_GOOGLE_CLOUD_PROJECT); for the emulator any id will do, e.g. demo-wellness."
            )
        dead = settings.pubsub_dead_letter_topic
        return cls(
            topic=f"projects/{project}/topics/{settings.pubsub_topic}",
            subscription=f"projects/{project}/subscriptions/{settings.pubsub_subscription}",
            dead_letter_topic=f"projects/{project}/topics/{dead}",
            dead_letter_subscription=f"projects/{project}/subscriptions/{dead}-inspect",
        )


def ack_deadline_s(settings: Settings) -> int:
    """The visibility timeout as an ack deadline, within Pub/Sub's 10..600 s."""
    return min(MAX_ACK_DEADLINE_S, max(MIN_ACK_DEADLINE_S, math.ceil(settings.event_visibility_s)))


def max_delivery_attempts(settings: Settings) -> int:
    """Pub/Sub's own dead-lettering cap, at or above the worker's: the worker buries first."""
    return min(MAX_DELIVERY_ATTEMPTS, max(MIN_DELIVERY_ATTEMPTS, settings.event_max_attempts))


def publisher(settings: Settings) -> Any:
    """A publisher with message ordering on (a publish with an ordering key needs it)."""
    options = PublisherOptions(enable_message_ordering=True)
    with errors("connecting to Pub/Sub"):  # finding the credentials may fail here
        return PublisherClient(publisher_options=options, **_emulator(settings, "publisher"))


def subscriber(settings: Settings) -> Any:
    with errors("connecting to Pub/Sub"):
        return SubscriberClient(**_emulator(settings, "subscriber"))


def _emulator(settings: Settings, kind: str) -> dict[str, Any]:
    """An insecure channel to the emulator named by the settings (a .env file too, not only the
    environment variable the Google client reads by itself)."""
    if not settings.pubsub_emulator_host:
        return {}
    import grpc
    from google.pubsub_v1.services.publisher.transports.grpc import PublisherGrpcTransport
    from google.pubsub_v1.services.subscriber.transports.grpc import SubscriberGrpcTransport

    transport = PublisherGrpcTransport if kind == "publisher" else SubscriberGrpcTransport
    return {"transport": transport(channel=grpc.insecure_channel(settings.pubsub_emulator_host))}


@dataclass(frozen=True)
class Step:
    """One resource ``setup`` looked at: created now, or there already (and what it noticed)."""

    kind: str  # "topic" | "subscription"
    path: str
    created: bool
    note: str = ""

    def describe(self) -> str:
        said = "created" if self.created else "already existed"
        return f"{self.kind} {self.path}: {said}" + (f" ({self.note})" if self.note else "")


def workers_subscription(settings: Settings, names: Names) -> types.Subscription:
    backoff_min = min(float(MAX_BACKOFF_S), settings.event_backoff_base_s)
    backoff_max = max(backoff_min, min(float(MAX_BACKOFF_S), settings.event_backoff_max_s))
    return types.Subscription(
        name=names.subscription,
        topic=names.topic,
        ack_deadline_seconds=ack_deadline_s(settings),
        enable_message_ordering=True,
        dead_letter_policy=types.DeadLetterPolicy(
            dead_letter_topic=names.dead_letter_topic, max_delivery_attempts=max_delivery_attempts(settings)
        ),
        retry_policy=types.RetryPolicy(
            minimum_backoff=timedelta(seconds=backoff_min), maximum_backoff=timedelta(seconds=backoff_max)
        ),
        expiration_policy=types.ExpirationPolicy(),  # no ttl: never deleted for inactivity
    )


def dead_letter_subscription(names: Names) -> types.Subscription:
    return types.Subscription(
        name=names.dead_letter_subscription,
        topic=names.dead_letter_topic,
        ack_deadline_seconds=60,
        message_retention_duration=DEAD_LETTER_RETENTION,
        expiration_policy=types.ExpirationPolicy(),
    )


def setup(settings: Settings) -> list[Step]:
    """Create the topics and subscriptions (idempotent); answers what was created or already there."""
    names = Names.of(settings)
    dead = names.dead_letter_topic
    pub = publisher(settings)
    try:
        sub = subscriber(settings)
    except Unavailable:
        close_publisher(pub)
        raise
    try:
        with errors("setting up Pub/Sub"):
            return [
                _create("topic", names.topic, partial(pub.create_topic, name=names.topic)),
                _create("topic", dead, partial(pub.create_topic, name=dead)),
                _create(
                    "subscription",
                    names.dead_letter_subscription,
                    lambda: sub.create_subscription(request=dead_letter_subscription(names)),
                ),
                _workers(sub, workers_subscription(settings, names)),
            ]
    finally:
        sub.close()
        close_publisher(pub)


def close_publisher(pub: Any) -> None:
    """Stop a publisher (sending what it still holds) and close its channel."""
    pub.stop()
    pub.transport.close()


def _create(kind: str, path: str, create: Callable[[], object]) -> Step:
    try:
        create()
    except gexc.AlreadyExists:
        return Step(kind, path, created=False)
    return Step(kind, path, created=True)


def _workers(sub: Any, wanted: types.Subscription) -> Step:
    """The workers' subscription: created, or an existing one updated to ``wanted``'s settings."""
    step = _create("subscription", wanted.name, lambda: sub.create_subscription(request=wanted))
    if step.created:
        return step
    found = sub.get_subscription(subscription=wanted.name)
    if found.topic != wanted.topic:
        raise Conflict(
            f"Subscription {wanted.name} exists on topic {found.topic}, not {wanted.topic}: delete it, or "
            "choose another WELLNESS_PUBSUB_SUBSCRIPTION."
        )
    sub.update_subscription(subscription=wanted, update_mask={"paths": _UPDATED})
    note = "ack deadline, dead-letter and retry policies set to the current settings"
    if not found.enable_message_ordering:
        note += "; message ordering is off and cannot be turned on: recreate it for per-company order"
    return Step("subscription", wanted.name, created=False, note=note)
