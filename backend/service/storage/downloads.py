"""Serving the local backend's signed links: check the signature, then open the object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from backend.config import Settings
from backend.errors import NotFound
from backend.service.storage import local_storage
from backend.service.storage.links import download_name
from backend.service.storage.port import ObjectInfo


@dataclass(frozen=True)
class Download:
    """An open object to send, and the name to save it as."""

    info: ObjectInfo
    stream: BinaryIO
    filename: str


def open_download(
    settings: Settings, *, path: str, expires: str | None, signature: str | None, filename: str | None
) -> Download:
    """The object a signed link names; Forbidden for a link that is changed, expired or unsigned,
    NotFound when the object is gone or the links of this system point at Cloud Storage."""
    if settings.storage_backend != "local":
        raise NotFound(
            "This system keeps its files in Cloud Storage and its download links point there; "
            "this address serves none."
        )
    storage = local_storage(settings)
    storage.signer.verify(path, expires=expires, signature=signature, filename=filename)
    info, stream = storage.open_with_info(path)
    return Download(info=info, stream=stream, filename=download_name(path, filename))
