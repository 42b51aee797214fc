"""The worker: relays the outboxes, claims events from the bus and runs their handlers.

Each event is handled in one PostgreSQL transaction that holds the handlers' SQL effects, their
ledger rows, the counters and (on the PostgreSQL bus) the acknowledgement. A failure rolls all of
that back and schedules a retry after an exponential backoff with jitter; after
``event_max_attempts`` deliveries the event becomes a dead letter with its last error. While a
handler runs, a heartbeat extends the event's lease, so a slow handler is not delivered twice; a
worker killed mid-event leaves the lease to run out, and another worker takes the event over.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from backend.config import Settings
from backend.database import DatabaseManager, queue_sql
from backend.database.routing import DOCUMENT_OUTBOX
from backend.service.events.bus import Bus, Delivery, open_bus
from backend.service.events.handlers import HANDLERS, Handler, HandlerContext, handlers_for, needs_order
from backend.service.events.relay import Relay
from backend.service.storage import open_storage

if TYPE_CHECKING:
    from backend.service.bigquery.service import BigQueryService
    from backend.service.storage.port import ObjectStorage

log = logging.getLogger(__name__)
CLAIM = 10
Progress = Callable[[Delivery, str], None]  # (delivery, outcome: handled | retried | dead | lost)


def backoff_s(attempt: int, settings: Settings, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: a random delay between half and all of base × 2^(attempt−1)."""
    ceiling = min(settings.event_backoff_max_s, settings.event_backoff_base_s * 2.0 ** (attempt - 1))
    return float(ceiling * (0.5 + rand() / 2))


class Worker:
    def __init__(
        self,
        manager: DatabaseManager,
        *,
        bus: Bus | None = None,
        handlers: tuple[Handler, ...] = HANDLERS,
        on_outcome: Progress | None = None,
        warehouse: BigQueryService | None = None,
        storage: ObjectStorage | None = None,
    ) -> None:
        self.manager = manager
        self.warehouse = warehouse
        self.storage = storage or open_storage(manager.settings)
        self.settings = manager.settings
        self.bus = bus or open_bus(manager, self.settings, ordered=needs_order(handlers))
        self.relay = Relay(manager, self.bus)
        self.handlers = handlers
        self.on_outcome = on_outcome
        self.stopping = threading.Event()
        self._heartbeat = _Heartbeat(self.bus, self.settings.event_visibility_s / 3)
        self._ahead: list[Delivery] = []  # claimed in the transaction that settled the last claim
        self._listener: queue_sql.Listener | None = None  # while ``run`` listens
        self._relay_more = True  # the last relay pass moved events: more may be waiting
        self._relay_at = 0.0  # when the outboxes are looked at without a wake-up (monotonic)

    # --- one event -------------------------------------------------------------------------------

    def process(self, delivery: Delivery) -> str:
        """Handle one delivery; answers its outcome."""
        return self.process_all([delivery])[0]

    def process_all(self, deliveries: list[Delivery]) -> list[str]:
        """Handle deliveries; answers each one's outcome, in order.

        First all together, in one transaction with one acknowledgement (the common case, where
        nothing fails: a few round trips for the whole claim). When anything fails, that
        transaction rolls back whole and the events run again one savepoint each, so a failing
        handler rolls back its own event only."""
        with self._heartbeat.holding(deliveries):
            runnable = [d for d in deliveries if d.attempt <= self.settings.event_max_attempts]
            if len(runnable) == len(deliveries) and len(deliveries) > 1:
                try:
                    self._all_at_once(deliveries)
                except Exception as exc:
                    log.info(
                        "a claim of %d events failed together (%s); handling them one by one",
                        len(deliveries),
                        exc,
                    )
                else:
                    return [self._settled(d) for d in deliveries]
            return self._one_by_one(deliveries)

    def _all_at_once(self, deliveries: list[Delivery]) -> None:
        """The claim's handlers, settlement and counters in one transaction, which also claims the
        next events (on the PostgreSQL bus): one commit per claim where a busy worker would need two."""
        store = self.manager.documents
        with self.manager.session(actor="worker") as session:
            for delivery in deliveries:
                ctx = HandlerContext(session, store, delivery.event, self.warehouse, self.storage)
                for handler in handlers_for(delivery.event, self.handlers):
                    handler.run(ctx)
            self.bus.settle_all(deliveries, session=session)  # and counts them
            ahead = None if self.stopping.is_set() else self.bus.receive_in(session, max_events=CLAIM)
        self._ahead = ahead or []  # held only now that the transaction committed

    def _one_by_one(self, deliveries: list[Delivery]) -> list[str]:
        outcomes: dict[int, str] = {}
        failed: dict[int, str] = {}
        handled: list[Delivery] = []
        store = self.manager.documents
        with self.manager.session(actor="worker") as session:
            for n, delivery in enumerate(deliveries):
                event = delivery.event
                if delivery.attempt > self.settings.event_max_attempts:  # a worker died on it each time
                    failed[n] = delivery.last_error or "the worker died on every attempt"
                    continue
                try:
                    with session.begin_nested():
                        ctx = HandlerContext(session, store, event, self.warehouse, self.storage)
                        for handler in handlers_for(event, self.handlers):
                            handler.run(ctx)
                        self.bus.settle(delivery, session=session)
                except queue_sql.LeaseLost as exc:
                    log.warning("%s", exc)
                    outcomes[n] = "lost"
                except Exception as exc:  # any handler failure: retried, then a dead letter
                    log.warning("event %s (%s) failed: %s", event.id, event.type, exc)
                    failed[n] = f"{type(exc).__name__}: {exc}"
                else:
                    handled.append(delivery)
                    outcomes[n] = "handled"
            queue_sql.count_handled(session, (d.event.type for d in handled))
        for n, outcome in outcomes.items():
            outcomes[n] = (
                self._settled(deliveries[n])
                if outcome == "handled"
                else self._outcome(deliveries[n], outcome)
            )
        for n, error in failed.items():
            outcomes[n] = self._fail(deliveries[n], error)
        return [outcomes[n] for n in range(len(deliveries))]

    def _settled(self, delivery: Delivery) -> str:
        self.bus.settled(delivery)
        return self._outcome(delivery, "handled")

    def _fail(self, delivery: Delivery, error: str) -> str:
        with self.manager.session() as session:
            if delivery.attempt >= self.settings.event_max_attempts:
                moved, outcome = self.bus.bury(delivery, session=session, error=error), "dead"
            else:
                delay = backoff_s(delivery.attempt, self.settings)
                moved = self.bus.retry(delivery, session=session, delay_s=delay, error=error)
                outcome = "retried"
            if not moved:  # another worker holds the event now: its outcome is that worker's
                return self._outcome(delivery, "lost")
            queue_sql.count(session, delivery.event.type, outcome)
        return self._outcome(delivery, outcome)

    def _outcome(self, delivery: Delivery, outcome: str) -> str:
        if self.on_outcome is not None:
            self.on_outcome(delivery, outcome)
        return outcome

    # --- loops -----------------------------------------------------------------------------------

    def step(self) -> int:
        """Relay the outboxes where they may hold events, then handle what the bus delivers now
        (first the events claimed ahead); answers how much happened."""
        done = self._relay()
        if self.stopping.is_set():
            return done
        deliveries, self._ahead = self._ahead or self.bus.receive(max_events=CLAIM), []
        if deliveries:
            self.process_all(deliveries)
            done += len(deliveries)
        return done

    def _relay(self) -> int:
        """One pass over both outboxes. Stepped by hand, every step looks; in ``run``, a step looks
        after a NOTIFY from the relational outbox (or the document store's watch), while the last
        pass still moved events, and once every document poll interval (the embedded document store
        cannot notify), so a busy worker does not spend a round trip per claim on empty outboxes."""
        now = time.monotonic()
        if self._listener is not None:
            notified = "event_outbox" in self._listener.poll()
            if not (notified or self._relay_more or now >= self._relay_at):
                return 0
        self._relay_at = now + self.settings.event_document_poll_s
        moved = self.relay.relational() + self.relay.documents()
        self._relay_more = moved > 0
        return moved

    def _give_back(self) -> None:
        """Events claimed ahead and not handled go back on the bus at once (not after their lease)."""
        ahead, self._ahead = self._ahead, []
        if ahead:
            self.bus.release(ahead)

    def _wait_s(self) -> float | None:
        with self.manager.session() as session:
            return self.bus.seconds_until_next(session)

    def run(self) -> None:
        """Until ``stop()``: work, then sleep until a NOTIFY, the next retry, or the document poll.

        Where the document store can watch a collection (Firestore's snapshot listeners), a change
        of its outbox wakes the worker at once, by a NOTIFY like the relational outbox's."""
        self._housekeeping()
        engine = self.manager.engine
        watch = getattr(self.manager.documents, "watch", None)
        unwatch = watch(DOCUMENT_OUTBOX, lambda: queue_sql.wake(engine)) if watch is not None else None
        try:
            with queue_sql.listening(engine) as listener:
                self._listener, self._relay_more = listener, True
                while not self.stopping.is_set():
                    if self.step():
                        continue
                    due = self._wait_s()
                    wait = self.settings.event_document_poll_s if due is None else due
                    listener.wait(min(wait, self.settings.event_document_poll_s))
        finally:
            self._listener = None
            self._give_back()
            if unwatch is not None:
                unwatch()

    def run_until_idle(self, *, timeout_s: float = 600) -> None:
        """Work until both outboxes and the bus hold nothing pending (retries waited for)."""
        self._housekeeping()
        deadline = time.monotonic() + timeout_s
        try:
            while not self.stopping.is_set():
                if self.step():
                    continue
                due = self._wait_s()
                if due is None and self.relay.drain() == 0:
                    return
                if time.monotonic() + (due or 0) > deadline:
                    raise TimeoutError(f"events still pending after {timeout_s:.0f} s")
                time.sleep(min(due or 0.05, 1.0))
        finally:
            self._give_back()

    def _housekeeping(self) -> None:
        """Before working: the warehouse rows that later syncs replaced go (BigQuery keeps them
        otherwise). Here, in the background, rather than in the API's start-up; a scheduled
        ``--until-idle`` job may be the only worker there is."""
        if self.warehouse is not None:
            self.warehouse.prune_or_warn()

    def stop(self) -> None:
        """Finish the event in hand, then return from ``run``. A worker asleep on the bus is woken by
        a NOTIFY, sent from a thread of its own: ``stop`` may be called from a signal handler."""
        self.stopping.set()
        if self._listener is not None:
            threading.Thread(target=self._wake, name="event-worker-stop", daemon=True).start()

    def _wake(self) -> None:
        try:
            queue_sql.wake(self.manager.engine)
        except Exception as exc:  # it stops at its next poll instead
            log.warning("could not wake the worker to stop it: %s", exc)


class _Heartbeat:
    """Extends the leases of the deliveries in hand every ``every_s``, from one thread per worker
    that lives while the worker is busy (it ends at the first beat that finds nothing held)."""

    def __init__(self, bus: Bus, every_s: float) -> None:
        self._bus, self._every = bus, every_s
        self._lock = threading.Lock()
        self._held: list[Delivery] = []
        self._thread: threading.Thread | None = None

    @contextmanager
    def holding(self, deliveries: list[Delivery]) -> Iterator[None]:
        with self._lock:
            self._held = deliveries
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, daemon=True, name="event-heartbeat")
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held = []

    def _beat(self) -> None:
        while True:
            time.sleep(self._every)
            with self._lock:
                held = self._held
                if not held:
                    self._thread = None  # decided under the lock: ``holding`` starts a new one
                    return
            for delivery in held:
                try:
                    self._bus.extend(delivery)
                except Exception as exc:  # a missed beat only risks a redelivery, which the ledger absorbs
                    log.warning("could not extend the lease of event %s: %s", delivery.event.id, exc)
