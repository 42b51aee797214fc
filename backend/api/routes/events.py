"""The event system for admins: per-type counters, the queue, the outbox and the dead letters."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep
from backend.service.events.stats import EventStats, stats

router = APIRouter(prefix="/events", tags=["events"])


@router.get("/stats", response_model=EventStats, summary="Event counters, queue and dead letters (admins)")
def get_stats(session: SessionDep) -> EventStats:
    return stats(session)
