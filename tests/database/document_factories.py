"""Valid data for each document collection, with overrides; tests change one field at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

T0 = datetime(2024, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)
JST = timezone(timedelta(hours=9))
HOSTILE = '\'); DROP TABLE consultations; -- {"__ts__": "2024-01-01"} <script>'


def chat_data(**overrides: Any) -> dict[str, Any]:
    return {
        "company_id": 1,
        "thread_id": "t-1",
        "author_id": 7,
        "body": "こんにちは",
        "created_at": T0,
        **overrides,
    }


def analytics_data(**overrides: Any) -> dict[str, Any]:
    return {
        "cache_key": "vas_change:abc",
        "analysis": "vas_change",
        "parameters": {"months": 6},
        "company_id": 1,
        "data_version": "v1",
        "result": {"mean": 12.5, "rows": [1, 2]},
        "computed_at": T0,
        "expires_at": T0 + timedelta(hours=1),
        **overrides,
    }


def session_data(**overrides: Any) -> dict[str, Any]:
    return {
        "user_id": 3,
        "token_hash": "ab" * 32,
        "created_at": T0,
        "expires_at": T0 + timedelta(hours=8),
        "last_seen_at": T0,
        "revoked": False,
        "client_ip": "192.0.2.1",
        "user_agent": "pytest",
        **overrides,
    }


def vas(**overrides: Any) -> dict[str, Any]:
    return {"physical": 40, "mental": 55.5, "motivation": 60, "communication": 70, "other": 0, **overrides}


def consultation_data(**overrides: Any) -> dict[str, Any]:
    return {
        "employee_id": 11,
        "company_id": 1,
        "treatment_id": "tr1",
        "phase": "before",
        "answered_at": T0,
        "vas": vas(),
        "free_text": "肩こりがひどい",
        "source": "manual",
        "form_id": None,
        "response_id": None,
        "user_id": 3,
        **overrides,
    }


def treatment_data(**overrides: Any) -> dict[str, Any]:
    return {
        "employee_id": 11,
        "company_id": 1,
        "practitioner": "山田",
        "kind": "massage",
        "started_at": T0,
        "minutes": 45,
        "credits_used": 1,
        "notes": None,
        **overrides,
    }


def report_data(**overrides: Any) -> dict[str, Any]:
    return {
        "company_id": 1,
        "kind": "monthly",
        "formats": ["pdf", "xlsx"],
        "status": "requested",
        "requested_by": 3,
        "created_at": T0,
        **overrides,
    }
