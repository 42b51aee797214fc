"""A delivery's answers as a survey's values, by the form's mapping: pure, no store.

Each mapped question is found by its title (compared as ``question_key`` does), its answer parsed
as Japanese respondents type it (full-width digits, ``7点``, 施術前/施術後), and a score on the
question's own scale mapped linearly to 0–100. Every problem names the question's title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from backend.database.models import DeliveredAnswer, GoogleForm, QuestionMapping, question_key
from backend.errors import FieldProblem
from backend.service.ingest.choices import PHASES
from backend.service.ingest.values import choice_key, parse_choice, parse_code, parse_number

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass
class Mapped:
    """The survey's values (``employee_code``, ``phase``, ``vas``, ``free_text``), the problems, and
    the titles of answers the mapping does not name (ignored, as unknown columns of a file are)."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def apply(form: GoogleForm, answers: Sequence[DeliveredAnswer]) -> Mapped:
    """Map ``answers`` by ``form.questions``; ``Mapped.problems`` is empty when the survey is whole."""
    by_key: dict[str, list[DeliveredAnswer]] = {}
    for answer in answers:
        by_key.setdefault(question_key(answer.title), []).append(answer)
    known = {question_key(q.title) for q in form.questions}
    mapped = Mapped(ignored=[a.title for a in answers if question_key(a.title) not in known])
    vas: dict[str, Any] = {}
    for question in form.questions:
        found = by_key.get(question_key(question.title), [])
        if len(found) > 1:
            reason = (
                f"is answered {len(found)} times: the form has {len(found)} questions with this title; "
                "give them different titles"
            )
            mapped.problems.append(FieldProblem(question.title, reason))
            continue
        if not found or _blank(found[0].answer):
            if question.target != "free_text":
                mapped.problems.append(FieldProblem(question.title, _unanswered(question, mapped.ignored)))
            continue
        raw = found[0].answer
        try:
            value = _parse(question, raw)
        except ValueError as exc:
            shown = raw if isinstance(raw, str | int | float) else ", ".join(raw)
            mapped.problems.append(FieldProblem(question.title, str(exc), value=shown))
            continue
        if question.target.startswith("vas_"):
            vas[question.target.removeprefix("vas_")] = value
        else:
            mapped.values[question.target] = value
    if form.phase is not None:
        mapped.values["phase"] = form.phase
    mapped.values["vas"] = vas
    return mapped


def title_of(form: GoogleForm, target: str) -> str | None:
    """The title of the question mapped to ``target`` (``vas_mental``, ``free_text``...)."""
    return next((q.title for q in form.questions if q.target == target), None)


def _blank(answer: object) -> bool:
    if isinstance(answer, str):
        return not answer.strip()
    return isinstance(answer, list) and not any(item.strip() for item in answer)


def _unanswered(question: QuestionMapping, unknown: Sequence[str]) -> str:
    reason = (
        f"has no answer in this delivery, and the mapping needs it ({question.target}): make the "
        "question required in the form, or correct its title in the mapping"
    )
    if unknown:
        shown = ", ".join(repr(title) for title in unknown[:5])
        reason += f" (the delivery answers questions the mapping does not name: {shown})"
    return reason


def _parse(question: QuestionMapping, raw: str | int | float | list[str]) -> Any:
    target = question.target
    if target == "free_text":
        return "\n".join(raw).strip() if isinstance(raw, list) else str(raw).strip()
    one = _one(raw)
    if target == "employee_code":
        return parse_code(one)
    if target == "phase":
        labels = {choice_key(label): phase for label, phase in question.labels.items()}
        try:
            return parse_choice(one, {**PHASES, **labels})
        except ValueError:
            raise ValueError(
                "is not a phase: answer 施術前 or 施術後 (before/after), or add this choice to the "
                "question's labels in the mapping"
            ) from None
    return _score(one, question)


def _one(raw: str | int | float | list[str]) -> str | int | float:
    if not isinstance(raw, list):
        return raw
    chosen = [item for item in raw if item.strip()]
    if len(chosen) != 1:
        raise ValueError(f"has {len(chosen)} answers (a checkbox question?); this question takes one")
    return chosen[0]


def _score(raw: str | int | float, question: QuestionMapping) -> int | float:
    low, high = (
        (Decimal(str(question.scale.min)), Decimal(str(question.scale.max)))
        if question.scale is not None
        else (Decimal(0), _HUNDRED)
    )
    scale = f"{_plain(low)}–{_plain(high)}"
    try:
        value = parse_number(raw)
    except ValueError as exc:
        raise ValueError(f"{exc}; this question's answer is a score from {scale}") from None
    if not low <= value <= high:
        raise ValueError(f"is {_plain(value)}, outside this question's scale {scale}")
    score = ((value - low) * _HUNDRED / (high - low)).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    return int(score) if score == score.to_integral_value() else float(score)


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"
