"""The event bus port, and its PostgreSQL adapter (the embedded default).

Delivery is at least once: a worker claims an event (a lease), runs the handlers, and settles it.
The PostgreSQL bus settles in the handlers' own transaction (the queue row goes with their effect,
so a committed effect is never delivered again); Pub/Sub settles (acks) right after that commit,
and the handlers' ledger makes a redelivery a no-op. ``WELLNESS_EVENT_BACKEND`` chooses the adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import DatabaseManager, queue_sql
from backend.database.events import Event


@dataclass(frozen=True)
class Delivery:
    """One delivery of an event: its attempt number (1 first) and the adapter's own handle."""

    event: Event
    attempt: int
    handle: Any = None
    last_error: str | None = None


class Bus(Protocol):
    name: str

    def publish(self, events: Sequence[Event], *, session: Session) -> None:
        """Returns once the bus accepted every event (PostgreSQL: with ``session``'s commit)."""
        ...

    def publish_outbox(self, session: Session, *, limit: int) -> int | None:
        """Move up to ``limit`` events from the relational outbox onto the bus inside ``session``,
        where the bus lives in that database; answers how many. None where it does not (the relay
        then reads, publishes and removes them itself)."""
        ...

    def receive(self, *, max_events: int) -> list[Delivery]:
        """Claim what is deliverable now, without waiting."""
        ...

    def receive_in(self, session: Session, *, max_events: int) -> list[Delivery] | None:
        """Claim inside ``session``: held once it commits, never claimed if it rolls back (a worker
        claims its next events in the transaction that settles the last ones). None where the adapter
        cannot claim inside a transaction."""
        ...

    def release(self, deliveries: Sequence[Delivery]) -> None:
        """Give back deliveries nobody worked on (a stopping worker's claim), deliverable again now."""
        ...

    def seconds_until_next(self, session: Session) -> float | None:
        """How long until an event may be deliverable (0: now); None when the bus holds none pending."""
        ...

    def extend(self, delivery: Delivery) -> bool:
        """Keep the lease (ack deadline) while a handler runs; False when it was lost."""
        ...

    def settle(self, delivery: Delivery, *, session: Session) -> None:
        """Acknowledge inside the handlers' transaction, where the adapter can (PostgreSQL)."""
        ...

    def settle_all(self, deliveries: Sequence[Delivery], *, session: Session) -> None:
        """``settle`` for many at once, and count them as handled in ``session`` (on PostgreSQL one
        statement does both)."""
        ...

    def settled(self, delivery: Delivery) -> None:
        """After that transaction committed: acknowledge, where the adapter could not before."""
        ...

    def retry(self, delivery: Delivery, *, session: Session, delay_s: float, error: str) -> bool:
        """Deliver again after ``delay_s``, remembering ``error``; False when the lease was lost."""
        ...

    def bury(self, delivery: Delivery, *, session: Session, error: str) -> bool:
        """Move to the dead letters with ``error``; False when the lease was lost."""
        ...

    def close(self) -> None: ...


class PostgresBus:
    """The queue table ``event_queue``: SKIP LOCKED claims with a visibility timeout, NOTIFY wake-ups."""

    name = "postgres"

    def __init__(
        self, manager: DatabaseManager, settings: Settings, *, ordered: Callable[[Event], bool] | None = None
    ) -> None:
        """``ordered``: the events whose handlers need them in order (per company)."""
        self._manager = manager
        self._visibility_s = settings.event_visibility_s
        self._ordered = ordered

    def publish(self, events: Sequence[Event], *, session: Session) -> None:
        queue_sql.enqueue(session, events, ordered=self._ordered)

    def publish_outbox(self, session: Session, *, limit: int) -> int | None:
        return queue_sql.move_outbox(session, limit=limit, ordered=self._ordered)

    def receive(self, *, max_events: int) -> list[Delivery]:
        with self._manager.session() as session:  # the claim commits: the lease is held from here
            return self.receive_in(session, max_events=max_events) or []

    def receive_in(self, session: Session, *, max_events: int) -> list[Delivery] | None:
        claimed = queue_sql.claim(session, limit=max_events, visibility_s=self._visibility_s)
        return [Delivery(c.event, c.attempt, last_error=c.last_error) for c in claimed]

    def release(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            with self._manager.session() as session:
                queue_sql.release(session, [(d.event.id, d.attempt) for d in deliveries])

    def seconds_until_next(self, session: Session) -> float | None:
        return queue_sql.seconds_until_next(session)

    def extend(self, delivery: Delivery) -> bool:
        with self._manager.session() as session:
            return queue_sql.extend(
                session, delivery.event.id, delivery.attempt, visibility_s=self._visibility_s
            )

    def settle(self, delivery: Delivery, *, session: Session) -> None:
        queue_sql.acknowledge(session, delivery.event.id, delivery.attempt)

    def settle_all(self, deliveries: Sequence[Delivery], *, session: Session) -> None:
        """Not durable: the acknowledgement is in the handlers' transaction, so if the server
        crashes before that commit reached the disk, the handlers' effects, ledger rows and the
        acknowledgement are lost together and the event comes again (saves a WAL flush wait)."""
        held = [(d.event.id, d.attempt) for d in deliveries]
        queue_sql.acknowledge_all(session, held)

    def settled(self, delivery: Delivery) -> None:
        return None

    def retry(self, delivery: Delivery, *, session: Session, delay_s: float, error: str) -> bool:
        event_id, attempt = delivery.event.id, delivery.attempt
        return queue_sql.retry_later(session, event_id, attempt, delay_s=delay_s, error=error)

    def bury(self, delivery: Delivery, *, session: Session, error: str) -> bool:
        return queue_sql.bury(session, delivery.event.id, delivery.attempt, error=error)

    def close(self) -> None:
        return None


def open_bus(
    manager: DatabaseManager, settings: Settings, *, ordered: Callable[[Event], bool] | None = None
) -> Bus:
    """The bus chosen by WELLNESS_EVENT_BACKEND. ``ordered``: the events to deliver in order per company
    (Pub/Sub orders every event by its company's key)."""
    if settings.event_backend == "pubsub":
        from backend.service.events.pubsub import PubSubBus  # Google's client loads only when chosen

        return PubSubBus(settings)
    return PostgresBus(manager, settings, ordered=ordered)
