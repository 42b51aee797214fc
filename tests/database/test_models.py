"""The document models: valid documents round-trip through the store; bad ones name the bad field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from backend.database.documents import DocumentStore
from backend.database.models import (
    AnalyticsCacheEntry,
    ChatMessage,
    Consultation,
    FormDelivery,
    GoogleForm,
    Report,
    Treatment,
    UserSession,
)
from backend.database.sql_errors import from_pydantic
from tests.database.document_factories import (
    HOSTILE,
    JST,
    T0,
    analytics_data,
    chat_data,
    consultation_data,
    form_delivery_data,
    form_questions,
    google_form_data,
    report_data,
    session_data,
    treatment_data,
    vas,
)


def bad_fields(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    """The fields ValidationFailed names for ``data`` (fails the test if the data is accepted)."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return from_pydantic(info.value).fields


CASES: list[tuple[type[BaseModel], str, Any]] = [
    (ChatMessage, "chats", chat_data),
    (AnalyticsCacheEntry, "analytics", analytics_data),
    (UserSession, "sessions", session_data),
    (Consultation, "consultations", consultation_data),
    (Treatment, "treatments", treatment_data),
    (Report, "reports", report_data),
    (GoogleForm, "google_forms", google_form_data),
    (FormDelivery, "form_deliveries", form_delivery_data),
]


@pytest.mark.parametrize(("model", "collection", "make"), CASES, ids=[c[1] for c in CASES])
def test_round_trip_through_the_store(
    document_store: DocumentStore, model: type[BaseModel], collection: str, make: Any
) -> None:
    original = model.model_validate(make())
    document_store.set(f"{collection}/doc1", original.model_dump())
    stored = document_store.get(f"{collection}/doc1")
    assert stored is not None
    assert model.model_validate(stored.data) == original
    assert stored.data == original.model_dump()


def test_timestamps_are_stored_in_utc() -> None:
    entry = ChatMessage.model_validate(chat_data(created_at=datetime(2024, 4, 1, 18, 30, tzinfo=JST)))
    assert entry.created_at == datetime(2024, 4, 1, 9, 30, tzinfo=UTC)
    assert entry.created_at.utcoffset() == timedelta(0)


def test_hostile_text_is_kept_verbatim(document_store: DocumentStore) -> None:
    original = Consultation.model_validate(consultation_data(free_text=HOSTILE, form_id=HOSTILE))
    document_store.set("consultations/h", original.model_dump())
    stored = document_store.get("consultations/h")
    assert stored is not None
    assert stored.data["free_text"] == HOSTILE
    assert Consultation.model_validate(stored.data).form_id == HOSTILE


def test_vas_keeps_ints_and_floats_and_extra_dimensions() -> None:
    scores = Consultation.model_validate(consultation_data(vas=vas(sleep=30))).vas.model_dump()
    assert scores == {
        "physical": 40,
        "mental": 55.5,
        "motivation": 60,
        "communication": 70,
        "other": 0,
        "sleep": 30,
    }
    assert type(scores["physical"]) is int


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (ChatMessage, chat_data(created_at=datetime(2024, 4, 1, 9, 0)), "created_at"),
        (ChatMessage, chat_data(body="a\x00b"), "body"),
        (ChatMessage, chat_data(body=""), "body"),
        (ChatMessage, chat_data(body="   "), "body"),
        (ChatMessage, chat_data(body="x" * 10_001), "body"),
        (ChatMessage, chat_data(company_id=0), "company_id"),
        (ChatMessage, chat_data(author_id=True), "author_id"),
        (ChatMessage, chat_data(author_id="7"), "author_id"),
        (ChatMessage, chat_data(admin=True), "admin"),
        (AnalyticsCacheEntry, analytics_data(expires_at=T0), "expires_at"),
        (AnalyticsCacheEntry, analytics_data(result={"__ts__": "2024-01-01T00:00:00+00:00"}), "result"),
        (AnalyticsCacheEntry, analytics_data(result={"rows": ["a\x00"]}), "result"),
        (AnalyticsCacheEntry, analytics_data(result={"blob": "x" * 1_000_001}), "result"),
        (AnalyticsCacheEntry, analytics_data(parameters={"when": T0}), "parameters.when"),
        (AnalyticsCacheEntry, analytics_data(result={"big": 2**64}), "result"),
        (UserSession, session_data(token_hash="secret-token"), "token_hash"),
        (UserSession, session_data(token_hash="AB" * 32), "token_hash"),
        (UserSession, session_data(expires_at=T0 - timedelta(seconds=1)), "expires_at"),
        (UserSession, session_data(last_seen_at=T0 - timedelta(seconds=1)), "last_seen_at"),
        (UserSession, session_data(client_ip="999.1.1.1"), "client_ip"),
        (UserSession, session_data(client_ip="1.2.3.4; DROP TABLE"), "client_ip"),
        (UserSession, session_data(user_agent="x" * 513), "user_agent"),
        (UserSession, session_data(revoked="yes"), "revoked"),
        (Consultation, consultation_data(vas=vas(physical=101)), "vas.physical"),
        (Consultation, consultation_data(vas=vas(mental=-1)), "vas.mental"),
        (Consultation, consultation_data(vas=vas(other=float("nan"))), "vas.other"),
        (Consultation, consultation_data(vas=vas(motivation="50")), "vas.motivation"),
        (Consultation, consultation_data(vas=vas(communication=True)), "vas.communication"),
        (Consultation, consultation_data(vas={"physical": 1}), "vas.mental"),
        (Consultation, consultation_data(vas=vas(Sleep=1)), "vas"),
        (Consultation, consultation_data(phase="during"), "phase"),
        (Consultation, consultation_data(source="email"), "source"),
        (Consultation, consultation_data(free_text="x" * 5001), "free_text"),
        (Consultation, consultation_data(treatment_id="treatments/x"), "treatment_id"),
        (Consultation, consultation_data(answered_at="2024-04-01T09:00:00"), "answered_at"),
        (Consultation, consultation_data(source="manual", user_id=None), "user_id"),
        (Consultation, consultation_data(source="google_forms", user_id=3), "user_id"),
        (Treatment, treatment_data(minutes=0), "minutes"),
        (Treatment, treatment_data(minutes=601), "minutes"),
        (Treatment, treatment_data(credits_used=-1), "credits_used"),
        (Treatment, treatment_data(kind="acupuncture"), "kind"),
        (Treatment, treatment_data(notes="x" * 5001), "notes"),
        (Report, report_data(formats=[]), "formats"),
        (Report, report_data(formats=["pdf", "pdf"]), "formats"),
        (Report, report_data(formats=["docx"]), "formats.0"),
        (Report, report_data(status="queued"), "status"),
        (Report, report_data(status="done"), "completed_at"),
        (Report, report_data(status="failed", error="font missing"), "completed_at"),
        (Report, report_data(completed_at=T0 - timedelta(seconds=1)), "completed_at"),
        (Report, report_data(formats=["pdf"], storage_paths={"xlsx": "r/1.xlsx"}), "storage_paths"),
        (GoogleForm, google_form_data(questions=form_questions(vas_mental=None)), "questions"),
        (GoogleForm, google_form_data(questions=form_questions(employee_code=None)), "questions"),
        (GoogleForm, google_form_data(questions=form_questions(phase=None)), "questions"),
        (GoogleForm, google_form_data(phase="after"), "questions"),
        (GoogleForm, google_form_data(phase="during"), "phase"),
        (GoogleForm, google_form_data(questions=[]), "questions"),
        (GoogleForm, google_form_data(questions=form_questions()[:1] * 60), "questions"),
        (
            GoogleForm,
            google_form_data(
                questions=form_questions(
                    free_text={"title": "ＳＨＡＩＮ  番号", "target": "free_text"},
                    employee_code={"title": "shain 番号", "target": "employee_code"},
                )
            ),
            "questions",
        ),
        (
            GoogleForm,
            google_form_data(questions=form_questions(free_text={"title": "二つ目", "target": "vas_other"})),
            "questions",
        ),
        (
            GoogleForm,
            google_form_data(
                questions=form_questions(
                    free_text={"title": "感想", "target": "free_text", "scale": {"min": 0, "max": 10}}
                )
            ),
            "questions.7.scale",
        ),
        (
            GoogleForm,
            google_form_data(
                questions=form_questions(
                    vas_other={"title": "その他", "target": "vas_other", "scale": {"min": 5, "max": 5}}
                )
            ),
            "questions.6.scale.max",
        ),
        (
            GoogleForm,
            google_form_data(
                questions=form_questions(
                    vas_other={"title": "その他", "target": "vas_other", "labels": {"前": "before"}}
                )
            ),
            "questions.6.labels",
        ),
        (
            GoogleForm,
            google_form_data(
                questions=form_questions(employee_code={"title": "社員\n番号", "target": "employee_code"})
            ),
            "questions.0.title",
        ),
        (GoogleForm, google_form_data(secret_sealed="plain-secret"), "secret_sealed"),
        (GoogleForm, google_form_data(secret="plain-secret"), "secret"),
        (FormDelivery, form_delivery_data(problems=[]), "survey_id"),
        (FormDelivery, form_delivery_data(status="stored"), "survey_id"),
        (FormDelivery, form_delivery_data(status="replayed", survey_id="s1"), "replayed_by"),
        (FormDelivery, form_delivery_data(survey_id="s1"), "survey_id"),
        (
            FormDelivery,
            form_delivery_data(answers=[{"title": "x", "answer": "y" * 5_001}]),
            "answers.0.answer",
        ),
        (
            FormDelivery,
            form_delivery_data(answers=[{"title": f"q{i}", "answer": "y" * 5_000} for i in range(5)]),
            "answers",
        ),
        (
            FormDelivery,
            form_delivery_data(answers=[{"title": "x", "answer": [["grid"]]}]),
            "answers.0.answer",
        ),
        (FormDelivery, form_delivery_data(answers=[{"title": "x", "answer": "a\x00b"}]), "answers.0.answer"),
        (FormDelivery, form_delivery_data(attempts=0), "attempts"),
    ],
)
def test_bad_values_name_the_field(model: type[BaseModel], data: dict[str, Any], field: str) -> None:
    assert field in bad_fields(model, data)


def test_every_bad_field_is_named() -> None:
    fields = bad_fields(Treatment, treatment_data(minutes=0, kind="x", started_at=datetime(2024, 1, 1)))
    assert sorted(fields) == ["kind", "minutes", "started_at"]


def test_missing_fields_are_named() -> None:
    assert sorted(bad_fields(Treatment, {"employee_id": 1})) == [
        "company_id",
        "credits_used",
        "kind",
        "minutes",
        "practitioner",
        "started_at",
    ]


def test_report_lifecycle_rules() -> None:
    done = report_data(status="done", completed_at=T0, storage_paths={"pdf": "r/1.pdf", "xlsx": "r/1.xlsx"})
    assert Report.model_validate(done).storage_paths == {"pdf": "r/1.pdf", "xlsx": "r/1.xlsx"}
    assert bad_fields(Report, {**done, "storage_paths": {"pdf": "r/1.pdf"}}) == ["storage_paths"]
    assert bad_fields(Report, report_data(status="failed", completed_at=T0)) == ["error"]


def test_session_ip_is_normalised() -> None:
    session = UserSession.model_validate(session_data(client_ip="2001:DB8:0:0:0:0:0:1"))
    assert session.client_ip == "2001:db8::1"


def test_form_submission_has_no_recorder() -> None:
    survey = Consultation.model_validate(
        consultation_data(source="google_forms", user_id=None, response_id="r1")
    )
    assert survey.user_id is None
    assert survey.model_dump()["user_id"] is None
