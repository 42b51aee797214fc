"""A delivery's answers mapped to a survey by the form's mapping (pure): scales, Japanese answers,
and every problem named by the question's title."""

from __future__ import annotations

from typing import Any

import pytest

from backend.database.models import DeliveredAnswer, GoogleForm
from backend.service.ingest.google_forms.mapping import Mapped, apply
from tests.database.document_factories import form_questions, google_form_data

ANSWERS = {
    "社員番号": "Ｅ００１",
    "施術の前後": "施術後",
    "身体の状態": "７",
    "気分": "10",
    "やる気": 0,
    "対人関係": "3",
    "その他の症状": "85点",
    "自由記述": "よく眠れた",
}


def form(**overrides: Any) -> GoogleForm:
    return GoogleForm.model_validate(google_form_data(**overrides))


def mapped(answers: dict[str, Any] | None = None, *, of: GoogleForm | None = None, **changed: Any) -> Mapped:
    given = {**ANSWERS, **changed} if answers is None else answers
    delivered = [DeliveredAnswer(title=t, answer=a) for t, a in given.items() if a is not None]
    return apply(of or form(), delivered)


def problem(result: Mapped) -> tuple[str, str]:
    [found] = result.problems
    return found.field, found.reason


def test_a_whole_delivery_maps_to_a_survey() -> None:
    result = mapped()
    assert result.problems == []
    assert result.values == {
        "employee_code": "E001",
        "phase": "after",
        "vas": {"physical": 70, "mental": 100, "motivation": 0, "communication": 50, "other": 85},
        "free_text": "よく眠れた",
    }
    assert type(result.values["vas"]["physical"]) is int


@pytest.mark.parametrize(
    ("scale", "answer", "score"),
    [
        ({"min": 0, "max": 10}, "7", 70),
        ({"min": 0, "max": 10}, "７．５", 75),
        ({"min": 1, "max": 5}, "1", 0),
        ({"min": 1, "max": 5}, 5, 100),
        ({"min": 1, "max": 7}, "2", 16.67),
        ({"min": 1, "max": 7}, "3", 33.33),
        ({"min": -5, "max": 5}, "－５", 0),
        ({"min": 0, "max": 1}, 0.5, 50),
        (None, "55.5", 55.5),
        (None, "１００", 100),
    ],
)
def test_scales_map_linearly_to_0_100(scale: Any, answer: Any, score: float) -> None:
    question = {"title": "身体の状態", "target": "vas_physical", "scale": scale}
    result = mapped(of=form(questions=form_questions(vas_physical=question)), **{"身体の状態": answer})
    assert result.problems == []
    assert result.values["vas"]["physical"] == score


@pytest.mark.parametrize(
    ("title", "answer", "reason"),
    [
        ("身体の状態", "11", "is 11, outside this question's scale 0–10"),
        ("身体の状態", "-1", "is -1, outside this question's scale 0–10"),
        ("対人関係", "0", "is 0, outside this question's scale 1–5"),
        ("その他の症状", "101", "is 101, outside this question's scale 0–100"),
        ("身体の状態", "とても良い", "is not a number; this question's answer is a score from 0–10"),
        ("身体の状態", "1e3", "exponent notation"),
        ("身体の状態", ["3", "4"], "has 2 answers (a checkbox question?)"),
        ("施術の前後", "施術中", "is not a phase"),
        ("施術の前後", ["施術前", "施術後"], "has 2 answers"),
        ("社員番号", "  ", "has no answer in this delivery"),
        ("気分", "=A1", "Excel formula"),
    ],
)
def test_a_bad_answer_names_its_question(title: str, answer: Any, reason: str) -> None:
    field, found = problem(mapped(**{title: answer}))
    assert field == title
    assert reason in found


def test_an_unanswered_mapped_question_names_it_and_the_unknown_ones() -> None:
    answers = {k: v for k, v in ANSWERS.items() if k != "気分"} | {"気分（今日）": "5"}
    result = mapped(answers)
    field, reason = problem(result)
    assert field == "気分"
    assert "has no answer in this delivery, and the mapping needs it (vas_mental)" in reason
    assert "'気分（今日）'" in reason
    assert result.ignored == ["気分（今日）"]


def test_free_text_is_optional_and_unknown_questions_are_ignored() -> None:
    answers = {k: v for k, v in ANSWERS.items() if k != "自由記述"} | {"お名前": "山田"}
    result = mapped(answers)
    assert result.problems == []
    assert "free_text" not in result.values
    assert result.ignored == ["お名前"]


def test_titles_are_compared_as_normalised_text() -> None:
    answers = {("ＳＯＮＯ  他の症状" if k == "その他の症状" else k): v for k, v in ANSWERS.items()}
    other = {"title": "sono 他の症状", "target": "vas_other"}
    result = mapped(answers, of=form(questions=form_questions(vas_other=other)))
    assert result.problems == []
    assert result.values["vas"]["other"] == 85


def test_a_title_twice_in_the_form_is_a_problem() -> None:
    delivered = [DeliveredAnswer(title=t, answer=a) for t, a in ANSWERS.items()]
    delivered.append(DeliveredAnswer(title="気分", answer="3"))
    field, reason = problem(apply(form(), delivered))
    assert field == "気分"
    assert "answered 2 times" in reason


def test_the_forms_phase_and_its_own_labels() -> None:
    no_question = form(phase="before", questions=form_questions(phase=None))
    answers = {k: v for k, v in ANSWERS.items() if k != "施術の前後"}
    assert mapped(answers, of=no_question).values["phase"] == "before"
    labelled = {"title": "施術の前後", "target": "phase", "labels": {"施術を受ける前に回答": "before"}}
    result = mapped(
        of=form(questions=form_questions(phase=labelled)), **{"施術の前後": "施術を受ける前に回答"}
    )
    assert result.values["phase"] == "before"
    assert mapped(**{"施術の前後": "PRE"}).values["phase"] == "before"  # the file ingest's labels too


def test_every_problem_at_once() -> None:
    result = mapped(**{"身体の状態": "11", "気分": "x", "社員番号": None})
    assert [p.field for p in result.problems] == ["社員番号", "身体の状態", "気分"]  # in the mapping's order
