"""Sign-in: sessions and the throttle on failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    StrictBool,
    ValidationInfo,
    field_validator,
)

from backend.database.models.fields import (
    Count,
    DocumentModel,
    Id,
    IpAddress,
    Timestamp,
    TokenHash,
    UserAgent,
    check_later,
)


class UserSession(DocumentModel):
    """A login session (``sessions``); only the SHA-256 of the token is stored."""

    user_id: Id
    token_hash: TokenHash
    created_at: Timestamp
    expires_at: Timestamp
    last_seen_at: Timestamp
    revoked: StrictBool = False
    client_ip: IpAddress | None = None
    user_agent: UserAgent | None = None

    @field_validator("expires_at")
    @classmethod
    def _expires_after_created(cls, value: datetime, info: ValidationInfo) -> datetime:
        check_later(info, value, "created_at")
        return value

    @field_validator("last_seen_at")
    @classmethod
    def _seen_after_created(cls, value: datetime, info: ValidationInfo) -> datetime:
        check_later(info, value, "created_at", strictly=False)
        return value


class LoginThrottle(DocumentModel):
    """Recent failed sign-ins of one account or one client address (``login_attempts``, keyed by a hash)."""

    scope: Literal["account", "address"]
    failures: Count
    window_started_at: Timestamp
    locked_until: Timestamp | None = None
    updated_at: Timestamp
