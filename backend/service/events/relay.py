"""The relay: moves events from both outboxes onto the bus, removing each only after the bus took it.

A crash between the bus accepting an event and its removal from the outbox publishes it again on
the next pass (a duplicate, which the handlers' ledger absorbs); an event is never lost.
"""

from __future__ import annotations

from backend.database import DatabaseManager, events, queue_sql
from backend.service.events.bus import Bus

BATCH = 200


class Relay:
    def __init__(self, manager: DatabaseManager, bus: Bus) -> None:
        self._manager = manager
        self._bus = bus

    def drain(self) -> int:
        """Move everything now in both outboxes; answers how many events moved."""
        moved = 0
        while (n := self.relational() + self.documents()) > 0:
            moved += n
        return moved

    def relational(self) -> int:
        """One batch of the PostgreSQL outbox: taken, published and removed in one transaction (by
        the bus itself where it lives in the same database)."""
        with self._manager.session() as session:
            moved = self._bus.publish_outbox(session, limit=BATCH)
            if moved is not None:
                return moved
            events = queue_sql.take_outbox(session, limit=BATCH)
            if events:
                self._bus.publish(events, session=session)
                queue_sql.remove_from_outbox(session, [e.id for e in events])
        return len(events)

    def documents(self) -> int:
        """One batch of the document outbox: published (committed), then removed."""
        store = self._manager.documents
        found = events.document_outbox(store, limit=BATCH)
        if found:
            with self._manager.session() as session:
                self._bus.publish([event for _, event in found], session=session)
            events.remove_document_events(store, [path for path, _ in found])
        return len(found)
