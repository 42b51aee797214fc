"""Reading a delivery's body: what the script sends is read; broken, hostile and oversized bodies are
422 naming the field (the question's title for an answer) and the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from backend.database.models import MAX_ANSWER_CHARS, MAX_FORM_ANSWERS
from backend.errors import ValidationFailed
from backend.service.ingest.google_forms.payload import parse


def body(**overrides: Any) -> bytes:
    """A delivery as the script's JSON.stringify writes it (compact, Japanese as UTF-8)."""
    data = {
        "response_id": "2_ABaOnud9xYz",
        "submitted_at": "2024-04-01T01:30:00.000Z",
        "answers": [{"title": "社員番号", "answer": "E001"}, {"title": "気分", "answer": "７"}],
        **overrides,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def problems(raw: bytes) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        parse(raw)
    assert "nothing was stored or kept" in info.value.message
    return [(p.field, p.reason) for p in info.value.problems]


def test_the_scripts_payload_is_read() -> None:
    delivery = parse(body())
    assert delivery.response_id == "2_ABaOnud9xYz"
    assert delivery.submitted_at == datetime(2024, 4, 1, 1, 30, tzinfo=UTC)
    assert [(a.title, a.answer) for a in delivery.answers] == [("社員番号", "E001"), ("気分", "７")]


def test_checkbox_grid_numbers_and_unanswered() -> None:
    answers = [
        {"title": "症状", "answer": ["肩", "腰"]},
        {"title": "表", "answer": [["良い", "普通"], ["悪い"]]},
        {"title": "点数", "answer": 7},
        {"title": "任意", "answer": None},
        {"title": "  余白  ", "answer": "x"},
    ]
    delivery = parse(body(answers=answers))
    assert [(a.title, a.answer) for a in delivery.answers] == [
        ("症状", ["肩", "腰"]),
        ("表", ["良い, 普通", "悪い"]),
        ("点数", 7),
        ("余白", "x"),
    ]


@pytest.mark.parametrize(
    ("raw", "field", "reason"),
    [
        (b"", "body", "is not valid JSON"),
        (b'{"response_id": ', "body", "is not valid JSON"),
        (b"\xff\xfe{}", "body", "is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "body", "nested too deeply"),
        (b"[]", "body", "must be a JSON object"),
        (b'"text"', "body", "must be a JSON object"),
        (body(answers=[{"title": "a", "answer": float("nan")}]), "body", "NaN is not a JSON number"),
        (body(extra=1), "extra", "Extra inputs"),
        (body(response_id=""), "response_id", ""),
        (body(response_id="a\nb"), "response_id", "control character"),
        (body(response_id="r" * 201), "response_id", "200"),
        (body(submitted_at="2024-04-01T10:30:00"), "submitted_at", "timezone"),
        (body(submitted_at="yesterday"), "submitted_at", ""),
        (body(submitted_at="9999-12-31T23:00:00Z"), "submitted_at", "the year 9999"),
        (body(submitted_at="0001-01-01T00:00:00+09:00"), "submitted_at", "the year 1"),
        (body(answers={"title": "a"}), "answers", "list"),
        (body(answers=[{"title": "q", "answer": "a"}] * (MAX_FORM_ANSWERS + 1)), "answers", "50"),
        (body(answers=["E001"]), "answers.0", ""),
        (body(answers=[{"question": "社員番号"}]), "answers.0.question", "Extra"),
        (body(answers=[{"answer": "x"}]), "answers.0.title", "required"),
        (body(answers=[{"title": 5, "answer": "x"}]), "answers.0.title", "string"),
        (body(answers=[{"title": "", "answer": "x"}]), "answers.0.title", ""),
        (body(answers=[{"title": "t" * 201, "answer": "x"}]), "answers.0.title", "200"),
        (body(answers=[{"title": "a\x07b", "answer": "x"}]), "answers.0.title", "U+0007"),
        (body(answers=[{"title": "気分", "answer": "x" * 1_000_000}]), "気分", "1,000,000 characters"),
        (body(answers=[{"title": "気分", "answer": "a\x00b"}]), "気分", "NUL"),
        (body(answers=[{"title": "気分", "answer": "ok\x1bno"}]), "気分", "U+001B"),
        (body(answers=[{"title": "気分", "answer": "\u202eevil"}]), "気分", "U+202E"),
        (body(answers=[{"title": "気分", "answer": True}]), "気分", "text, a number"),
        (body(answers=[{"title": "気分", "answer": {"a": 1}}]), "気分", "text, a number"),
        (body(answers=[{"title": "気分", "answer": [1, 2]}]), "気分", "list of texts"),
        (body(answers=[{"title": "気分", "answer": ["x"] * 51}]), "気分", "51 choices"),
        (body(answers=[{"title": "気分", "answer": ["x" * 3_000] * 2}]), "気分", "6,000 characters"),
        (body(answers=[{"title": "気分", "answer": 10**16}]), "気分", "10^15"),
        (body(answers=[{"title": f"q{n}", "answer": "x" * MAX_ANSWER_CHARS} for n in range(5)]),
         "answers", "25,000 characters"),
    ],
)  # fmt: skip
def test_a_bad_body_names_the_field_and_reason(raw: bytes, field: str, reason: str) -> None:
    found = problems(raw)
    assert any(f == field and reason in r for f, r in found), found


def test_a_lone_surrogate_is_no_character() -> None:
    raw = body(answers=[{"title": "q", "answer": "LONE"}]).replace(b"LONE", b"\\ud800")
    assert problems(raw) == [("q", "contains U+D800, half of a UTF-16 surrogate pair, which is no character")]


def test_every_bad_answer_is_named_at_once() -> None:
    answers = [
        {"title": "a", "answer": "\x07"},
        {"title": "b", "answer": "ok"},
        {"title": "c", "answer": True},
    ]
    assert [field for field, _ in problems(body(answers=answers))] == ["a", "c"]
