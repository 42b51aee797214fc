"""``wellness worker``: relay the outboxes and run the event handlers."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import typer

from backend.cli.common import err, run
from backend.database import DatabaseManager
from backend.database import migration as mig
from backend.service.bigquery.service import open_service
from backend.service.events.bus import Delivery
from backend.service.events.worker import Worker


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
        warehouse = open_service(manager.settings)
        w = Worker(manager, on_outcome=report, warehouse=warehouse)

        def stop(signum: int, frame: FrameType | None) -> None:
            err.print("stopping after the event in hand ...")
            w.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        err.print(f"worker on the {w.bus.name} bus" + (": draining what is pending" if until_idle else ""))
        try:
            if until_idle:
                w.run_until_idle(timeout_s=timeout)
            else:
                w.run()
        finally:
            if warehouse is not None:
                warehouse.close()

    run(work)
