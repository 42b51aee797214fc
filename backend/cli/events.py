"""``wellness events``: the event bus's own resources, and the state of the queue."""

from __future__ import annotations

import typer
from rich.table import Table

from backend.cli.common import err, run
from backend.config import get_settings
from backend.database import DatabaseManager
from backend.service.events.stats import EventStats, stats

app = typer.Typer(help="The event bus (WELLNESS_EVENT_BACKEND).", no_args_is_help=True)


@app.command("setup")
def events_setup() -> None:
    """Create the Pub/Sub topics and subscriptions the bus needs (safe to run again)."""
    settings = get_settings()
    if settings.event_backend != "pubsub":
        err.print(
            f"WELLNESS_EVENT_BACKEND is {settings.event_backend}: nothing to set up (its queue tables come "
            "with `wellness db upgrade`). Set WELLNESS_EVENT_BACKEND=pubsub to create the Pub/Sub resources."
        )
        return
    from backend.service.events.pubsub_resources import setup  # Google's client loads only here

    for step in run(lambda: setup(settings)):
        typer.echo(step.describe())


@app.command("stats")
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
