"""The signature of a delivery: HMAC-SHA256 under the form's secret over ``f"{timestamp}."`` and the
raw body, sent as ``X-Wellness-Signature: sha256=<hex>`` with ``X-Wellness-Timestamp: <unix seconds>``.

The timestamp is signed with the body, so a captured delivery cannot be sent again later than
``MAX_SKEW_S`` after it was signed; within that window a replay stores nothing new (deliveries are
idempotent by response id).
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

from backend.errors import Unauthenticated
from backend.security import hmac_sha256_hex

TIMESTAMP_HEADER = "X-Wellness-Timestamp"
SIGNATURE_HEADER = "X-Wellness-Signature"
MAX_SKEW_S = 300  # five minutes either way
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
# Checked against when a form is unknown or disabled, so that answer costs the same HMAC as a bad
# signature. Nothing signs with it: it is no secret of any form.
DECOY_SECRET = "not-a-form-secret-" + "0" * 43
NOT_SIGNED = (
    "The delivery is not signed with this form's current secret (or there is no such active form); "
    "nothing was stored. Sign it as docs/google-forms.md shows, with the secret the API gave."
)


class BadSignature(Unauthenticated):
    """A delivery that is not signed by its form: the same answer for every reason but the clock."""

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'HMAC-SHA256 realm="google-forms", headers="{SIGNATURE_HEADER}"'}


def string_to_sign(timestamp: str, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp`` (unix seconds, text)."""
    return "sha256=" + hmac_sha256_hex(secret, string_to_sign(timestamp, body))


def check_timestamp(header: str | None, signature: str | None, *, now: datetime) -> str:
    """The timestamp header, checked: present, unix seconds, within ``MAX_SKEW_S`` of ``now``.

    This answer may say what is wrong: it tells nothing about any form."""
    if header is None or signature is None:
        missing = [
            name
            for name, value in ((TIMESTAMP_HEADER, header), (SIGNATURE_HEADER, signature))
            if value is None
        ]
        raise BadSignature(
            f"The delivery has no {' and no '.join(missing)} header; nothing was stored. "
            "Sign it as docs/google-forms.md shows."
        )
    text = header.strip()
    if not _TIMESTAMP.fullmatch(text):
        raise BadSignature(
            f"{TIMESTAMP_HEADER} must be the time of signing in whole unix seconds; nothing was stored."
        )
    skew = int(text) - int(now.timestamp())
    if abs(skew) > MAX_SKEW_S:
        direction = "ahead of" if skew > 0 else "behind"
        raise BadSignature(
            f"{TIMESTAMP_HEADER} is {abs(skew):,} seconds {direction} the server's clock; at most "
            f"{MAX_SKEW_S} are accepted (so an old delivery cannot be sent again), and nothing was "
            "stored. Sign each delivery when sending it."
        )
    return text


def matches(secret: str | None, timestamp: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` at ``timestamp`` under ``secret`` (constant
    time; with no secret a decoy is checked, so an unknown form costs as much as a wrong signature)."""
    match = _SIGNATURE.fullmatch(header.strip())
    expected = sign(secret or DECOY_SECRET, timestamp, body)
    given = f"sha256={match.group(1).lower()}" if match else "sha256=" + "-" * 64
    return hmac.compare_digest(expected, given) and secret is not None
