"""The seed's get_user_analytics end to end: a user in PostgreSQL, their surveys in the document store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import DatabaseManager, crud, crud_sql
from backend.database.documents import DocumentStore
from backend.database.models_sql import User
from backend.errors import NotFound, ValidationFailed
from backend.service.user_analytics import get_user_analytics, process_analytics_data
from tests.database.document_factories import consultation_data, vas
from tests.database.factories import user_data

NO_DATA = {"physical": None, "mental": None, "motivation": None, "communication": None, "other": None}


@pytest.fixture
def wired(
    settings: Settings, connection: Connection, document_store: DocumentStore
) -> Iterator[DocumentStore]:
    """The process-wide manager on the test's PostgreSQL connection and the test's document store
    (the embedded one, then the Firestore emulator)."""
    DatabaseManager.reset()
    DatabaseManager().configure(settings, bind=connection, documents=document_store)
    yield document_store
    DatabaseManager.reset()


def test_process_analytics_data_counts_and_means() -> None:
    user = User(id=5, display_name="田中 一郎", email="t@example.jp", role="analyst")
    surveys = [
        {"id": "a", "phase": "before", "vas": vas(physical=40, mental=50)},
        {"id": "b", "phase": "before", "vas": vas(physical=61, mental=55.5)},
        {"id": "c", "phase": "before", "vas": {"physical": "n/a"}},
        {"id": "d", "phase": "unknown", "vas": vas()},
    ]
    result = process_analytics_data(user, surveys)
    assert result["user_id"] == 5
    assert result["display_name"] == "田中 一郎"
    assert result["survey_count"] == 4
    before = result["phases"]["before"]
    assert before["count"] == 3
    assert before["vas_mean"]["physical"] == pytest.approx(50.5)
    assert before["vas_mean"]["mental"] == pytest.approx(52.75)
    assert before["vas_mean"]["other"] == 0
    assert result["phases"]["after"] == {"count": 0, "vas_mean": NO_DATA}


def test_get_user_analytics_end_to_end(wired: DocumentStore, session: Session) -> None:
    user = crud_sql.users.create(session, data=user_data(display_name="鈴木 次郎"))
    other = crud_sql.users.create(session, data=user_data())
    session.flush()
    recorded = [
        consultation_data(user_id=user.id, phase="before", vas=vas(physical=80, motivation=30)),
        consultation_data(user_id=user.id, phase="before", vas=vas(physical=70, motivation=40)),
        consultation_data(user_id=user.id, phase="after", vas=vas(physical=35.5, motivation=75)),
        consultation_data(user_id=other.id, phase="after", vas=vas(physical=0)),
        consultation_data(source="google_forms", user_id=None, phase="after", vas=vas(physical=100)),
    ]
    for data in recorded:
        crud.consultations.create(wired, data=data)

    result = asyncio.run(get_user_analytics(str(user.id)))

    assert result["user_id"] == user.id
    assert result["display_name"] == "鈴木 次郎"
    assert result["survey_count"] == 3
    before, after = result["phases"]["before"], result["phases"]["after"]
    assert (before["count"], after["count"]) == (2, 1)
    assert before["vas_mean"]["physical"] == pytest.approx(75)
    assert before["vas_mean"]["motivation"] == pytest.approx(35)
    assert after["vas_mean"]["physical"] == pytest.approx(35.5)
    assert after["vas_mean"]["motivation"] == pytest.approx(75)


def test_user_without_surveys(wired: DocumentStore, session: Session) -> None:
    user = crud_sql.users.create(session, data=user_data())
    session.flush()
    result = asyncio.run(get_user_analytics(user.id))
    assert result["survey_count"] == 0
    assert result["phases"]["before"] == {"count": 0, "vas_mean": NO_DATA}


@pytest.mark.usefixtures("wired")
def test_unknown_or_malformed_user() -> None:
    with pytest.raises(NotFound):
        asyncio.run(get_user_analytics("987654321"))
    with pytest.raises(ValidationFailed) as info:
        asyncio.run(get_user_analytics("1 OR 1=1"))
    assert info.value.fields == ["user_id"]
