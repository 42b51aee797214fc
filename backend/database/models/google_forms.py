"""Google Forms: a form's question mapping and its deliveries."""

from __future__ import annotations

import math
import unicodedata
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from backend.database.models.fields import (
    DocumentId,
    DocumentModel,
    Id,
    Label,
    Name,
    NotBlank,
    Timestamp,
)
from backend.database.validation import NoNul, SingleLine, multi_line

MAX_QUESTIONS = 50  # questions a form's mapping names
MAX_FORM_ANSWERS = 50  # answers one delivery may carry
MAX_TITLE_CHARS = 200  # a question's title
MAX_ANSWER_CHARS = 5_000  # one answer (all of a checkbox question's choices together)
MAX_DELIVERY_CHARS = 20_000  # every answer of a delivery together
MAX_PROBLEMS_KEPT = 50
VAS_TARGETS = ("vas_physical", "vas_mental", "vas_motivation", "vas_communication", "vas_other")
QuestionTarget = Literal[
    "employee_code",
    "phase",
    "vas_physical",
    "vas_mental",
    "vas_motivation",
    "vas_communication",
    "vas_other",
    "free_text",
]
Phase = Literal["before", "after"]
QuestionTitle = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS), SingleLine, NotBlank
]
ScaleEnd = Annotated[StrictInt | StrictFloat, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]
SealedSecret = Annotated[str, StringConstraints(pattern=r"^v1\.[A-Za-z0-9_-]{40,200}$")]
Positive = Annotated[int, Field(strict=True, ge=1, le=10**9)]


def question_key(title: str) -> str:
    """How question titles are compared: NFKC, spaces collapsed, case-folded (so a full-width
    ``ＶＡＳ`` or a doubled space in the form still finds its mapping)."""
    return " ".join(unicodedata.normalize("NFKC", title).split()).casefold()


class ScoreScale(DocumentModel):
    """The scale a question asks on (a 0–10 linear scale); its answers are mapped linearly to 0–100."""

    min: ScaleEnd
    max: ScaleEnd

    @field_validator("max")
    @classmethod
    def _above_min(cls, value: float, info: ValidationInfo) -> float:
        low = info.data.get("min")
        if low is not None and value <= low:
            raise ValueError("must be greater than min")
        return value


class QuestionMapping(DocumentModel):
    """One question of a form (by its title) and what its answer is in a survey."""

    title: QuestionTitle
    target: QuestionTarget
    scale: ScoreScale | None = Field(default=None, validate_default=True)
    labels: dict[Label, Phase] = Field(default_factory=dict, max_length=20, validate_default=True)

    @field_validator("scale")
    @classmethod
    def _scale_of_a_score(cls, value: ScoreScale | None, info: ValidationInfo) -> ScoreScale | None:
        target = info.data.get("target")
        if value is not None and target is not None and target not in VAS_TARGETS:
            raise ValueError(f"is for VAS questions only, not for {target}")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_of_the_phase(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        target = info.data.get("target")
        if value and target is not None and target != "phase":
            raise ValueError(f"are for the phase question only, not for {target}")
        return value


class GoogleForm(DocumentModel):
    """A Google Form delivering VAS surveys (``google_forms``): its company, how its questions map
    to a survey, and its signing secret, sealed with the server's key (``backend.security.seal``)."""

    company_id: Id
    title: Name
    active: StrictBool = True
    phase: Phase | None = None  # the phase of every answer, when no question asks it
    questions: Annotated[list[QuestionMapping], Field(min_length=1, max_length=MAX_QUESTIONS)]
    secret_sealed: SealedSecret
    secret_version: Positive
    secret_rotated_at: Timestamp
    created_by: Id
    created_at: Timestamp
    updated_at: Timestamp

    @field_validator("questions")
    @classmethod
    def _a_whole_survey(cls, value: list[QuestionMapping], info: ValidationInfo) -> list[QuestionMapping]:
        titles: dict[str, str] = {}
        targets: dict[str, str] = {}
        for question in value:
            key = question_key(question.title)
            if key in titles:
                raise ValueError(f"names the question {question.title!r} twice")
            titles[key] = question.title
            if question.target in targets:
                raise ValueError(
                    f"maps both {targets[question.target]!r} and {question.title!r} to {question.target}"
                )
            targets[question.target] = question.title
        needed = ["employee_code", *VAS_TARGETS]
        if missing := [target for target in needed if target not in targets]:
            raise ValueError(
                "must map a question to the employee code and to each of the five VAS scores; "
                f"none is mapped to {', '.join(missing)}"
            )
        if "phase" not in info.data:  # the form's phase itself is invalid, and named as such
            return value
        phase = info.data["phase"]
        if "phase" in targets and phase is not None:
            raise ValueError(
                f"maps {targets['phase']!r} to phase, and the form's phase is {phase}: give one of the two"
            )
        if "phase" not in targets and phase is None:
            raise ValueError(
                "must map a question to phase (before/after), or give the form's phase for every answer"
            )
        return value


def _delivered_value(value: object) -> object:
    # checked here in full: a failure inside the union would be reported once per member
    if isinstance(value, str):
        return _delivered_text(value)
    if isinstance(value, list):
        if len(value) > MAX_FORM_ANSWERS:
            raise ValueError(f"holds {len(value):,} choices; at most {MAX_FORM_ANSWERS} are kept")
        if not all(isinstance(item, str) for item in value):
            raise ValueError("must be text, a number, or a list of texts")
        if (chars := sum(len(item) for item in value)) > MAX_ANSWER_CHARS:
            raise ValueError(f"is {chars:,} characters long; at most {MAX_ANSWER_CHARS:,} are kept")
        return [_delivered_text(item) for item in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be text, a number, or a list of texts")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and abs(value) > 10**15:
        raise ValueError("is larger than 10^15")
    return value


def _delivered_text(value: str) -> str:
    if len(value) > MAX_ANSWER_CHARS:
        raise ValueError(f"is {len(value):,} characters long; at most {MAX_ANSWER_CHARS:,} are kept")
    return multi_line(value)


DeliveredValue = Annotated[str | int | float | list[str], BeforeValidator(_delivered_value)]


class DeliveredAnswer(DocumentModel):
    """One answer of a delivery as the form sent it: the question's title and the answer."""

    title: QuestionTitle
    answer: DeliveredValue


class DeliveryProblem(DocumentModel):
    """Why a delivery was not stored: the question (or field) and the reason."""

    field: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS + 50), NoNul]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1_000), NoNul]
    value: Annotated[str, StringConstraints(max_length=300), NoNul] | None = None


class FormDelivery(DocumentModel):
    """What one form sent for one response (``form_deliveries``, keyed by form and response id).

    A rejected delivery keeps its answers and problems for an analyst to look at and replay after
    fixing the mapping; once the survey is stored (``stored``, or ``replayed`` by an analyst) the
    answers are dropped, so the delivery is no second copy of the survey.
    """

    form_id: DocumentId
    company_id: Id
    response_id: Name
    submitted_at: Timestamp
    received_at: Timestamp  # first received
    last_received_at: Timestamp
    attempts: Positive  # deliveries of this response received
    status: Literal["rejected", "stored", "replayed"]
    answers: Annotated[list[DeliveredAnswer], Field(max_length=MAX_FORM_ANSWERS)] = Field(
        default_factory=list
    )
    problems: Annotated[list[DeliveryProblem], Field(max_length=MAX_PROBLEMS_KEPT)] = Field(
        default_factory=list
    )
    survey_id: DocumentId | None = Field(default=None, validate_default=True)
    replayed_by: Id | None = Field(default=None, validate_default=True)
    replayed_at: Timestamp | None = None

    @field_validator("answers")
    @classmethod
    def _bounded(cls, value: list[DeliveredAnswer]) -> list[DeliveredAnswer]:
        total = sum(answer_chars(a.answer) for a in value)
        if total > MAX_DELIVERY_CHARS:
            raise ValueError(f"hold {total:,} characters; at most {MAX_DELIVERY_CHARS:,} are kept")
        return value

    @field_validator("survey_id")
    @classmethod
    def _stored_survey(cls, value: str | None, info: ValidationInfo) -> str | None:
        status = info.data.get("status")
        if status in ("stored", "replayed") and value is None:
            raise ValueError(f"is required once the delivery is {status}")
        if status == "rejected":
            if value is not None:
                raise ValueError("must be empty while the delivery is rejected")
            if not info.data.get("problems"):
                raise ValueError("a rejected delivery keeps the problems that stopped it")
        return value

    @field_validator("replayed_by")
    @classmethod
    def _replayer(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("status") == "replayed" and value is None:
            raise ValueError("is required for a replayed delivery: the user who replayed it")
        return value


def answer_chars(answer: object) -> int:
    """How many characters an answer holds (a checkbox answer's choices together; a number none)."""
    if isinstance(answer, list):
        return sum(len(item) for item in answer)
    return len(answer) if isinstance(answer, str) else 0
