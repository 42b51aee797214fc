"""Writing a delivery's survey with its delivery record: both, or neither (a response stored by
another delivery at the same moment makes the batch fail whole)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from backend.database import crud
from backend.database.documents import DocumentStore
from backend.database.models import Consultation, FormDelivery
from backend.errors import Conflict
from backend.service.ingest.google_forms import surveys
from tests.database.document_factories import consultation_data, form_delivery_data


def test_a_survey_stored_meanwhile_fails_the_whole_write(
    session: Session, document_store: DocumentStore
) -> None:
    survey = Consultation.model_validate(
        consultation_data(source="google_forms", user_id=None, form_id="form1", response_id="r1")
    )
    built = surveys.Built(surveys.survey_id(survey), survey)
    record = FormDelivery.model_validate(
        form_delivery_data(status="stored", survey_id=built.survey_id, answers=[], problems=[])
    )
    crud.consultations.create(document_store, data=survey, doc_id=built.survey_id)  # the other delivery
    with pytest.raises(Conflict, match="stored by another delivery at the same moment"):
        surveys.store(session, document_store, built, delivery_id="d" * 32, record=record, actor="form:form1")
    assert crud.form_deliveries.find(document_store, "d" * 32) is None
    assert document_store.count("consultations") == 1


def test_the_survey_id_is_the_file_imports_for_the_same_response() -> None:
    survey = Consultation.model_validate(
        consultation_data(source="google_forms", user_id=None, response_id="r1")
    )
    same = Consultation.model_validate(
        consultation_data(source="upload", user_id=3, response_id="r1", phase="after")
    )
    other = Consultation.model_validate(
        consultation_data(source="google_forms", user_id=None, response_id="r2")
    )
    assert surveys.survey_id(survey) == surveys.survey_id(same) != surveys.survey_id(other)
    assert surveys.delivery_id("form1", "r1") != surveys.delivery_id("form2", "r1")
