"""Around every request: its id (``X-Request-ID``, also in every log line), security headers, an
access-log line, and the error envelope for the framework's own early 413 answers.

Pure ASGI rather than ``BaseHTTPMiddleware``: it wraps ``send`` only, adds no task and no buffering.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import internal_error, too_large

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("backend.api.access")
log = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_DOCS = ("/docs", "/redoc")
# Swagger UI and ReDoc load their scripts from jsdelivr and run one inline start-up script.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store",
}


class RequestLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        rid = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        started_response = False
        replaced = False  # the app's plain-text 413 was swapped for the envelope; drop its body

        async def send_with_headers(message: Message) -> None:
            nonlocal status, replaced, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                headers = MutableHeaders(scope=message)
                if status == 413 and not headers.get("content-type", "").startswith("application/json"):
                    replaced = True
                    await self._send_too_large(scope, send, rid)
                    return
                self._decorate(headers, scope["path"], rid)
            elif replaced:
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started_response:
                raise
            log.exception("%s %s failed", scope["method"], scope["path"])
            await self._send_json(scope, send, rid, 500, internal_error(rid))
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)
            request_id.reset(token)

    @staticmethod
    def _decorate(headers: MutableHeaders, path: str, rid: str) -> None:
        headers["X-Request-ID"] = rid
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        headers.setdefault("Content-Security-Policy", _DOCS_CSP if path.startswith(_DOCS) else _API_CSP)

    async def _send_too_large(self, scope: Scope, send: Send, rid: str) -> None:
        await self._send_json(scope, send, rid, 413, too_large(scope).to_dict())

    async def _send_json(
        self, scope: Scope, send: Send, rid: str, status: int, content: dict[str, Any]
    ) -> None:
        body = json.dumps(content).encode()
        start: Message = {"type": "http.response.start", "status": status, "headers": []}
        headers = MutableHeaders(scope=start)
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(body))
        self._decorate(headers, scope["path"], rid)
        await send(start)
        await send({"type": "http.response.body", "body": body})
