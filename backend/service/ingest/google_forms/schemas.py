"""What analysts send to manage forms, and what the form routes and the webhook answer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from backend.database.models import (
    MAX_QUESTIONS,
    DeliveredAnswer,
    DeliveryProblem,
    Id,
    Name,
    Phase,
    QuestionMapping,
)
from backend.service.records.filters import CompanyId, Filters
from backend.service.schemas import Public, TokyoTime

Questions = Annotated[
    list[QuestionMapping],
    Field(
        min_length=1,
        max_length=MAX_QUESTIONS,
        description="Each question of the form the survey needs, by its title as the form shows it: "
        "the employee code, the phase (unless the form gives one), the five VAS scores, and "
        "optionally free text.",
    ),
]
FormPhase = Annotated[
    Phase | None,
    Field(description="The phase of every answer, for a form that does not ask it (before or after)."),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class NewGoogleForm(_Input):
    company_id: Id
    title: Name
    phase: FormPhase = None
    questions: Questions
    active: StrictBool = True


class GoogleFormChanges(_Input):
    """The fields to change; ``questions`` replaces the whole mapping."""

    title: Name | None = None
    phase: FormPhase = None
    questions: Questions | None = None
    active: StrictBool | None = Field(
        default=None, description="false: deliveries answer 401 until the form is active again."
    )


class GoogleFormPublic(Public):
    id: str
    company_id: int
    title: str
    active: bool
    phase: Phase | None
    questions: list[QuestionMapping]
    webhook_path: str = Field(description="Where the form's script posts its deliveries.")
    secret_version: int = Field(description="Counts the secrets this form has had (rotations + 1).")
    secret_rotated_at: TokyoTime
    created_by: int
    created_at: TokyoTime
    updated_at: TokyoTime


SECRET = Field(
    description="The form's signing secret, shown this once (it is stored encrypted, and no answer "
    "shows it again): put it into the script's properties as WELLNESS_SECRET."
)


class GoogleFormCreated(Public):
    form: GoogleFormPublic
    secret: str = SECRET


class FormSecret(Public):
    form_id: str
    secret: str = SECRET
    secret_version: int
    secret_rotated_at: TokyoTime


class DeliveryPublic(Public):
    id: str
    form_id: str
    company_id: int
    response_id: str
    submitted_at: TokyoTime
    received_at: TokyoTime
    last_received_at: TokyoTime
    attempts: int
    status: Literal["rejected", "stored", "replayed"]
    answers: list[DeliveredAnswer] = Field(description="As the form sent them; dropped once stored.")
    problems: list[DeliveryProblem]
    survey_id: str | None
    replayed_by: int | None
    replayed_at: TokyoTime | None


class DeliveryReceipt(Public):
    status: Literal["stored", "already_stored"] = Field(
        description="stored: the survey was stored now; already_stored: an earlier delivery (or "
        "replay) of this response stored it, and nothing was stored again."
    )
    delivery_id: str
    response_id: str
    survey_id: str | None
    ignored_questions: list[str] = Field(
        default_factory=list, description="Answers to questions the mapping does not name."
    )


class FormFilters(Filters):
    company_id: CompanyId = None
    active: bool | None = None


class DeliveryFilters(Filters):
    status: Literal["rejected", "stored", "replayed"] | None = Field(
        default=None, description="rejected: the deliveries waiting for a fixed mapping and a replay."
    )
