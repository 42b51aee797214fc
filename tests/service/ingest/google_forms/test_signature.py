"""The delivery signature: the string to sign, the clock window, and headers of every shape."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from backend.service.ingest.google_forms.signature import (
    MAX_SKEW_S,
    BadSignature,
    check_timestamp,
    matches,
    sign,
)

NOW = datetime(2024, 4, 1, 1, 30, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
SECRET = "s" * 43
BODY = '{"response_id":"r1","answers":[{"title":"気分","answer":"７"}]}'.encode()


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), STAMP.encode() + b"." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, STAMP, BODY) == f"sha256={expected}"
    assert matches(SECRET, STAMP, BODY, f"sha256={expected}")
    assert matches(SECRET, STAMP, BODY, f"sha256={expected.upper()}")  # hex in either case
    assert matches(SECRET, STAMP, BODY, f"  sha256={expected} ")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha256=",
        "sha1=" + "0" * 40,
        "sha256=" + "0" * 64,
        "sha256=zz" + "0" * 62,
        "sha256=" + "0" * 63,
        "x" * 10_000,
    ],
)
def test_anything_else_does_not_match(header: str) -> None:
    assert not matches(SECRET, STAMP, BODY, header)


def test_a_changed_body_timestamp_or_secret_does_not_match() -> None:
    good = sign(SECRET, STAMP, BODY)
    assert not matches(SECRET, STAMP, BODY + b" ", good)
    assert not matches(SECRET, str(int(STAMP) + 1), BODY, good)
    assert not matches("t" * 43, STAMP, BODY, good)
    assert not matches(None, STAMP, BODY, good)  # no secret (no such form) never matches


@pytest.mark.parametrize("offset", [0, MAX_SKEW_S, -MAX_SKEW_S, 59])
def test_timestamps_within_five_minutes_pass(offset: int) -> None:
    assert check_timestamp(str(int(NOW.timestamp()) + offset), "sha256=x", now=NOW) == str(
        int(NOW.timestamp()) + offset
    )


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (str(int(NOW.timestamp()) - MAX_SKEW_S - 1), "behind"),
        (str(int(NOW.timestamp()) + MAX_SKEW_S + 1), "ahead of"),
        ("0", "behind"),
        ("1711935000.5", "whole unix seconds"),
        ("-1711935000", "whole unix seconds"),
        ("2024-04-01T01:30:00Z", "whole unix seconds"),
        ("9" * 40, "whole unix seconds"),
        ("", "whole unix seconds"),
    ],
)
def test_other_timestamps_are_401_saying_why(header: str, says: str) -> None:
    with pytest.raises(BadSignature) as info:
        check_timestamp(header, "sha256=x", now=NOW)
    assert says in info.value.message
    assert info.value.status_code == 401
    assert "HMAC-SHA256" in info.value.headers["WWW-Authenticate"]


def test_missing_headers_are_named() -> None:
    with pytest.raises(BadSignature, match="X-Wellness-Timestamp and no X-Wellness-Signature"):
        check_timestamp(None, None, now=NOW)
    with pytest.raises(BadSignature, match="no X-Wellness-Signature header"):
        check_timestamp(STAMP, None, now=NOW)
