"""The admin's view of the event system: per-type counters, the queue, the outbox, the dead letters."""

from __future__ import annotations

import uuid

from pydantic import Field
from sqlalchemy.orm import Session

from backend.database import queue_sql
from backend.errors import NotFound
from backend.service.schemas import Public, TokyoTime


class CounterPublic(Public):
    type: str
    handled: int = Field(description="Events of this type whose handlers all committed.")
    retried: int = Field(description="Failed deliveries that were scheduled again.")
    dead: int = Field(description="Events that became dead letters.")
    last_at: TokyoTime


class DeadLetterPublic(Public):
    id: uuid.UUID
    type: str
    company_id: int | None
    occurred_at: TokyoTime
    attempts: int
    error: str | None


class EventStats(Public):
    counters: list[CounterPublic]
    pending: int = Field(description="Events on the PostgreSQL queue not yet handled.")
    in_flight: int = Field(description="Of those, claimed by a worker now (their lease has not run out).")
    oldest_pending_s: float | None = Field(description="Seconds since the oldest pending event was queued.")
    dead: int
    outbox: int = Field(description="Events still in the relational outbox (not yet relayed).")
    dead_letters: list[DeadLetterPublic] = Field(description="The newest dead letters (at most 50).")


def stats(session: Session) -> EventStats:
    sizes = queue_sql.queue_sizes(session)
    leased, oldest = queue_sql.in_flight(session)
    dead = [
        DeadLetterPublic(
            id=event.id,
            type=event.type,
            company_id=event.company_id,
            occurred_at=event.occurred_at,
            attempts=attempts,
            error=error,
        )
        for event, attempts, error in queue_sql.dead_letters(session, limit=50)
    ]
    return EventStats(
        counters=[CounterPublic.model_validate(row) for row in queue_sql.counters(session)],
        pending=sizes["pending"],
        in_flight=leased,
        oldest_pending_s=oldest,
        dead=sizes["dead"],
        outbox=queue_sql.outbox_size(session),
        dead_letters=dead,
    )


def replay(session: Session, event_id: uuid.UUID) -> None:
    """Queue a dead letter again (after its handler was fixed); NotFound when there is no such dead letter."""
    if not queue_sql.replay(session, event_id):
        raise NotFound(
            f"No dead letter with id {event_id}; GET /api/v1/admin/events lists them.",
            details={"id": str(event_id)},
        )
