"""A relay process that publishes the document outbox and hangs before removing what it published."""

import time

from backend.database import DatabaseManager, events
from backend.service.events.bus import PostgresBus
from backend.service.events.relay import Relay


def hang(store: object, paths: list[str]) -> None:
    print("published", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    manager = DatabaseManager()
    events.remove_document_events = hang  # type: ignore[assignment]
    Relay(manager, PostgresBus(manager, manager.settings)).documents()
