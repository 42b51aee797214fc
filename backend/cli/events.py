"""``wellness events``: the event bus's own resources."""

from __future__ import annotations

import typer

from backend.cli.common import err, run
from backend.config import get_settings

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
