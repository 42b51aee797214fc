"""The error hierarchy shared by every layer; the API maps each class to one HTTP status."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input: which field (and row, for files), and why."""

    field: str
    reason: str
    row: int | None = None
    value: Any = None

    def describe(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"


class WellnessError(Exception):
    """Base of every error meant for a user: a message saying what to do, plus structured details."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer must carry (``WWW-Authenticate``, ``Retry-After``...)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The error envelope every API error answers with."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class Unauthenticated(WellnessError):
    """No valid sign-in: a missing, expired or revoked token, or wrong credentials."""

    status_code = 401
    code = "unauthenticated"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class TooManyRequests(WellnessError):
    """Throttled; ``retry_after_s`` says when to try again."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int, details: dict[str, Any] | None = None) -> None:
        self.retry_after_s = max(1, retry_after_s)
        super().__init__(message, details={**(details or {}), "retry_after_s": self.retry_after_s})

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class NotFound(WellnessError):
    status_code = 404
    code = "not_found"


class Conflict(WellnessError):
    status_code = 409
    code = "conflict"


class Forbidden(WellnessError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(WellnessError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(WellnessError):
    status_code = 415
    code = "unsupported_media_type"


class Unavailable(WellnessError):
    status_code = 503
    code = "unavailable"


class ValidationFailed(WellnessError):
    """Input rejected; ``problems`` lists every bad field (and row), not just the first."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, problems: Sequence[FieldProblem], *, message: str | None = None) -> None:
        if not problems:
            raise ValueError("ValidationFailed needs at least one problem")
        self.problems = list(problems)
        shown = "; ".join(p.describe() for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(
            message or f"Invalid input: {shown}{more}",
            details={"problems": [_jsonable(asdict(p)) for p in self.problems]},
        )

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems]


_MAX_ECHO = 200  # never echo more than this much of a rejected value back to the caller


def _jsonable(problem: dict[str, Any]) -> dict[str, Any]:
    value = problem.get("value")
    if isinstance(value, float) and not math.isfinite(value):
        problem["value"] = str(value)  # NaN and infinities have no JSON form
    elif value is not None and not isinstance(value, int | float | bool):
        text = str(value)
        problem["value"] = text if len(text) <= _MAX_ECHO else text[:_MAX_ECHO] + "…"
    return problem
