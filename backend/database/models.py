"""Validated documents: one pydantic model per document-store collection.

``model.model_dump()`` gives values the store accepts (timestamps UTC-aware, enums as strings) and
``Model.model_validate(document.data)`` reads a stored document back. Rules that involve two fields
are field validators on the later field, so every error names the field to fix.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from backend.database.documents.paths import MAX_ID_BYTES, document_id_problem
from backend.database.documents.values import check_value
from backend.database.validation import INT64_MAX, MultiLine, NoNul, SingleLine, multi_line, no_nul
from backend.errors import ValidationFailed

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_VAS_EXTRA_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_VAS_EXTRAS = 10


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _utc(value: datetime) -> datetime:
    # A bound on the year keeps every stored time showable in Tokyo time (9999-12-31 in UTC is
    # year 10000 there, which Python cannot represent) and catches typing slips such as 20240.
    if not 1900 <= value.year <= 2200:
        raise ValueError(f"has the year {value.year}; give a time between the years 1900 and 2200")
    return value.astimezone(UTC)


def _document_id(value: str) -> str:
    if (reason := document_id_problem(value)) is not None:
        raise ValueError(reason)
    return value


def _ip_text(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address") from None


def _sha256_hex(value: str) -> str:
    if not _SHA256_HEX.fullmatch(value):
        raise ValueError("must be the SHA-256 of the token as 64 lowercase hex characters, never the token")
    return value


def _score(value: object) -> object:
    # checked here in full: a failure inside the int | float union would be reported once per member
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValueError("must be a number from 0 to 100")
    return value


NotBlank = AfterValidator(_not_blank)
Id = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]
Count = Annotated[int, Field(strict=True, ge=0, le=10**9)]
Timestamp = Annotated[AwareDatetime, AfterValidator(_utc)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine, NotBlank]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine, NotBlank]
Key = Annotated[str, StringConstraints(min_length=1, max_length=512), SingleLine, NotBlank]
StoragePath = Annotated[str, StringConstraints(min_length=1, max_length=1024), SingleLine, NotBlank]
LongText = Annotated[str, StringConstraints(max_length=5000), MultiLine]
Body = Annotated[str, StringConstraints(min_length=1, max_length=10_000), MultiLine, NotBlank]
DocumentId = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_BYTES), AfterValidator(_document_id)
]
IpAddress = Annotated[str, StringConstraints(max_length=64), AfterValidator(_ip_text)]
UserAgent = Annotated[str, StringConstraints(max_length=512), NoNul]
TokenHash = Annotated[str, AfterValidator(_sha256_hex)]
Score = Annotated[int | float, BeforeValidator(_score), Field(ge=0, le=100, allow_inf_nan=False)]
ReportFormat = Literal["pdf", "xlsx"]


def _no_nul_inside(value: Any) -> None:
    if isinstance(value, str):
        no_nul(value)
    elif isinstance(value, list):
        for item in value:
            _no_nul_inside(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            no_nul(key)
            _no_nul_inside(item)


def _bounded_map(max_bytes: int) -> AfterValidator:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        try:  # Firestore's rules: field names, nesting depth, int64 range, size (an int is 8 bytes...)
            size = check_value(value, [], 0)
        except ValidationFailed as exc:
            raise ValueError(exc.problems[0].describe()) from None
        _no_nul_inside(value)
        if size > max_bytes:
            raise ValueError(f"is {size:,} bytes when stored; at most {max_bytes:,} bytes are allowed")
        return value

    return AfterValidator(check)


Parameters = Annotated[dict[str, JsonValue], _bounded_map(16_384)]
Result = Annotated[dict[str, JsonValue], _bounded_map(1_000_000)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _later(info: ValidationInfo, value: datetime | None, earlier: str, *, strictly: bool = True) -> None:
    """Raise when ``value`` is not after the (valid) field ``earlier``."""
    start = info.data.get(earlier)
    if value is None or start is None:
        return
    if value < start or (strictly and value == start):
        raise ValueError(f"must be {'after' if strictly else 'at or after'} {earlier}")


class ChatMessage(_Document):
    """A chat message (collection ``chats``)."""

    company_id: Id
    thread_id: Name
    author_id: Id
    body: Body
    created_at: Timestamp


class AnalyticsCacheEntry(_Document):
    """A cached analysis result (``analytics``); ``company_id`` None is portfolio-wide."""

    cache_key: Key
    analysis: Label
    parameters: Parameters = Field(default_factory=dict)
    company_id: Id | None = None
    data_version: Label
    result: Result
    computed_at: Timestamp
    expires_at: Timestamp | None = None
    stale: StrictBool = False  # set by the event workers when the company's data changed since
    scope: list[Id] | None = None  # the companies it covers; None: every company
    last_used_at: Timestamp | None = None  # computed or served last (the workers refresh entries in use)

    @field_validator("expires_at")
    @classmethod
    def _expires_after_computed(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        _later(info, value, "computed_at")
        return value


class AnalysisJob(_Document):
    """An analysis a worker computes because it is too large to answer inline (``analysis_jobs``):
    its result lands in the cache under ``cache_key``; only its requester may read it."""

    analysis: Label
    parameters: Parameters = Field(default_factory=dict)  # the analysis's own, as asked
    scope: list[Id] | None = None  # the companies; None: every company
    min_group: Annotated[int, Field(strict=True, ge=1, le=1000)]
    requested_by: Id
    status: Literal["requested", "done", "failed"] = "requested"
    cache_key: Key | None = None
    error: LongText | None = None
    created_at: Timestamp
    completed_at: Timestamp | None = None


class UserSession(_Document):
    """A login session (``sessions``); only the SHA-256 of the token is stored."""

    user_id: Id
    token_hash: TokenHash
    created_at: Timestamp
    expires_at: Timestamp
    last_seen_at: Timestamp
    revoked: StrictBool = False
    client_ip: IpAddress | None = None
    user_agent: UserAgent | None = None

    @field_validator("expires_at")
    @classmethod
    def _expires_after_created(cls, value: datetime, info: ValidationInfo) -> datetime:
        _later(info, value, "created_at")
        return value

    @field_validator("last_seen_at")
    @classmethod
    def _seen_after_created(cls, value: datetime, info: ValidationInfo) -> datetime:
        _later(info, value, "created_at", strictly=False)
        return value


class LoginThrottle(_Document):
    """Recent failed sign-ins of one account or one client address (``login_attempts``, keyed by a hash)."""

    scope: Literal["account", "address"]
    failures: Count
    window_started_at: Timestamp
    locked_until: Timestamp | None = None
    updated_at: Timestamp


class IngestJob(_Document):
    """The import of one file into a document dataset (``ingest_jobs``): what is written so far.

    Its batches are written together with this record, so ``written`` is exactly the number of the
    file's rows (in file order) that are stored; an interrupted import resumes from there.
    """

    dataset: Label
    company_id: Id | None = None
    filename: Name | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    status: Literal["running", "done", "failed"]
    rows: Count
    written: Count
    inserted: Count
    updated: Count
    unchanged: Count
    error: LongText | None = None
    created_by: Id
    created_at: Timestamp
    updated_at: Timestamp

    @field_validator("written")
    @classmethod
    def _within_rows(cls, value: int, info: ValidationInfo) -> int:
        rows = info.data.get("rows")
        if rows is not None and value > rows:
            raise ValueError("cannot exceed rows")
        return value


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


class SurveyAnswer(_Document):
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


class Treatment(_Document):
    """A treatment given to an employee (``treatments``)."""

    employee_id: Id
    company_id: Id
    practitioner: Name
    kind: Literal["massage", "chiropractic", "coaching", "other"]
    started_at: Timestamp
    minutes: Annotated[int, Field(strict=True, ge=1, le=600)]
    credits_used: Count
    notes: LongText | None = None


class Report(_Document):
    """A requested report and its files (``reports``)."""

    company_id: Id | None = None
    scope: list[Id] | None = None  # the companies it covers; None: every company
    kind: Label
    formats: Annotated[list[ReportFormat], Field(min_length=1, max_length=2)]
    status: Literal["requested", "running", "done", "failed"] = "requested"
    requested_by: Id
    storage_paths: dict[ReportFormat, StoragePath] = Field(default_factory=dict, validate_default=True)
    error: LongText | None = Field(default=None, validate_default=True)
    created_at: Timestamp
    completed_at: Timestamp | None = Field(default=None, validate_default=True)

    @field_validator("formats")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a format twice")
        return value

    @field_validator("storage_paths")
    @classmethod
    def _paths_match_formats(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        formats = info.data.get("formats")
        if formats is None:
            return value
        if extra := sorted(set(value) - set(formats)):
            raise ValueError(f"has a path for {', '.join(extra)}, which was not requested")
        if info.data.get("status") == "done" and (missing := [f for f in formats if f not in value]):
            raise ValueError(f"a done report needs a path for every format; missing {', '.join(missing)}")
        return value

    @field_validator("error")
    @classmethod
    def _failure_explained(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("status") == "failed" and not value:
            raise ValueError("a failed report needs the error that stopped it")
        return value

    @field_validator("completed_at")
    @classmethod
    def _completion(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None and info.data.get("status") in ("done", "failed"):
            raise ValueError("is required once the report is done or failed")
        _later(info, value, "created_at", strictly=False)
        return value


# --- Google Forms ------------------------------------------------------------------------------

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


class ScoreScale(_Document):
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


class QuestionMapping(_Document):
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


class GoogleForm(_Document):
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


class DeliveredAnswer(_Document):
    """One answer of a delivery as the form sent it: the question's title and the answer."""

    title: QuestionTitle
    answer: DeliveredValue


class DeliveryProblem(_Document):
    """Why a delivery was not stored: the question (or field) and the reason."""

    field: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS + 50), NoNul]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1_000), NoNul]
    value: Annotated[str, StringConstraints(max_length=300), NoNul] | None = None


class FormDelivery(_Document):
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
