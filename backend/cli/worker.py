"""``wellness worker``: run the event handlers; ``wellness events``: the queue's state and dead letters."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from backend.cli.common import err, run
from backend.database import DatabaseManager
from backend.database import migration as mig
from backend.service.events.bus import Delivery
from backend.service.events.stats import EventStats, stats
from backend.service.events.worker import Worker

events_app = typer.Typer(help="The event queue: its state and its dead letters.", no_args_is_help=True)


def worker(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Drain everything pending, then exit (scripts, tests).")
    ] = False,
    timeout: Annotated[float, typer.Option(help="With --until-idle: give up after this many seconds.")] = 600,
) -> None:
    """Relay both outboxes and handle events until SIGTERM or Ctrl-C (the event in hand is finished)."""
    manager = DatabaseManager()
    logging.basicConfig(level=manager.settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s")

    def report(delivery: Delivery, outcome: str) -> None:
        event = delivery.event
        err.print(f"{outcome:<8} {event.type:<32} {event.id} (attempt {delivery.attempt})")

    def work() -> None:
        mig.upgrade(manager.engine)
        w = Worker(manager, on_outcome=report)

        def stop(signum: int, frame: FrameType | None) -> None:
            err.print("stopping after the event in hand ...")
            w.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        err.print(f"worker on the {w.bus.name} bus" + (": draining what is pending" if until_idle else ""))
        if until_idle:
            w.run_until_idle(timeout_s=timeout)
        else:
            w.run()

    run(work)


@events_app.command("stats")
def events_stats() -> None:
    """Counts per event type, the queue, the outbox and the newest dead letters."""

    def read() -> EventStats:
        with DatabaseManager().session() as session:
            return stats(session)

    found = run(read, migrate=True)
    table = Table("event type", "handled", "retried", "dead", "last")
    for c in found.counters:
        table.add_row(c.type, str(c.handled), str(c.retried), str(c.dead), f"{c.last_at:%Y-%m-%d %H:%M}")
    err.print(table)
    err.print(f"queue: {found.pending} pending, {found.dead} dead; relational outbox: {found.outbox}")
    for d in found.dead_letters:
        err.print(f"dead: {d.type} {d.id} after {d.attempts} attempts: {d.error}")
