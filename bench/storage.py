"""Object storage: an upload of 100 MB through each adapter vs the raw baseline on the same peer,
each pair in one process.

    .venv/bin/python bench/storage.py [--mb 100] [--rounds 3] [--only local|gcs]

1. local: ``LocalStorage.put`` of a stream (a temporary file in the object's folder, fsync, rename)
   vs ``shutil.copyfileobj`` of the same stream into a file in the same folder. The adapter flushes
   the file to disk before renaming it (a report marked done must survive a power cut), which the
   plain copy does not; a second line gives the plain copy followed by the same fsync, so the
   adapter's own overhead shows apart from the price of durability.
2. gcs, on one fake-gcs-server: ``GcsStorage.put`` of a stream (resumable, 16 MiB requests, read
   once) vs the raw client's ``blob.upload_from_file`` of the same stream with its defaults (one
   100 MiB request, the whole file in memory), and vs the raw client with the same 16 MiB chunks
   (the adapter's own overhead); and ``put`` of bytes (one request up to 128 MiB) vs the raw default.

Ratios are raw time / adapter time (1.0 = no overhead; target >= 0.8); the best of --rounds runs
counts, the sides alternating which goes first. The peak of Python's own allocations during one
upload (tracemalloc, in a run of its own) shows that the 100 MB never sits in memory a second time.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.service.storage.gcs import UPLOAD_CHUNK_BYTES
from backend.service.storage.links import LinkSigner
from backend.service.storage.local import LocalStorage
from backend.service.storage.port import CHUNK_BYTES

MB = 1024 * 1024
PDF = "application/pdf"


@dataclass(frozen=True)
class Comparison:
    name: str
    project_s: float
    raw_s: float
    size: int
    peak_bytes: int | None = None  # Python allocations during one adapter upload

    @property
    def ratio(self) -> float:
        return self.raw_s / self.project_s

    def line(self, target: float = 0.8) -> str:
        mb = self.size / MB
        peak = f"   peak {self.peak_bytes / MB:6.1f} MiB" if self.peak_bytes is not None else ""
        return (
            f"{self.name:<44} adapter {self.project_s:6.3f} s ({mb / self.project_s:6.0f} MB/s)   "
            f"raw {self.raw_s:6.3f} s ({mb / self.raw_s:6.0f} MB/s)   ratio {self.ratio:4.2f} "
            f"(target >= {target}){peak}"
        )


def best_of(project: Callable[[], float], raw: Callable[[], float], rounds: int) -> tuple[float, float]:
    """Best time of each side over ``rounds`` (after one warm-up each), alternating the order."""
    project(), raw()
    best = {"project": float("inf"), "raw": float("inf")}
    for i in range(rounds):
        sides = [("project", project), ("raw", raw)]
        for side, fn in sides if i % 2 == 0 else sides[::-1]:
            best[side] = min(best[side], fn())
    return best["project"], best["raw"]


def peak_allocation(upload: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        upload()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def timed(upload: Callable[[], object]) -> float:
    started = time.perf_counter()
    upload()
    return time.perf_counter() - started


# --- 1. the local folder ----------------------------------------------------------------------


def local_upload(tmp: Path, data: bytes, rounds: int) -> list[Comparison]:
    storage = LocalStorage(tmp / "objects", LinkSigner(key=b"k" * 32, base_url="http://127.0.0.1"))
    folder = tmp / "objects" / "bench"
    folder.mkdir(parents=True, exist_ok=True)

    def project() -> float:
        return timed(lambda: storage.put("bench/adapter.pdf", io.BytesIO(data), content_type=PDF))

    def raw(sync: bool) -> Callable[[], float]:
        def copy() -> None:
            with (folder / "raw.pdf").open("wb") as out:
                shutil.copyfileobj(io.BytesIO(data), out, CHUNK_BYTES)
                if sync:
                    out.flush()
                    os.fsync(out.fileno())

        return lambda: timed(copy)

    peak = peak_allocation(lambda: storage.put("bench/peak.pdf", io.BytesIO(data), content_type=PDF))
    results = []
    for name, baseline in (("local vs copyfileobj", raw(False)), ("local vs copyfileobj + fsync", raw(True))):
        project_s, raw_s = best_of(project, baseline, rounds)
        results.append(Comparison(name, project_s, raw_s, len(data), peak))
    return results


# --- 2. Cloud Storage on fake-gcs-server ------------------------------------------------------


def gcs_upload(tmp: Path, data: bytes, rounds: int, chunk_size: int = UPLOAD_CHUNK_BYTES) -> list[Comparison]:
    from backend.service.storage.gcs import GcsStorage, gcs_client
    from tests.emulators import PROJECT, fake_gcs_server

    with fake_gcs_server(tmp) as host:
        client = gcs_client(project=PROJECT, emulator_host=host)
        bucket = client.create_bucket(f"bench-{secrets.token_hex(4)}")
        storage = GcsStorage(client, bucket.name, chunk_size=chunk_size)

        def put(source: Callable[[], bytes | io.BytesIO]) -> Callable[[], float]:
            return lambda: timed(lambda: storage.put("bench/adapter.pdf", source(), content_type=PDF))

        def raw(chunk: int | None) -> Callable[[], float]:
            blob = bucket.blob("bench/raw.pdf", chunk_size=chunk)
            return lambda: timed(lambda: blob.upload_from_file(io.BytesIO(data), content_type=PDF))

        mib = chunk_size // MB
        pairs = [
            (f"gcs stream ({mib} MiB requests) vs raw default", lambda: io.BytesIO(data), None),
            (f"gcs stream vs raw with {mib} MiB chunks too", lambda: io.BytesIO(data), chunk_size),
            ("gcs bytes vs raw default", lambda: data, None),
        ]
        results = []
        for name, source, chunk in pairs:
            peak = peak_allocation(lambda s=source: storage.put("bench/peak.pdf", s(), content_type=PDF))
            project_s, raw_s = best_of(put(source), raw(chunk), rounds)
            results.append(Comparison(name, project_s, raw_s, len(data), peak))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=100, help="size of the upload in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["local", "gcs"], help="run one adapter")
    parser.add_argument(
        "--chunk-mib", type=int, default=UPLOAD_CHUNK_BYTES // MB, help="the gcs adapter's request size"
    )
    args = parser.parse_args()
    data = os.urandom(args.mb * MB)
    print(f"upload of {args.mb} MiB, best of {args.rounds} rounds", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "local"):
            for result in local_upload(Path(tmp), data, args.rounds):
                print(result.line(), flush=True)
        if args.only in (None, "gcs"):
            for result in gcs_upload(Path(tmp), data, args.rounds, args.chunk_mib * MB):
                print(result.line(), flush=True)


if __name__ == "__main__":
    main()
