"""Downloads through the signed, expiring links of the local object storage (no sign-in: the
signature is the authority)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from backend.api.deps import SettingsDep
from backend.service.storage import downloads
from backend.service.storage.links import content_disposition
from backend.service.storage.port import CHUNK_BYTES

router = APIRouter(prefix="/files", tags=["files"])

_ERROR = {"description": "The error envelope.", "content": {"application/json": {}}}


@router.get(
    "/{path:path}",
    response_class=Response,
    responses={
        200: {"description": "The file.", "content": {"application/octet-stream": {}}},
        403: {**_ERROR, "description": "The link was changed, has expired, or carries no signature."},
        404: {**_ERROR, "description": "The file is gone, or links of this system point at Cloud Storage."},
    },
    summary="A stored file (a report), through a signed link that expires",
    description="The links come from the API (a report's download links); they are signed with "
    "HMAC-SHA256 over the path, the expiry and the file name, and need no sign-in.",
)
def download(
    path: str,
    settings: SettingsDep,
    expires: Annotated[str | None, Query(description="When the link expires (Unix seconds).")] = None,
    signature: Annotated[str | None, Query(description="The link's signature.")] = None,
    filename: Annotated[str | None, Query(description="The name to save the file as.")] = None,
) -> Response:
    found = downloads.open_download(
        settings, path=path, expires=expires, signature=signature, filename=filename
    )
    headers = {
        "Content-Length": str(found.info.size),
        "Content-Disposition": content_disposition(found.filename),
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",  # the page's links must not carry the signature elsewhere
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return StreamingResponse(_chunks(found.stream), media_type=found.info.content_type, headers=headers)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
