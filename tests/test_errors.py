"""The error hierarchy: user-facing messages and structured details."""

from __future__ import annotations

import json
import math

import pytest

from backend.errors import (
    Conflict,
    FieldProblem,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)


def test_validation_failed_lists_rows_fields_and_reasons() -> None:
    error = ValidationFailed(
        [
            FieldProblem("revenue_yen", "must be >= 0", row=3, value=-1),
            FieldProblem("period", "not a month", row=5),
        ]
    )
    assert error.message == "Invalid input: row 3, revenue_yen: must be >= 0; row 5, period: not a month"
    assert error.to_dict()["error"]["details"]["problems"][0] == {
        "field": "revenue_yen",
        "reason": "must be >= 0",
        "row": 3,
        "value": -1,
    }
    assert error.status_code == 422


def test_long_lists_are_summarised_and_long_values_cut() -> None:
    problems = [FieldProblem("x", "bad", row=i, value="v" * 10_000) for i in range(50)]
    error = ValidationFailed(problems)
    assert error.message.endswith("(and 45 more)")
    assert len(error.details["problems"]) == 50
    assert len(error.details["problems"][0]["value"]) == 201


def test_validation_failed_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ValidationFailed([])


@pytest.mark.parametrize(("cls", "status"), [(NotFound, 404), (Conflict, 409), (Unavailable, 503)])
def test_each_error_carries_its_status(cls: type[NotFound], status: int) -> None:
    error = cls("what happened and what to do", details={"id": 1})
    assert error.status_code == status
    assert error.to_dict() == {
        "error": {"code": error.code, "message": "what happened and what to do", "details": {"id": 1}}
    }
    assert error.headers == {}


def test_unauthenticated_asks_for_a_bearer_token() -> None:
    error = Unauthenticated("Sign in first.")
    assert (error.status_code, error.headers) == (401, {"WWW-Authenticate": "Bearer"})


def test_too_many_requests_says_when_to_retry() -> None:
    error = TooManyRequests("Too many failed sign-ins; wait.", retry_after_s=0)
    assert error.status_code == 429
    assert error.headers == {"Retry-After": "1"}  # never "retry after 0 seconds"
    assert error.details == {"retry_after_s": 1}


def test_values_without_a_json_form_are_echoed_as_text() -> None:
    error = ValidationFailed(
        [FieldProblem("minutes", "bad", value=float("nan")), FieldProblem("x", "bad", value=-math.inf)]
    )
    assert [p["value"] for p in error.details["problems"]] == ["nan", "-inf"]
    json.dumps(error.to_dict(), allow_nan=False)
