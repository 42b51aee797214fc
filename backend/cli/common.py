"""What every command shares: the error console and running an action with the database open."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from backend.database import DatabaseManager
from backend.database import migration as mig
from backend.database.postgres import install_signal_handlers
from backend.errors import ValidationFailed, WellnessError

err = Console(stderr=True)
T = TypeVar("T")


def run(action: Callable[[], T], *, migrate: bool = False) -> T:
    """Run ``action`` with the database open (``migrate``: at the newest schema first); a user-facing
    error ends the command with its message and exit code 1."""
    install_signal_handlers()
    try:
        if migrate:
            mig.upgrade(DatabaseManager().engine)
        return action()
    except ValidationFailed as exc:
        err.print("[red]error:[/red] the input is not valid:")
        for problem in exc.problems:
            err.print(f"  {problem.describe()}")
        raise typer.Exit(code=1) from exc
    except WellnessError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=1) from exc
    finally:
        DatabaseManager.reset()
