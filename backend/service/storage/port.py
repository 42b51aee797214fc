"""The object storage port: named blobs of bytes (report files) and expiring download links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

CHUNK_BYTES = 1024 * 1024  # what a stream is read and written by
MAX_LINK_TTL = timedelta(days=7)  # the longest a V4 signed URL can live; the local links keep to it


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows of one object."""

    path: str
    size: int
    content_type: str
    updated: datetime  # timezone-aware UTC


class ObjectStorage(Protocol):
    """Objects by name (``reports/株式会社テスト/2026-12.pdf``, see ``names.check_path``).

    A write is all or nothing: a failed ``put`` (the stream raising half-way) leaves no object and
    whatever was there before. A missing object is ``NotFound``; a bad name ``ValidationFailed``.
    """

    def put(self, path: str, data: bytes | BinaryIO, *, content_type: str) -> ObjectInfo:
        """Store ``data`` (bytes, or a binary stream read from where it stands to its end, a chunk
        at a time) under ``path``, replacing any object there."""
        ...

    def get(self, path: str) -> bytes:
        """The whole object (for small ones; ``open`` streams)."""
        ...

    def open(self, path: str) -> BinaryIO:
        """The object for reading, a chunk at a time; close it (it is a context manager)."""
        ...

    def stat(self, path: str) -> ObjectInfo:
        """Size, content type and time of the object."""
        ...

    def exists(self, path: str) -> bool:
        """Whether there is an object at ``path``."""
        ...

    def delete(self, path: str) -> bool:
        """Remove the object; False when there was none (deleting twice is no error)."""
        ...

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object whose name starts with ``prefix`` (a string prefix, as in Cloud Storage),
        in name order."""
        ...

    def link(self, path: str, expires_in: timedelta, filename: str | None = None) -> str:
        """A URL that downloads the object without a sign-in until ``expires_in`` from now (at most
        7 days), saved as ``filename`` (default: the name's last part)."""
        ...
