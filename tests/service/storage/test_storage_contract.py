"""The object storage contract, run against every adapter: the local folder and Cloud Storage (on
fake-gcs-server, started by the tests; it comes with pip, so this suite never skips).

fake-gcs-server does not check signed-URL signatures or expiry, so here a Cloud Storage link is only
shown to download the right bytes; tampered and expired links are tested on the local adapter's
links (tests/api/test_files.py and test_links.py), which this project checks itself.
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from typing import Any

import pytest

from backend.errors import NotFound, ValidationFailed
from backend.service.storage import ObjectStorage
from tests.service.storage.conftest import Fetch

JAPANESE = "reports/株式会社テスト/2026-12.pdf"
PDF = "application/pdf"
MiB = 1024 * 1024


class Chunks(io.RawIOBase):
    """A one-pass stream (no seek, short reads, as a socket gives) that may fail after ``fail_after``."""

    def __init__(self, total: int, *, fail_after: int | None = None, piece: int = 100_000) -> None:
        self.total, self.fail_after, self.piece, self.sent = total, fail_after, piece, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise RuntimeError("the renderer crashed half-way")
        n = min(len(buffer), self.piece, self.total - self.sent)
        buffer[:n] = pattern(self.sent, n)
        self.sent += n
        return n


def pattern(start: int, n: int) -> bytes:
    """Bytes that differ by position, so a misplaced chunk shows."""
    return bytes((i * 7 + i // 251) % 256 for i in range(start, start + n))


def test_bytes_round_trip(storage: ObjectStorage) -> None:
    info = storage.put("reports/a.pdf", b"%PDF-1.7 hello", content_type=PDF)
    assert (info.path, info.size, info.content_type) == ("reports/a.pdf", 14, PDF)
    assert info.updated.tzinfo is not None
    assert storage.get("reports/a.pdf") == b"%PDF-1.7 hello"
    assert storage.exists("reports/a.pdf")
    assert storage.stat("reports/a.pdf") == storage.list("reports/")[0]


def test_a_one_pass_stream_round_trips_in_chunks(storage: ObjectStorage) -> None:
    size = 3 * MiB + 12_345  # several resumable chunks on Cloud Storage, and a short last one
    info = storage.put("exports/big.bin", Chunks(size), content_type="application/octet-stream")
    assert info.size == size
    with storage.open("exports/big.bin") as stream:
        read = b"".join(iter(lambda: stream.read(MiB), b""))
    assert read == pattern(0, size)


def test_a_stream_is_read_from_where_it_stands(storage: ObjectStorage) -> None:
    source = io.BytesIO(b"header|body")
    source.seek(7)
    storage.put("x/body.txt", source, content_type="text/plain")
    assert storage.get("x/body.txt") == b"body"


def test_japanese_names(storage: ObjectStorage) -> None:
    storage.put(JAPANESE, "月次レポート".encode(), content_type=PDF)
    assert storage.get(JAPANESE) == "月次レポート".encode()
    assert [i.path for i in storage.list("reports/株式会社")] == [JAPANESE]


def test_list_by_prefix_is_a_string_prefix_in_name_order(storage: ObjectStorage) -> None:
    for name in ("r/b/2.pdf", "r/a/1.pdf", "r/ab.pdf", "q/c.pdf", "r/a/0.xlsx"):
        storage.put(name, name.encode(), content_type=PDF)
    assert [i.path for i in storage.list("r/a")] == ["r/a/0.xlsx", "r/a/1.pdf", "r/ab.pdf"]
    assert [i.path for i in storage.list("r/a/")] == ["r/a/0.xlsx", "r/a/1.pdf"]
    assert [i.path for i in storage.list()] == ["q/c.pdf", "r/a/0.xlsx", "r/a/1.pdf", "r/ab.pdf", "r/b/2.pdf"]
    assert storage.list("nothing/") == []
    assert {i.size for i in storage.list("r/b/")} == {len(b"r/b/2.pdf")}


def test_delete(storage: ObjectStorage) -> None:
    storage.put("d/one.pdf", b"1", content_type=PDF)
    storage.put("d/two.pdf", b"2", content_type=PDF)
    assert storage.delete("d/one.pdf") is True
    assert not storage.exists("d/one.pdf")
    assert [i.path for i in storage.list("d/")] == ["d/two.pdf"]
    assert storage.delete("d/one.pdf") is False  # twice is no error


def test_overwrite_replaces_bytes_and_type(storage: ObjectStorage) -> None:
    storage.put("o/file", b"first version", content_type="text/plain")
    info = storage.put("o/file", b"second", content_type=PDF)
    assert (info.size, info.content_type) == (6, PDF)
    assert storage.get("o/file") == b"second"
    assert storage.stat("o/file").content_type == PDF
    assert len(storage.list("o/")) == 1


def test_a_missing_object_is_not_found(storage: ObjectStorage) -> None:
    for call in (storage.get, storage.open, storage.stat):
        with pytest.raises(NotFound, match=r"no stored object 'missing/報告\.pdf'"):
            call("missing/報告.pdf")
    assert not storage.exists("missing/報告.pdf")


TRAVERSAL = [
    "../secret",
    "reports/../../etc/passwd",
    "/etc/passwd",
    "reports/./a.pdf",
    "reports//a.pdf",
    "a\x00b",
    "reports\\..\\a.pdf",
    "reports/a\nb.pdf",
    "reports/\u202efdp.exe",  # right-to-left override: a name that displays as another
    ".meta/reports/a.pdf",
    "reports/",
    "",
    "x" * 1025,
]


@pytest.mark.parametrize("name", TRAVERSAL, ids=repr)
def test_unsafe_names_are_refused_by_every_call(storage: ObjectStorage, name: str) -> None:
    calls = [
        lambda: storage.put(name, b"x", content_type=PDF),
        lambda: storage.get(name),
        lambda: storage.open(name),
        lambda: storage.exists(name),
        lambda: storage.delete(name),
        lambda: storage.link(name, timedelta(minutes=5)),
    ]
    for call in calls:
        with pytest.raises(ValidationFailed) as raised:
            call()
        assert raised.value.fields == ["path"]
    assert storage.list() == []


@pytest.mark.parametrize("prefix", ["../", "/abs", "a\\b", "a/../b"])
def test_unsafe_prefixes_are_refused(storage: ObjectStorage, prefix: str) -> None:
    with pytest.raises(ValidationFailed, match="prefix"):
        storage.list(prefix)


def test_a_content_type_cannot_carry_a_header(storage: ObjectStorage) -> None:
    with pytest.raises(ValidationFailed, match="content_type"):
        storage.put("h/a.pdf", b"x", content_type="application/pdf\r\nSet-Cookie: a=b")
    assert not storage.exists("h/a.pdf")


def test_a_failed_upload_leaves_no_object(storage: ObjectStorage) -> None:
    failing = Chunks(3 * MiB, fail_after=MiB + 5)  # Cloud Storage has had some chunks by then
    with pytest.raises(RuntimeError, match="half-way"):
        storage.put("f/broken.pdf", failing, content_type=PDF)
    assert not storage.exists("f/broken.pdf")
    assert storage.list() == []
    if hasattr(storage, "root"):  # the local adapter leaves no temporary file behind either
        assert [f for _, _, files in os.walk(storage.root) for f in files] == []


def test_a_failed_overwrite_keeps_the_object_before(storage: ObjectStorage) -> None:
    storage.put("f/kept.pdf", b"the good version", content_type=PDF)
    with pytest.raises(RuntimeError):
        storage.put("f/kept.pdf", Chunks(2 * MiB, fail_after=MiB), content_type="text/plain")
    assert storage.get("f/kept.pdf") == b"the good version"
    assert storage.stat("f/kept.pdf").content_type == PDF


def test_a_link_downloads_the_same_bytes(storage: ObjectStorage, fetch: Fetch) -> None:
    body = pattern(0, 2 * MiB + 3)
    storage.put(JAPANESE, body, content_type=PDF)
    status, headers, downloaded = fetch(storage.link(JAPANESE, timedelta(minutes=15)))
    assert status == 200
    assert downloaded == body
    assert headers.get("content-type", headers.get("Content-Type")) == PDF


def test_a_link_to_a_stream_written_object(storage: ObjectStorage, fetch: Fetch) -> None:
    storage.put("s/名前.xlsx", Chunks(600_000), content_type="application/vnd.ms-excel")
    status, _, downloaded = fetch(storage.link("s/名前.xlsx", timedelta(seconds=60), filename="月報.xlsx"))
    assert (status, downloaded) == (200, pattern(0, 600_000))


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(seconds=-5), timedelta(days=7, seconds=1)])
def test_a_link_lives_one_second_to_seven_days(storage: ObjectStorage, expires_in: timedelta) -> None:
    storage.put("l/a.pdf", b"x", content_type=PDF)
    with pytest.raises(ValueError, match="7 days"):
        storage.link("l/a.pdf", expires_in)


def test_a_download_name_is_one_name(storage: ObjectStorage) -> None:
    with pytest.raises(ValidationFailed, match="filename"):
        storage.link("l/a.pdf", timedelta(minutes=1), filename="../x.pdf")


def test_large_bytes_round_trip(storage: ObjectStorage) -> None:
    body = pattern(0, 9 * MiB)  # past Cloud Storage's one-request multipart limit (8 MiB)
    assert storage.put("big/bytes.bin", body, content_type="application/octet-stream").size == len(body)
    assert storage.get("big/bytes.bin") == body
