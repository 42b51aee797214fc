"""Helpers shared by the tests (not fixtures)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import psutil

from backend.config import Settings


def make_settings(url: str, tmp: Path, **overrides: object) -> Settings:
    """Settings for a test, ignoring any .env file and WELLNESS_ variables of the developer."""
    return Settings(_env_file=None, database_url=url, data_dir=tmp, **overrides)  # type: ignore[call-arg]


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def wait_gone(pid: int, seconds: float = 15) -> bool:
    """True once ``pid`` has exited (a zombie waiting for a reaper counts as exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
