"""Events end to end on the PostgreSQL bus vs a raw SKIP LOCKED queue on the same server.

    .venv/bin/python bench/events.py [--events 20000] [--url postgresql+psycopg://...]

Project path: events committed to the relational outbox (batches of 500, as a busy API would),
then relayed, claimed, handled by a no-op handler (its counter, acknowledgement and the next claim
in one transaction) by ``Worker.run`` in worker processes, the production loop. Raw baseline: rows
committed to a plain table in the same batches, consumed by a loop of ``SELECT … FOR UPDATE SKIP
LOCKED LIMIT 10`` + ``DELETE`` + COMMIT doing the same no-op work. Both claim 10 at a time. Each
runs with one and with two worker processes, producers and workers at the same time. Prints
throughput (events from the first commit to the last handled, per second), the ratio project / raw
(target >= 0.3) and p50/p99 latency from commit to handler.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.config import Settings
from backend.database import DatabaseManager, events, init_db, queue_sql
from backend.service.events.bus import Delivery
from backend.service.events.handlers import Handler, HandlerContext
from backend.service.events.worker import Worker

BATCH = 500
RAW_TABLE = """
CREATE TABLE IF NOT EXISTS bench_raw_queue (
    id bigserial PRIMARY KEY, payload jsonb NOT NULL, committed_at double precision NOT NULL
)"""


def _settings(args: argparse.Namespace, tmp: Path) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp / "data", "log_level": "warning", "event_document_poll_s": 0.05}
    if args.url:
        values["database_url"] = args.url
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _dsn(manager: DatabaseManager) -> str:
    return manager.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- project path ----------------------------------------------------------------------------------


def _project_worker(settings: Settings, total: int, done: Any, results: Any) -> None:
    manager = DatabaseManager()
    manager.configure(settings)
    seen: list[float] = []
    last = [0.0]

    def noop(ctx: HandlerContext) -> None:
        seen.append(time.time() - ctx.event.payload["t"])

    def handled(delivery: Delivery, outcome: str) -> None:
        if outcome == "handled":
            last[0] = time.time()
            with done.get_lock():
                done.value += 1

    worker = Worker(manager, handlers=(Handler("bench_noop", lambda e: True, noop),), on_outcome=handled)

    def stop_when_done() -> None:
        while done.value < total:
            time.sleep(0.005)
        worker.stop()

    threading.Thread(target=stop_when_done, daemon=True).start()
    worker.run()  # the production loop: NOTIFY wake-ups, the outboxes relayed when notified
    results.put((seen, last[0]))
    manager.close()


def _project_produce(manager: DatabaseManager, total: int) -> float:
    first = time.time()
    for start in range(0, total, BATCH):
        with manager.session() as session:
            now = time.time()  # committed right after: latency is measured from here
            batch = [
                events.new_event(
                    "companies", "updated", entity_id=str(n), company_id=1, actor="bench", payload={"t": now}
                )
                for n in range(start, min(total, start + BATCH))
            ]
            events.emit(session, *batch)
    return first


def _project_reset(manager: DatabaseManager) -> None:
    with manager.engine.begin() as conn:
        conn.execute(text("TRUNCATE event_outbox, event_queue, processed_events, event_counters"))


# --- raw baseline ----------------------------------------------------------------------------------


def _raw_worker(dsn: str, total: int, done: Any, results: Any) -> None:
    seen: list[float] = []
    last = 0.0
    with psycopg.connect(dsn) as conn:
        while done.value < total:
            with conn.transaction():
                rows = conn.execute(
                    "SELECT id, committed_at FROM bench_raw_queue ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED"
                ).fetchall()
                if rows:
                    now = time.time()
                    seen += [now - committed for _, committed in rows]
                    conn.execute("DELETE FROM bench_raw_queue WHERE id = ANY(%s)", ([r[0] for r in rows],))
            if rows:
                last = time.time()
                with done.get_lock():
                    done.value += len(rows)
            else:
                time.sleep(0.002)
    results.put((seen, last))


def _raw_produce(dsn: str, total: int) -> float:
    first = time.time()
    with psycopg.connect(dsn) as conn:
        for start in range(0, total, BATCH):
            with conn.transaction(), conn.cursor() as cur:
                now = time.time()
                cur.executemany(
                    "INSERT INTO bench_raw_queue (payload, committed_at) VALUES (%s, %s)",
                    [('{"type": "company.updated"}', now) for _ in range(start, min(total, start + BATCH))],
                )
    return first


# --- running ---------------------------------------------------------------------------------------


def _run(
    workers: int, total: int, target: Callable[..., None], args: tuple[Any, ...], produce: Callable[[], float]
) -> tuple[float, list[float]]:
    ctx = mp.get_context("spawn")
    done, results = ctx.Value("i", 0), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, total, done, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    time.sleep(2.0)  # let the workers connect before the clock starts
    first = produce()
    outcomes = []
    while len(outcomes) < len(procs):
        try:
            outcomes.append(results.get(timeout=1.0))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                sys.exit("a worker process failed (its traceback is above)")
    for p in procs:
        p.join()
    latencies = sorted(x for seen, _ in outcomes for x in seen)
    last = max(end for _, end in outcomes)
    return len(latencies) / (last - first), latencies


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _row(workers: int, path: str, rate: float, latencies: list[float]) -> str:
    p50, p99 = _pct(latencies, 0.5), _pct(latencies, 0.99)
    return f"{workers:>7} {path:<8} {rate:>9,.0f} {p50:>8.1f} {p99:>8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--url", help="a PostgreSQL server (default: an embedded one, in a temporary dir)")
    args = parser.parse_args()
    total = args.events
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(args, Path(tmp))
        manager = DatabaseManager()
        manager.configure(settings)
        init_db()
        dsn = _dsn(manager)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(RAW_TABLE)
            conn.execute("TRUNCATE bench_raw_queue")
        print(f"{total:,} events, batches of {BATCH}, no-op handlers\n")
        print(f"{'workers':>7} {'path':<8} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for workers in (1, 2):
            _project_reset(manager)
            rate, lat = _run(
                workers, total, _project_worker, (settings,), lambda: _project_produce(manager, total)
            )
            raw_rate, raw_lat = _run(workers, total, _raw_worker, (dsn,), lambda: _raw_produce(dsn, total))
            print(_row(workers, "project", rate, lat))
            print(_row(workers, "raw", raw_rate, raw_lat))
            print(f"{workers:>7} ratio project / raw = {rate / raw_rate:.2f} (target >= 0.3)")
        with manager.session() as session:
            assert queue_sql.queue_sizes(session)["pending"] == 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE bench_raw_queue")
        DatabaseManager.reset()


if __name__ == "__main__":
    main()
