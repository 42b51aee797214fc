"""Google's emulators as test peers: started by the tests themselves, each in its own process group.

A missing emulator skips the tests that need it, naming what is missing; an emulator that is
present but does not come up fails them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import free_port

PROJECT = "demo-wellness"
FIRESTORE_JAR = Path(
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
)
PUBSUB_EMULATOR = Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running(command: list[str], *, url: str, log: Path, name: str, timeout_s: float = 90) -> Iterator[None]:
    """Start ``command`` in a new process group, wait for ``url`` to answer, stop the whole group after."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while not _ready(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                pytest.fail(f"{name} is installed but did not start (exit {proc.poll()}); its log:\n{tail}")
            time.sleep(0.2)
        yield
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def firestore_emulator(log_dir: Path) -> Iterator[str]:
    """host:port of a fresh Firestore emulator; skips when it is not installed."""
    if not FIRESTORE_JAR.exists():
        pytest.skip(
            f"Firestore emulator not installed: {FIRESTORE_JAR} is missing "
            "(gcloud component cloud-firestore-emulator)"
        )
    java = shutil.which("java")
    if java is None:
        pytest.skip("Firestore emulator needs Java: no `java` on PATH")
    port = free_port()
    command = [
        java,
        "-cp",
        str(FIRESTORE_JAR),
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        "start",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--project_id={PROJECT}",
    ]
    with running(
        command, url=f"http://127.0.0.1:{port}/", log=log_dir / "firestore.log", name="The Firestore emulator"
    ):
        yield f"127.0.0.1:{port}"


@contextmanager
def pubsub_emulator(log_dir: Path) -> Iterator[str]:
    """host:port of a fresh Pub/Sub emulator (any project id works on it); skips when it is not installed."""
    if not PUBSUB_EMULATOR.exists():
        pytest.skip(
            f"Pub/Sub emulator not installed: {PUBSUB_EMULATOR} is missing (gcloud component pubsub-emulator)"
        )
    if shutil.which("java") is None:
        pytest.skip("Pub/Sub emulator needs Java: no `java` on PATH")
    port = free_port()
    command = [str(PUBSUB_EMULATOR), "--host=127.0.0.1", f"--port={port}"]
    # Its HTTP side answers "Ok" on / once the gRPC server is up.
    with running(
        command, url=f"http://127.0.0.1:{port}/", log=log_dir / "pubsub.log", name="The Pub/Sub emulator"
    ):
        yield f"127.0.0.1:{port}"


def wipe_firestore(host: str) -> None:
    """Delete every document in the emulator (between tests)."""
    url = f"http://{host}/emulator/v1/projects/{PROJECT}/databases/(default)/documents"
    request = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
