"""Object storage in Google Cloud Storage; links are V4 signed URLs that go to Cloud Storage itself.

Signing needs a private key. A service account key file has one; the credentials of Cloud Run (the
metadata server) do not, so then the URL is signed by IAM ``signBlob`` as the service account, which
needs the role Service Account Token Creator on itself. ``STORAGE_EMULATOR_HOST`` (fake-gcs-server)
is honoured, with anonymous credentials for the API calls.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, BinaryIO, TypeVar, cast

import google.auth
import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.api_core import exceptions as api_errors
from google.auth.credentials import AnonymousCredentials, Credentials, Signing
from google.cloud.storage import Client

from backend.errors import NotFound, Unavailable
from backend.service.storage.links import content_disposition, download_name, seconds
from backend.service.storage.names import check_content_type, check_filename, check_path, check_prefix
from backend.service.storage.port import CHUNK_BYTES, ObjectInfo

UPLOAD_CHUNK_BYTES = 16 * 1024 * 1024  # per request of a streamed upload (a multiple of 256 KiB)
MAX_ONE_REQUEST_BYTES = 128 * 1024 * 1024  # bytes up to this size go in one request
_CHUNK_MULTIPLE = 256 * 1024
_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
T = TypeVar("T")


def emulator_url(host: str) -> str:
    """``host:port`` or ``http://host:port`` as a URL (the Google client accepts both spellings)."""
    return host if host.startswith(("http://", "https://")) else f"http://{host}"


def gcs_client(*, project: str | None, emulator_host: str | None) -> Client:
    """The Cloud Storage client: Application Default Credentials, or the emulator anonymously."""
    if emulator_host:
        return Client(
            project=project or "emulator",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": emulator_url(emulator_host)},
        )
    return Client(project=project)


class GcsStorage:
    """``ObjectStorage`` on one Cloud Storage bucket."""

    def __init__(
        self,
        client: Client,
        bucket: str,
        *,
        signing_credentials: Credentials | None = None,
        chunk_size: int = UPLOAD_CHUNK_BYTES,
    ) -> None:
        self.client = client
        self.bucket = client.bucket(bucket)
        self.chunk_size = chunk_size
        self._signing_credentials = signing_credentials  # None: Application Default Credentials

    def put(self, path: str, data: bytes | BinaryIO, *, content_type: str) -> ObjectInfo:
        check_path(path)
        content_type = check_content_type(content_type)
        if isinstance(data, bytes):
            # Already in memory: one request when it fits (reading a whole BytesIO copies nothing).
            chunk = self.chunk_size if len(data) > MAX_ONE_REQUEST_BYTES else _chunks_of(len(data))
            stream, size = cast(BinaryIO, io.BytesIO(data)), len(data)
        else:
            chunk, stream, size = self.chunk_size, cast(BinaryIO, _Forward(data)), None
        blob = self.bucket.blob(path, chunk_size=chunk)
        # Resumable (multipart in one request when the size is known and small); an upload that
        # fails is never finished, so Cloud Storage keeps no object and the one before stays.
        _call(lambda: blob.upload_from_file(stream, size=size, content_type=content_type), path)
        return _info(blob)

    def get(self, path: str) -> bytes:
        blob = self.bucket.blob(check_path(path))
        return cast(bytes, _call(blob.download_as_bytes, path))

    def open(self, path: str) -> BinaryIO:
        blob = self.bucket.blob(check_path(path))
        _call(blob.reload, path)  # fail now, not at the first read; pins the generation read
        return cast(BinaryIO, blob.open("rb", chunk_size=CHUNK_BYTES))

    def stat(self, path: str) -> ObjectInfo:
        blob = self.bucket.blob(check_path(path))
        _call(blob.reload, path)
        return _info(blob)

    def exists(self, path: str) -> bool:
        blob = self.bucket.blob(check_path(path))
        return bool(_call(blob.exists, path))

    def delete(self, path: str) -> bool:
        blob = self.bucket.blob(check_path(path))
        try:
            _call(blob.delete, path)
        except NotFound:
            return False
        return True

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        check_prefix(prefix)
        blobs = _call(lambda: list(self.client.list_blobs(self.bucket, prefix=prefix or None)), prefix)
        return sorted((_info(blob) for blob in blobs), key=lambda info: info.path)

    def link(self, path: str, expires_in: timedelta, filename: str | None = None) -> str:
        blob = self.bucket.blob(check_path(path))
        name = download_name(path, check_filename(filename) if filename is not None else None)
        arguments = signing_arguments(self._signer(), google.auth.transport.requests.Request())
        url = blob.generate_signed_url(
            version="v4",
            expiration=timedelta(seconds=seconds(expires_in)),
            method="GET",
            response_disposition=content_disposition(name),
            **arguments,
        )
        return cast(str, url)

    def _signer(self) -> Credentials:
        if self._signing_credentials is None:
            self._signing_credentials, _ = google.auth.default(scopes=_SCOPES)
        return self._signing_credentials


def signing_arguments(credentials: Credentials, request: google.auth.transport.Request) -> dict[str, Any]:
    """The arguments of ``generate_signed_url`` that sign with ``credentials``: the credentials
    themselves when they hold a private key, else the service account's email and a fresh access
    token, so the client signs through IAM signBlob (the metadata server's credentials on Cloud Run)."""
    if isinstance(credentials, Signing):
        return {"credentials": credentials}
    email = getattr(credentials, "service_account_email", None)
    if not credentials.valid or not email or email == "default":
        credentials.refresh(request)  # type: ignore[no-untyped-call]  # the metadata server names the account only once asked
        email = getattr(credentials, "service_account_email", None)
    if not email or email == "default" or not credentials.token:
        raise Unavailable(
            "Cannot sign download links: the credentials hold no private key and name no service "
            "account to sign as through IAM. Run as a service account (Cloud Run does) or use a key file."
        )
    return {"service_account_email": email, "access_token": credentials.token}


class _Forward(io.RawIOBase):
    """A stream read once, as the upload library wants one: ``read(n)`` gives n bytes unless the
    stream ends (a short read would end the upload early), ``tell`` counts what was read, and
    ``seek`` can step back within the last read (a chunk sent again after a failed request)."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._last = b""  # what the last read returned, ending at self._taken
        self._taken = 0  # bytes taken from the source
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or not self._taken - len(self._last) <= offset <= self._taken:
            raise io.UnsupportedOperation("a stream read once can only go back within its last chunk")
        self._position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        want = size if size is not None and size >= 0 else sys.maxsize
        parts = []
        if self._position < self._taken:  # sending the last chunk again
            start = len(self._last) - (self._taken - self._position)
            parts.append(self._last[start : start + want])
        fresh = False
        if not parts:
            self._last = b""  # reading on from the end: the chunk before was taken, let it go
        while (got := sum(map(len, parts))) < want:
            piece = self._source.read(min(want - got, CHUNK_BYTES * 16))
            if not piece:
                break
            parts.append(piece)
            self._taken += len(piece)
            fresh = True
        result = b"".join(parts)
        self._position += len(result)
        if fresh:
            self._last = result
        return result

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)


def _chunks_of(size: int) -> int:
    """The smallest chunk size Cloud Storage accepts that holds ``size`` bytes."""
    return max(1, -(-size // _CHUNK_MULTIPLE)) * _CHUNK_MULTIPLE


def _call(operation: Callable[[], T], path: str) -> T:
    with _errors(path):
        return operation()


@contextmanager
def _errors(path: str) -> Iterator[None]:
    """Cloud Storage's errors as the project's: NotFound, or Unavailable saying what failed."""
    try:
        yield
    except api_errors.NotFound:
        raise NotFound(f"There is no stored object {path!r}.", details={"path": path}) from None
    except (
        api_errors.GoogleAPIError,
        google.auth.exceptions.GoogleAuthError,
        requests.exceptions.RequestException,
    ) as exc:
        raise Unavailable(
            f"Cloud Storage did not do what was asked for {path!r}: {exc}. Check the bucket, the "
            "service account's roles and the network; then try again.",
            details={"path": path},
        ) from exc


def _info(blob: Any) -> ObjectInfo:
    return ObjectInfo(
        path=blob.name,
        size=int(blob.size or 0),
        content_type=blob.content_type or "application/octet-stream",
        updated=blob.updated,
    )
