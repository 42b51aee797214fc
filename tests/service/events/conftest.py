"""Event-system fixtures: a DatabaseManager that really commits (workers need their own transactions
and connections) on a schema migrated once per run and emptied before each test, over each document
backend; and the bus under test, each adapter on its own fresh peer (a migrated schema; new Pub/Sub
topics and subscriptions on the emulator), with the sessions the bus's calls take."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from backend.config import Settings
from backend.database import DatabaseManager, queue_sql
from backend.database.documents import DocumentStore
from backend.database.documents.local import LocalDocumentStore
from backend.database.events import Event
from backend.database.migration import upgrade
from backend.database.postgres import create_db_engine
from backend.service.events.bus import Bus, Delivery, open_bus
from backend.service.events.pubsub import PubSubBus
from backend.service.events.pubsub_resources import setup
from tests import emulators

FAST = {
    "event_visibility_s": 2.0,
    "event_backoff_base_s": 0.05,
    "event_backoff_max_s": 0.2,
    "event_max_attempts": 3,
    "event_document_poll_s": 0.1,
}
# Every table but the audit log, which refuses TRUNCATE (its rows do not disturb these tests).
TABLES = (
    "event_outbox, event_queue, processed_events, company_data_versions, event_counters, payments, "
    "invoices, financial_statements, employees, company_access, companies, users"
)


@pytest.fixture(scope="session")
def live_settings(fresh_schema: Callable[[], Settings]) -> Settings:
    settings = fresh_schema().model_copy(update=FAST)
    assert settings.database_url
    engine = create_db_engine(settings.database_url, settings)
    upgrade(engine)
    engine.dispose()
    return settings


@pytest.fixture
def live(live_settings: Settings, document_store: DocumentStore) -> Iterator[DatabaseManager]:
    """The process-wide manager on the live schema (emptied) and the test's document store."""
    DatabaseManager.reset()
    manager = DatabaseManager()
    manager.configure(live_settings, documents=document_store)
    with manager.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield manager
    DatabaseManager.reset()


# The visibility timeout (lease) of each adapter: Pub/Sub's shortest ack deadline is 10 s.
LEASE_S = {"postgres": 2.0, "pubsub": 10.0}


@dataclass
class BusUnderTest:
    name: str
    bus: Bus
    manager: DatabaseManager
    settings: Settings
    lease_s: float

    def publish(self, *events: Event) -> None:
        with self.manager.session() as session:
            self.bus.publish(list(events), session=session)

    def receive(self, *, within_s: float, want: int = 1) -> list[Delivery]:
        """What is delivered until ``want`` deliveries arrived or ``within_s`` passed."""
        deadline = time.monotonic() + within_s
        got: list[Delivery] = []
        while len(got) < want and time.monotonic() < deadline:
            batch = self.bus.receive(max_events=10)
            got.extend(batch)
            if not batch:
                time.sleep(0.05)
        return got

    def nothing_until(self, deadline: float) -> None:
        """Nothing is delivered before ``deadline`` (time.monotonic())."""
        while time.monotonic() < deadline:
            got = self.bus.receive(max_events=10)
            assert got == [], f"delivered again: {got}"
            time.sleep(0.05)

    def settle(self, delivery: Delivery) -> None:
        """As the worker does: settle inside the handlers' transaction, ``settled`` after its commit."""
        with self.manager.session() as session:
            self.bus.settle(delivery, session=session)
        self.bus.settled(delivery)

    def retry(self, delivery: Delivery, *, delay_s: float, error: str) -> None:
        with self.manager.session() as session:
            self.bus.retry(delivery, session=session, delay_s=delay_s, error=error)

    def bury(self, delivery: Delivery, *, error: str) -> None:
        with self.manager.session() as session:
            self.bus.bury(delivery, session=session, error=error)

    def dead_letter(self, event_id: uuid.UUID, *, within_s: float = 10) -> tuple[Event, int, str | None]:
        """The dead letter of ``event_id``: (event, attempts, error)."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            for event, attempts, error in self._dead_letters():
                if event.id == event_id:
                    return event, attempts, error
            time.sleep(0.1)
        raise AssertionError(f"event {event_id} is not among the dead letters")

    def _dead_letters(self) -> list[tuple[Event, int, str | None]]:
        if isinstance(self.bus, PubSubBus):
            return [(d.event, d.attempts, d.error) for d in self.bus.dead_letters()]
        with self.manager.session() as session:
            return queue_sql.dead_letters(session)


def make_event(company_id: int | None = 7, **fields: object) -> Event:
    """An event of company ``company_id``, like an import's."""
    values: dict[str, object] = {
        "type": "employees.imported",
        "category": "employee_master",
        "entity_id": None,
        "company_id": company_id,
        "actor": "user:analyst@example.jp",
        "payload": {"created": 3, "updated": 1},
        **fields,
    }
    return Event(**values)  # type: ignore[arg-type]


def pubsub_settings(settings: Settings, host: str, **overrides: Any) -> Settings:
    """``settings`` on the emulator, with topics and subscriptions of their own (no test sees another's)."""
    suffix = secrets.token_hex(4)
    return settings.model_copy(
        update={
            "event_backend": "pubsub",
            "google_cloud_project": emulators.PROJECT,
            "pubsub_emulator_host": host,
            "pubsub_topic": f"events-{suffix}",
            "pubsub_subscription": f"workers-{suffix}",
            "pubsub_dead_letter_topic": f"dead-{suffix}",
            "event_visibility_s": LEASE_S["pubsub"],
            **overrides,
        }
    )


@pytest.fixture
def make_bus(fresh_schema: Callable[[], Settings], request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens a bus of an adapter on a fresh peer: ``make_bus("pubsub", event_max_attempts=2)``."""
    opened: list[Bus] = []

    def make(backend: str, **overrides: Any) -> BusUnderTest:
        if backend == "pubsub":
            host = request.getfixturevalue("pubsub_host")  # skips when the emulator is not installed
            settings = pubsub_settings(fresh_schema(), host, **overrides)
            setup(settings)
        else:
            settings = fresh_schema().model_copy(
                update={"event_visibility_s": LEASE_S["postgres"], **overrides}
            )
        DatabaseManager.reset()
        manager = DatabaseManager()
        manager.configure(settings)
        upgrade(manager.engine)
        bus = open_bus(manager, settings)
        opened.append(bus)
        return BusUnderTest(backend, bus, manager, settings, settings.event_visibility_s)

    yield make
    for bus in opened:
        bus.close()
    DatabaseManager.reset()


@pytest.fixture(params=["postgres", "pubsub"])
def bus_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bus(bus_backend: str, make_bus: Callable[..., BusUnderTest]) -> BusUnderTest:
    """The bus of the test's adapter, on a fresh peer."""
    return make_bus(bus_backend)


@pytest.fixture
def live_local(live_settings: Settings, tmp_path: Path) -> Iterator[DatabaseManager]:
    """``live`` with an embedded document store in a file, so that worker processes share it."""
    settings = live_settings.model_copy(update={"data_dir": tmp_path})
    DatabaseManager.reset()
    mgr = DatabaseManager()
    mgr.configure(settings, documents=LocalDocumentStore(settings.documents_path))
    with mgr.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield mgr
    mgr.documents.close()
    DatabaseManager.reset()


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker process on the live schema and the file store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    return env | {
        "WELLNESS_DATABASE_URL": str(settings.database_url),
        "WELLNESS_DATABASE_SCHEMA": str(settings.database_schema),
        "WELLNESS_DATA_DIR": str(settings.data_dir),
        "WELLNESS_LOG_LEVEL": "warning",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
