"""Object storage in a folder (``data_dir/objects``): the embedded default, links served by the API.

An object is a plain file at its name (so a report can be opened where it lies) and its content type
a small file at the same name under ``.meta/``. Writes go to a private temporary file in the same
folder, are flushed to disk, then renamed over the name: a failed or interrupted write leaves the
object as it was. Names never start a part with '.', so the store's own files cannot clash with one.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO

from backend.errors import Conflict, NotFound
from backend.service.storage.links import LinkSigner
from backend.service.storage.names import check_content_type, check_path, check_prefix
from backend.service.storage.port import CHUNK_BYTES, ObjectInfo

META = ".meta"
_DEFAULT_TYPE = "application/octet-stream"


class LocalStorage:
    """``ObjectStorage`` on the local file system."""

    def __init__(self, root: Path, signer: LinkSigner) -> None:
        self.root = root
        self.signer = signer

    def put(self, path: str, data: bytes | BinaryIO, *, content_type: str) -> ObjectInfo:
        target, content_type = self._file(path), check_content_type(content_type)
        try:
            self._write(target, data)  # the bytes first: a failure here leaves nothing behind
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise self._clash(path) from None
        self._write(self._meta(path), content_type.encode())
        return self.stat(path)

    def _write(self, target: Path, data: bytes | BinaryIO) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, CHUNK_BYTES)
                out.flush()
                os.fsync(out.fileno())  # on disk before the name points at it
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_dir(target.parent)

    def get(self, path: str) -> bytes:
        with self.open(path) as stream:
            return stream.read()

    def open(self, path: str) -> BinaryIO:
        try:
            return self._file(path).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise _missing(path) from None

    def open_with_info(self, path: str) -> tuple[ObjectInfo, BinaryIO]:
        """The object for reading and what it is, both of the same version (one open file)."""
        stream = self.open(path)
        return self._info(path, os.fstat(stream.fileno())), stream

    def stat(self, path: str) -> ObjectInfo:
        try:
            found = self._file(path).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise _missing(path) from None
        if not S_ISREG(found.st_mode):
            raise _missing(path)
        return self._info(path, found)

    def exists(self, path: str) -> bool:
        try:
            return self._file(path).is_file()
        except OSError:
            return False

    def delete(self, path: str) -> bool:
        try:
            self._file(path).unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return False
        self._meta(path).unlink(missing_ok=True)
        return True

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        check_prefix(prefix)
        folder = self.root / prefix.rpartition("/")[0]
        found = []
        for parent, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith("."):
                    continue
                full = Path(parent) / name
                path = full.relative_to(self.root).as_posix()
                if path.startswith(prefix):
                    try:
                        found.append(self._info(path, full.stat()))
                    except FileNotFoundError:  # deleted while we looked
                        continue
        return sorted(found, key=lambda info: info.path)

    def link(self, path: str, expires_in: timedelta, filename: str | None = None) -> str:
        return self.signer.link(path, expires_in, filename)

    def _file(self, path: str) -> Path:
        return self.root / check_path(path)

    def _meta(self, path: str) -> Path:
        return self.root / META / check_path(path)

    def _info(self, path: str, found: os.stat_result) -> ObjectInfo:
        try:
            content_type = self._meta(path).read_text().strip() or _DEFAULT_TYPE
        except (FileNotFoundError, NotADirectoryError):
            content_type = mimetypes.guess_type(path)[0] or _DEFAULT_TYPE
        updated = datetime.fromtimestamp(found.st_mtime, UTC)
        return ObjectInfo(path=path, size=found.st_size, content_type=content_type, updated=updated)

    def _clash(self, path: str) -> Conflict:
        return Conflict(
            f"{path!r} would be both an object and a folder of objects here; choose another name.",
            details={"path": path},
        )


def _missing(path: str) -> NotFound:
    return NotFound(f"There is no stored object {path!r}.", details={"path": path})


def _sync_dir(folder: Path) -> None:
    """The rename itself on disk too (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
