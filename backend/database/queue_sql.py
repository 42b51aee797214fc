"""The event system's SQL: the relational outbox, the PostgreSQL queue, the ledger, data versions, counters.

Every function takes the caller's session and never commits. Claims are leases: a claim pushes an
event's ``visible_at`` forward by the visibility timeout and counts the attempt; only the holder of
the current attempt may acknowledge, retry or bury it, so a worker that lost its lease (it stalled
past the timeout and another worker claimed the event) can change nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import dict_row
from sqlalchemy import Engine, Integer, Uuid, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from backend.database.events import Event
from backend.database.models_sql import (
    CompanyDataVersion,
    EventCounter,
    EventOutbox,
    EventQueue,
    EventStatus,
    ProcessedEvent,
)

CHANNEL = "wellness_events"  # the NOTIFY channel of the migration's triggers
_EVENT_COLUMNS = [c for c in EventOutbox.__table__.c if c.key != "seq"]
COUNTER_SHARDS = 16
_SHARD = f"mod(pg_backend_pid(), {COUNTER_SHARDS})"  # this connection's shard of its types' counters


class LeaseLost(RuntimeError):
    """The event was claimed again by another worker after this one's visibility timeout ran out."""


# --- relational outbox -----------------------------------------------------------------------------


def take_outbox(session: Session, *, limit: int) -> list[Event]:
    """The oldest outbox events, locked for this transaction (other relays skip them)."""
    query = select(*_EVENT_COLUMNS).order_by(EventOutbox.seq).limit(limit).with_for_update(skip_locked=True)
    return [Event.from_row(row) for row in session.connection().execute(query)]


def remove_from_outbox(session: Session, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        session.connection().execute(delete(EventOutbox).where(EventOutbox.id.in_(ids)))


def move_outbox(session: Session, *, limit: int, ordered: Callable[[Event], bool] | None = None) -> int:
    """``take_outbox`` + ``enqueue`` + ``remove_from_outbox`` in the server, for a queue in the same
    database: the oldest ``limit`` outbox events move to the queue in one statement, in their order,
    without a trip through Python. Answers how many moved. With ``ordered``, the moved events are
    read back to give those it picks their company as ordering key, in the same transaction."""
    with _driver(session).cursor(row_factory=dict_row) as cursor:
        returned = f"RETURNING {_EVENT_NAMES}" if ordered is not None else ""
        cursor.execute(_MOVE.format(limit=int(limit), returned=returned), prepare=False)
        if ordered is None:
            return int(cursor.rowcount)
        rows = cursor.fetchall()
        keyed = [e for e in map(Event.from_row, rows) if ordered(e)]
        for company, ids in _by_company(keyed).items():
            cursor.execute(_SET_ORDERING_KEY, (company, ids))
    return len(rows)


def _by_company(events: Iterable[Event]) -> dict[int, list[uuid.UUID]]:
    found: dict[int, list[uuid.UUID]] = {}
    for event in events:
        if event.company_id is not None:
            found.setdefault(event.company_id, []).append(event.id)
    return found


_EVENT_NAMES = ", ".join(c.name for c in _EVENT_COLUMNS)
_MOVE = f"""
WITH moved AS (
    DELETE FROM event_outbox WHERE id IN (
        SELECT id FROM event_outbox ORDER BY seq LIMIT {{limit:d}} FOR UPDATE SKIP LOCKED)
    RETURNING seq, {_EVENT_NAMES})
INSERT INTO event_queue ({_EVENT_NAMES})
SELECT {_EVENT_NAMES} FROM moved ORDER BY seq
ON CONFLICT (id) DO NOTHING
{{returned}}"""  # noqa: S608 (constants and one formatted number only)
_SET_ORDERING_KEY = "UPDATE event_queue SET ordering_key = %s WHERE id = ANY(%s)"


def outbox_size(session: Session) -> int:
    return int(session.connection().execute(select(func.count()).select_from(EventOutbox)).scalar_one())


# --- the queue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    event: Event
    attempt: int  # 1 on the first delivery
    last_error: str | None


def enqueue(
    session: Session, events: Sequence[Event], *, ordered: Callable[[Event], bool] | None = None
) -> None:
    """Publish onto the queue; an event already there (a relay's retry) is not added twice.

    An event for which ``ordered`` is true gets its company as ordering key: such events of one
    company are claimed one at a time, in the order they were published."""
    if events:
        rows = [
            {**e.to_row(), "ordering_key": e.company_id if ordered is not None and ordered(e) else None}
            for e in events
        ]  # executemany of one compiled statement: a multi-row VALUES would be compiled anew each time
        session.connection().execute(_ENQUEUE, rows)


_ENQUEUE = pg_insert(EventQueue).on_conflict_do_nothing(index_elements=["id"])


# The worker's hot statements (claim, acknowledge, count) are plain SQL on the session's psycopg
# connection, inside its transaction: SQLAlchemy's statement building and execution cost about
# 0.3 ms a statement here, more than the server takes to run them (bench/events.py). The claim and
# the acknowledgement are never prepared: a prepared statement's generic plan is fixed while the
# queue is small (a hash join over a sequential scan) and stays when it holds 20,000 events.
_RETURNED = ", ".join([c.name for c in _EVENT_COLUMNS] + ["attempts", "last_error"])
_PENDING = EventStatus.PENDING.value
# The queue fills and empties within seconds, long before autovacuum's ANALYZE sees it: with
# statistics from an emptier table the planner reads and sorts every pending row (a bitmap scan; 7 ms
# at 20,000 pending) instead of walking the partial index on ``visible_at`` to the first ``limit``
# visible ones (0.2 ms). For the claim's transaction only, it is told to prefer the index; both
# statements go in one round trip (a simple query: the two numbers are written into its text).
_CLAIM = f"""
SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true);
UPDATE event_queue SET attempts = attempts + 1, visible_at = now() + interval '{{lease:.3f}} seconds'
WHERE id IN (
    SELECT q.id FROM event_queue q
    WHERE q.status = '{_PENDING}' AND q.visible_at <= now()
      AND (q.ordering_key IS NULL OR NOT EXISTS (  -- no earlier pending event with the same key
          SELECT FROM event_queue e
          WHERE e.ordering_key = q.ordering_key AND e.status = '{_PENDING}' AND e.seq < q.seq))
    ORDER BY q.visible_at LIMIT {{limit:d}} FOR UPDATE SKIP LOCKED)
RETURNING {_RETURNED}"""  # noqa: S608 (constants and two formatted numbers only)


def _driver(session: Session) -> Any:
    """The psycopg connection under ``session``, in its transaction."""
    return session.connection().connection.driver_connection


def claim(session: Session, *, limit: int, visibility_s: float) -> list[Claimed]:
    """Lease up to ``limit`` visible pending events for ``visibility_s`` seconds (commit to hold it)."""
    statement = _CLAIM.format(limit=int(limit), lease=float(visibility_s))
    with _driver(session).cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement, prepare=False)
        cursor.nextset()  # past the set_config row, to the claimed events
        rows = cursor.fetchall()
    claimed = [Claimed(Event.from_row(row), row["attempts"], row["last_error"]) for row in rows]
    return sorted(claimed, key=lambda c: c.event.occurred_at)


def _current(event_id: uuid.UUID, attempt: int) -> Any:
    table = EventQueue.__table__
    return (table.c.id == event_id) & (table.c.attempts == attempt)


def extend(session: Session, event_id: uuid.UUID, attempt: int, *, visibility_s: float) -> bool:
    """Keep holding the lease for another ``visibility_s``; False when it was lost."""
    statement = (
        update(EventQueue)
        .where(_current(event_id, attempt))
        .values(visible_at=func.now() + timedelta(seconds=visibility_s))
    )
    return session.connection().execute(statement).rowcount == 1


def acknowledge(session: Session, event_id: uuid.UUID, attempt: int) -> None:
    """Remove the handled event in the handler's own transaction; LeaseLost if it is no longer ours."""
    result = session.connection().execute(delete(EventQueue).where(_current(event_id, attempt)))
    if result.rowcount != 1:
        raise LeaseLost(f"event {event_id} was claimed again after attempt {attempt}'s lease ran out")


def acknowledge_all(session: Session, held: Sequence[tuple[uuid.UUID, int]]) -> None:
    """The worker's settlement of many (event id, attempt) pairs, in one statement: the events leave
    the queue and are added to their types' ``handled`` counters. LeaseLost (and nothing removed,
    once the caller rolls back) when any of them is no longer held.

    The transaction then commits without waiting for its WAL flush: it is the worker's, whose
    effects, ledger rows and acknowledgement are lost together in a server crash and redone when the
    event is delivered again."""
    if not held:
        return
    held_ids, attempts = [i for i, _ in held], [a for _, a in held]
    removed = _driver(session).execute(_ACKNOWLEDGE, (held_ids, attempts), prepare=False).fetchone()[0]
    if removed != len(held):
        raise LeaseLost(
            f"{len(held) - removed} of {len(held)} events were claimed again after their lease ran out"
        )


# ``lazily`` sets synchronous_commit for the transaction (it is read at commit time) in the same
# round trip; ``counted`` adds to the counters in the same statement.
_ACKNOWLEDGE = f"""
WITH lazily AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
acked AS (
    DELETE FROM event_queue q USING unnest(%s::uuid[], %s::int[]) AS held(id, attempts), lazily
    WHERE q.id = held.id AND q.attempts = held.attempts
    RETURNING q.type),
counted AS (
    INSERT INTO event_counters (type, shard, handled)
    SELECT type, {_SHARD}, count(*) FROM acked GROUP BY type
    ON CONFLICT (type, shard)
    DO UPDATE SET handled = event_counters.handled + EXCLUDED.handled, last_at = now())
SELECT count(*) FROM acked"""  # noqa: S608 (constants only)


def _pairs(held: Sequence[tuple[uuid.UUID, int]]) -> Any:
    """(event id, attempt) pairs as a table to join with, from two array parameters."""
    ids = bindparam("ids", [i for i, _ in held], type_=ARRAY(Uuid()))
    attempts = bindparam("attempts", [a for _, a in held], type_=ARRAY(Integer()))
    return select(func.unnest(ids).label("id"), func.unnest(attempts).label("attempts")).subquery()


def release(session: Session, held: Sequence[tuple[uuid.UUID, int]]) -> int:
    """Give back leases that were not worked on: visible again now, the attempt not counted.
    Answers how many were still held."""
    if not held:
        return 0
    table: Any = EventQueue.__table__
    pairs = _pairs(held)
    statement = (
        update(table)
        .where(table.c.id == pairs.c.id, table.c.attempts == pairs.c.attempts)
        .values(visible_at=func.now(), attempts=table.c.attempts - 1)
    )
    return int(session.connection().execute(statement).rowcount)


def retry_later(session: Session, event_id: uuid.UUID, attempt: int, *, delay_s: float, error: str) -> bool:
    statement = (
        update(EventQueue)
        .where(_current(event_id, attempt))
        .values(visible_at=func.now() + timedelta(seconds=delay_s), last_error=error[:10_000])
    )
    return session.connection().execute(statement).rowcount == 1


def bury(session: Session, event_id: uuid.UUID, attempt: int, *, error: str) -> bool:
    """Move the event to the dead letters, keeping its last error."""
    statement = (
        update(EventQueue)
        .where(_current(event_id, attempt))
        .values(status=EventStatus.DEAD.value, last_error=error[:10_000])
    )
    return session.connection().execute(statement).rowcount == 1


def seconds_until_next(session: Session) -> float | None:
    """How long until the next pending event becomes visible (0 when one is); None when none waits."""
    table = EventQueue.__table__
    query = select(func.extract("epoch", func.min(table.c.visible_at) - func.now())).where(
        table.c.status == EventStatus.PENDING.value
    )
    value = session.connection().execute(query).scalar()
    return None if value is None else max(0.0, float(value))


def dead_letters(session: Session, *, limit: int = 100) -> list[tuple[Event, int, str | None]]:
    table = EventQueue.__table__
    query = (
        select(*[table.c[c.key] for c in _EVENT_COLUMNS], table.c.attempts, table.c.last_error)
        .where(table.c.status == EventStatus.DEAD.value)
        .order_by(table.c.occurred_at.desc())
        .limit(limit)
    )
    return [(Event.from_row(r), r.attempts, r.last_error) for r in session.connection().execute(query)]


def replay(session: Session, event_id: uuid.UUID) -> bool:
    """Put a dead letter back on the queue as a fresh event (attempts from 0); False if it is not dead."""
    statement = (
        update(EventQueue)
        .where(EventQueue.id == event_id, EventQueue.status == EventStatus.DEAD.value)
        .values(status=EventStatus.PENDING.value, attempts=0, visible_at=func.now())
    )
    return session.connection().execute(statement).rowcount == 1


def in_flight(session: Session) -> tuple[int, float | None]:
    """Pending events claimed and not yet settled (leased), and the age in seconds of the oldest pending."""
    table = EventQueue.__table__
    pending = table.c.status == EventStatus.PENDING.value
    query = select(
        func.count().filter(table.c.attempts > 0, table.c.visible_at > func.now()),
        func.extract("epoch", func.now() - func.min(table.c.enqueued_at)),
    ).where(pending)
    leased, oldest = session.connection().execute(query).one()
    return int(leased), None if oldest is None else float(oldest)


def queue_sizes(session: Session) -> dict[str, int]:
    table = EventQueue.__table__
    query = select(table.c.status, func.count()).group_by(table.c.status)
    sizes = {status.value: 0 for status in EventStatus}
    sizes.update({status: int(n) for status, n in session.connection().execute(query)})
    return sizes


# --- the ledger, data versions, counters -----------------------------------------------------------


def first_time(session: Session, event_id: uuid.UUID, handler: str) -> bool:
    """Record that ``handler`` processed ``event_id`` in this transaction; False if it already had."""
    statement = (
        pg_insert(ProcessedEvent)
        .values(event_id=event_id, handler=handler)
        .on_conflict_do_nothing()
        .returning(ProcessedEvent.event_id)
    )
    return session.connection().execute(statement).first() is not None


def bump_versions(session: Session, companies: Iterable[int]) -> dict[int, int]:
    """Add one to each company's data version; answers the new versions."""
    ids = sorted(set(companies))
    if not ids:
        return {}
    values = pg_insert(CompanyDataVersion).values([{"company_id": c, "version": 1} for c in ids])
    statement = values.on_conflict_do_update(
        index_elements=["company_id"],
        set_={"version": CompanyDataVersion.version + 1, "updated_at": func.now()},
    ).returning(CompanyDataVersion.company_id, CompanyDataVersion.version)
    return {int(c): int(v) for c, v in session.connection().execute(statement)}


def data_versions(session: Session, companies: Iterable[int]) -> dict[int, int]:
    """The data version of each company (0 for a company no event has touched yet)."""
    ids = sorted(set(companies))
    found = dict.fromkeys(ids, 0)
    if ids:
        query = select(CompanyDataVersion.company_id, CompanyDataVersion.version).where(
            CompanyDataVersion.company_id.in_(ids)
        )
        found.update({int(c): int(v) for c, v in session.connection().execute(query)})
    return found


def count_handled(session: Session, event_types: Iterable[str]) -> None:
    """Count handled events (one type per event) in the caller's transaction."""
    for event_type, n in Counter(event_types).items():
        count(session, event_type, "handled", by=n)


def count(session: Session, event_type: str, outcome: str, *, by: int = 1) -> None:
    """Add ``by`` to the ``outcome`` (handled, retried, dead) counter of ``event_type``."""
    _driver(session).execute(_COUNT[outcome], (event_type, by))


_COUNT = {
    outcome: f"""INSERT INTO event_counters (type, shard, {outcome}) VALUES (%s, {_SHARD}, %s)
        ON CONFLICT (type, shard)
        DO UPDATE SET {outcome} = event_counters.{outcome} + EXCLUDED.{outcome}, last_at = now()"""  # noqa: S608
    for outcome in ("handled", "retried", "dead")
}
assert all(outcome in EventCounter.__table__.c for outcome in _COUNT)


def counters(session: Session) -> list[Any]:
    """Per event type (its shards summed): type, handled, retried, dead, last_at."""
    c = EventCounter.__table__.c
    query = (
        select(
            c.type,
            func.sum(c.handled).label("handled"),
            func.sum(c.retried).label("retried"),
            func.sum(c.dead).label("dead"),
            func.max(c.last_at).label("last_at"),
        )
        .group_by(c.type)
        .order_by(c.type)
    )
    return list(session.connection().execute(query).all())


# --- LISTEN ------------------------------------------------------------------------------------------


class Listener:
    """Wake-ups from the event tables' NOTIFY triggers, for this engine's schema only."""

    def __init__(self, engine: Engine) -> None:
        self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        schema = self._conn.execute(text("SELECT current_schema()")).scalar_one()
        self._wanted = {f"{schema}.event_outbox", f"{schema}.event_queue"}
        self._seen: set[str] = set()  # tables a ``wait`` woke for, not yet polled
        self._driver: Any = self._conn.connection.driver_connection
        assert self._driver is not None
        self._driver.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout_s: float) -> bool:
        """Block until a notification for this schema arrives (True) or ``timeout_s`` passes (False)."""
        deadline = datetime.now().timestamp() + max(0.0, timeout_s)
        while (left := deadline - datetime.now().timestamp()) > 0:
            for note in self._driver.notifies(timeout=left, stop_after=1):
                if note.payload in self._wanted:
                    self._seen.add(note.payload.rpartition(".")[2])  # for the next ``poll``
                    return True  # notifications queued meanwhile wake the next wait at once: harmless
        return False

    def poll(self) -> set[str]:
        """The event tables (``event_outbox``, ``event_queue``) notified since the last poll or wait,
        without waiting."""
        seen, self._seen = self._seen, set()
        notes = self._driver.notifies(timeout=0)
        return seen | {note.payload.rpartition(".")[2] for note in notes if note.payload in self._wanted}

    def close(self) -> None:
        try:
            self._driver.execute(f"UNLISTEN {CHANNEL}")
        finally:
            self._conn.close()


def wake(engine: Engine) -> None:
    """Wake the workers listening on this engine's schema, as a write to the outbox would."""
    with engine.connect() as conn:
        conn.execute(
            text("SELECT pg_notify(:channel, current_schema() || '.event_outbox')"), {"channel": CHANNEL}
        )
        conn.commit()


@contextmanager
def listening(engine: Engine) -> Iterator[Listener]:
    listener = Listener(engine)
    try:
        yield listener
    finally:
        listener.close()
