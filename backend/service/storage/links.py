"""Download links of the local backend: HMAC-SHA256 over the path, the expiry and the file name.

A link is ``{base}/api/v1/files/{path}?expires=<unix s>&signature=<hex>`` (plus ``&filename=`` when
the download is saved under another name). The signature covers all three, so none of them can be
changed; it is checked in constant time, before the expiry, so a forged link learns nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta

from backend.errors import Forbidden
from backend.service.storage.names import check_filename, check_path
from backend.service.storage.port import MAX_LINK_TTL

ROUTE = "/api/v1/files/"
_PURPOSE = b"wellness/file-link/v1"
INVALID = "This download link is not valid; ask for a new one where you got it."


def seconds(expires_in: timedelta) -> int:
    """``expires_in`` in whole seconds; ValueError outside 1 s to 7 days (Cloud Storage's limit)."""
    if not timedelta(seconds=1) <= expires_in <= MAX_LINK_TTL:
        raise ValueError(f"a link lives from 1 second to 7 days, not {expires_in}")
    return int(expires_in.total_seconds())


@dataclass(frozen=True)
class LinkSigner:
    """Makes and checks the signed links of one key."""

    key: bytes
    base_url: str  # where users reach the API, without a trailing /

    def link(self, path: str, expires_in: timedelta, filename: str | None = None) -> str:
        expires = str(math.ceil(time.time()) + seconds(expires_in))  # never shorter than asked
        query = {"expires": expires}
        if filename is not None:
            query["filename"] = check_filename(filename)
        query["signature"] = self._signature(check_path(path), expires, filename)
        quoted = urllib.parse.quote(path, safe="/")
        return f"{self.base_url}{ROUTE}{quoted}?{urllib.parse.urlencode(query)}"

    def verify(
        self, path: str, *, expires: str | None, signature: str | None, filename: str | None = None
    ) -> None:
        """Forbidden unless the signature is this key's for exactly this path, expiry and name, and
        the expiry is still ahead. The values are as they came in the URL."""
        if expires is None or signature is None:
            raise Forbidden(INVALID + " (It carries no signature.)")
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
            raise Forbidden(INVALID)
        expected = self._signature(path, expires, filename)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise Forbidden(INVALID)
        if time.time() >= int(expires):
            raise Forbidden(
                "This download link has expired; ask for a new one where you got it.",
                details={"expired_at": int(expires)},
            )

    def _signature(self, path: str, expires: str, filename: str | None) -> str:
        # Fields are joined by NUL, which a signed path or name never holds: no two can run together.
        message = b"\x00".join(
            (_PURPOSE, path.encode("utf-8", "surrogatepass"), expires.encode(), _name(filename))
        )
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def _name(filename: str | None) -> bytes:
    return b"-" if filename is None else b"=" + filename.encode("utf-8", "surrogatepass")


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 5987 ``filename*`` for any other."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    quoted = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def download_name(path: str, filename: str | None) -> str:
    """The name a download is saved as: ``filename``, else the object name's last part."""
    return filename or path.rsplit("/", 1)[-1]
