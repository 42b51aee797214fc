"""The body of a delivery, read: JSON holding ``response_id``, ``submitted_at`` and ``answers``
(``[{"title": ..., "answer": ...}]``), within the bounds of what may be kept of it.

A body that cannot be read (not JSON, the wrong shape, an answer too long or holding control
characters) is the sender's mistake, not the mapping's: it answers 422 and nothing is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from backend.database.models import (
    MAX_DELIVERY_CHARS,
    MAX_FORM_ANSWERS,
    DeliveredAnswer,
    DeliveredValue,
    Name,
    QuestionTitle,
    answer_chars,
)
from backend.database.sql_errors import from_pydantic
from backend.errors import FieldProblem, ValidationFailed
from backend.service.ingest.dates import MAX_YEAR, MIN_YEAR


@dataclass(frozen=True)
class Delivery:
    """What a form sent for one response, read and bounded."""

    response_id: str
    submitted_at: datetime
    answers: list[DeliveredAnswer]


class _RawAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: StrictStr
    answer: Any = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response_id: Name
    submitted_at: AwareDatetime
    answers: Annotated[list[_RawAnswer], Field(max_length=MAX_FORM_ANSWERS)]

    @field_validator("submitted_at")
    @classmethod
    def _a_real_year(cls, value: datetime) -> datetime:
        if not MIN_YEAR <= value.year <= MAX_YEAR:  # as file ingest; far years overflow Tokyo time
            raise ValueError(f"has the year {value.year}; a response is from {MIN_YEAR} to {MAX_YEAR}")
        return value


_TITLE: TypeAdapter[str] = TypeAdapter(QuestionTitle)
_VALUE: TypeAdapter[Any] = TypeAdapter(DeliveredValue)
SHAPE = (
    'a JSON object {"response_id": "...", "submitted_at": "2024-04-01T01:30:00.000Z", '
    '"answers": [{"title": "...", "answer": "..."}]}'
)


def parse(body: bytes) -> Delivery:
    """The delivery in ``body``; ValidationFailed naming every problem (the question's title where
    the problem is an answer's)."""
    envelope = _envelope(_json(body))
    problems: list[FieldProblem] = []
    answers = []
    for number, raw in enumerate(envelope.answers):
        answer = _answer(number, raw, problems)
        if answer is not None:
            answers.append(answer)
    total = sum(answer_chars(a.answer) for a in answers)
    if total > MAX_DELIVERY_CHARS:
        reason = f"hold {total:,} characters together; at most {MAX_DELIVERY_CHARS:,} are accepted"
        problems.append(FieldProblem("answers", reason))
    if problems:
        raise _unreadable(problems)
    return Delivery(envelope.response_id, envelope.submitted_at, answers)


def _json(body: bytes) -> object:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable([FieldProblem("body", f"is not UTF-8 text (byte {exc.start:,} is not)")]) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise _unreadable([FieldProblem("body", "is nested too deeply")]) from None
    except ValueError as exc:
        raise _unreadable([FieldProblem("body", f"is not valid JSON ({exc})")]) from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _envelope(data: object) -> _Envelope:
    if not isinstance(data, dict):
        raise _unreadable([FieldProblem("body", f"must be {SHAPE}, not a JSON {type(data).__name__}")])
    try:
        return _Envelope.model_validate(data)
    except ValidationError as exc:
        raise _unreadable(from_pydantic(exc).problems) from None


def _answer(number: int, raw: _RawAnswer, problems: list[FieldProblem]) -> DeliveredAnswer | None:
    try:
        title = _text(_TITLE.validate_python(raw.title.strip()))
    except (ValidationError, ValueError) as exc:
        problems.append(FieldProblem(f"answers.{number}.title", _reason(exc), value=raw.title))
        return None
    if raw.answer is None:
        return None  # a question left unanswered
    value = raw.answer
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        # a grid question answers one list per row: kept as one text per row
        value = [", ".join(str(choice) for choice in row if choice is not None) for row in value]
    try:
        checked = _VALUE.validate_python(value)
        for text in checked if isinstance(checked, list) else [checked]:
            if isinstance(text, str):
                _text(text)
    except (ValidationError, ValueError) as exc:
        problems.append(FieldProblem(title, _reason(exc), value=value if isinstance(value, str) else None))
        return None
    return DeliveredAnswer(title=title, answer=checked)


def _text(value: str) -> str:
    """Refuse a lone UTF-16 surrogate (JSON can write one as \\ud800; it is no character)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"contains U+{ord(value[exc.start]):04X}, half of a UTF-16 surrogate pair, which is no character"
        ) from None
    return value


def _reason(exc: ValidationError | ValueError) -> str:
    if isinstance(exc, ValidationError):
        return from_pydantic(exc).problems[0].reason
    return str(exc)


def _unreadable(problems: list[FieldProblem]) -> ValidationFailed:
    shown = "; ".join(p.describe() for p in problems[:3])
    error = ValidationFailed(
        problems,
        message=f"The delivery cannot be read, so nothing was stored or kept: {shown}. "
        "Check the form's script against docs/google-forms.md.",
    )
    error.details["kept"] = False
    return error
