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


SEALED = "v1." + "A" * 95  # the shape of a sealed secret (it opens under no key)


def form_questions(**overrides: Any) -> list[dict[str, Any]]:
    """A form's mapping: one question per survey field; ``target=None`` drops a question."""
    questions: dict[str, dict[str, Any]] = {
        "employee_code": {"title": "社員番号", "target": "employee_code"},
        "phase": {"title": "施術の前後", "target": "phase"},
        "vas_physical": {"title": "身体の状態", "target": "vas_physical", "scale": {"min": 0, "max": 10}},
        "vas_mental": {"title": "気分", "target": "vas_mental", "scale": {"min": 0, "max": 10}},
        "vas_motivation": {"title": "やる気", "target": "vas_motivation", "scale": {"min": 0, "max": 10}},
        "vas_communication": {
            "title": "対人関係",
            "target": "vas_communication",
            "scale": {"min": 1, "max": 5},
        },
        "vas_other": {"title": "その他の症状", "target": "vas_other"},
        "free_text": {"title": "自由記述", "target": "free_text"},
    }
    for target, question in overrides.items():
        if question is None:
            questions.pop(target)
        else:
            questions[target] = question
    return list(questions.values())


def google_form_data(**overrides: Any) -> dict[str, Any]:
    return {
        "company_id": 1,
        "title": "施術アンケート",
        "active": True,
        "phase": None,
        "questions": form_questions(),
        "secret_sealed": SEALED,
        "secret_version": 1,
        "secret_rotated_at": T0,
        "created_by": 3,
        "created_at": T0,
        "updated_at": T0,
        **overrides,
    }


def form_delivery_data(**overrides: Any) -> dict[str, Any]:
    return {
        "form_id": "form1",
        "company_id": 1,
        "response_id": "2_ABaOnud9xYz",
        "submitted_at": T0,
        "received_at": T0,
        "last_received_at": T0,
        "attempts": 1,
        "status": "rejected",
        "answers": [{"title": "社員番号", "answer": "E999"}, {"title": "感想", "answer": ["a", "b"]}],
        "problems": [{"field": "社員番号", "reason": "no employee has this code", "value": "E999"}],
        "survey_id": None,
        "replayed_by": None,
        "replayed_at": None,
        **overrides,
    }
