"""What employees do and say: chats, treatments and VAS survey answers."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from backend.database.models.fields import (
    Body,
    Count,
    DocumentId,
    DocumentModel,
    Id,
    LongText,
    Name,
    Score,
    Timestamp,
)

_VAS_EXTRA_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_VAS_EXTRAS = 10


class ChatMessage(DocumentModel):
    """A chat message (collection ``chats``)."""

    company_id: Id
    thread_id: Name
    author_id: Id
    body: Body
    created_at: Timestamp


class Vas(BaseModel):
    """VAS scores 0–100: the five dimensions, plus at most ten extra ones (``sleep``...)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, Score] = Field(init=False)

    physical: Score
    mental: Score
    motivation: Score
    communication: Score
    other: Score

    @model_validator(mode="after")
    def _extra_names(self) -> Vas:
        extra = self.__pydantic_extra__ or {}
        bad = [name for name in extra if not _VAS_EXTRA_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"extra dimension names must be lowercase identifiers, not {bad[0][:50]!r}")
        if len(extra) > MAX_VAS_EXTRAS:
            raise ValueError(f"at most {MAX_VAS_EXTRAS} extra dimensions")
        return self


class SurveyAnswer(DocumentModel):
    """What an employee answered: before or after a treatment, the VAS scores and free text."""

    employee_id: Id
    company_id: Id
    treatment_id: DocumentId | None = None
    phase: Literal["before", "after"]
    answered_at: Timestamp
    vas: Vas
    free_text: LongText | None = None


class Consultation(SurveyAnswer):
    """One VAS survey answer as stored (``consultations``, the SURVEY category): the answer, and
    where it came from."""

    source: Literal["google_forms", "upload", "manual"]
    form_id: Name | None = None
    response_id: Name | None = None
    user_id: Id | None = Field(default=None, validate_default=True)

    @field_validator("user_id")
    @classmethod
    def _recorder(cls, value: int | None, info: ValidationInfo) -> int | None:
        source = info.data.get("source")
        if source == "manual" and value is None:
            raise ValueError("is required for a manual entry: the user who recorded it")
        if source == "google_forms" and value is not None:
            raise ValueError("must be empty for a Google Forms submission")
        return value


class Treatment(DocumentModel):
    """A treatment given to an employee (``treatments``)."""

    employee_id: Id
    company_id: Id
    practitioner: Name
    kind: Literal["massage", "chiropractic", "coaching", "other"]
    started_at: Timestamp
    minutes: Annotated[int, Field(strict=True, ge=1, le=600)]
    credits_used: Count
    notes: LongText | None = None
