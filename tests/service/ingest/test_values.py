"""Numbers, yen, scores, yes/no, labels and text as Japanese files write them."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from backend.service.ingest.choices import (
    FUNDING_STAGES,
    INVOICE_STATUSES,
    PAYMENT_METHODS,
    PHASES,
    TREATMENT_KINDS,
)
from backend.service.ingest.values import (
    is_empty,
    parse_bool,
    parse_choice,
    parse_code,
    parse_id,
    parse_int,
    parse_score,
    parse_text,
    parse_yen,
)


def _fails(reason: str) -> pytest.RaisesExc[ValueError]:
    return pytest.raises(ValueError, match="^" + re.escape(reason))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234", 1234),
        ("1,234,567", 1234567),
        ("¥1,234", 1234),
        ("￥1,234", 1234),  # full-width yen sign
        ("\\1,234", 1234),  # Shift_JIS shows ¥ as a backslash
        ("1,234円", 1234),
        (" 1234 ", 1234),
        ("１，２３４", 1234),  # full-width digits and comma
        ("1234.0", 1234),
        (1234, 1234),
        (1234.0, 1234),  # Excel keeps numbers as floats
        (12_345_678_901_234.0, 12_345_678_901_234),
        ("+500", 500),
        ("0", 0),
    ],
)
def test_yen(raw: object, expected: int) -> None:
    value = parse_yen(raw)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("△1,234", -1234),
        ("▲1,234", -1234),
        ("-1,234", -1234),
        ("−1,234", -1234),  # U+2212 MINUS SIGN
        ("－１２３４", -1234),  # full-width hyphen-minus
        ("(1,234)", -1234),
        ("（1,234）", -1234),  # full-width parentheses
        ("△¥1,234", -1234),
        ("¥△1,234", -1234),
        (-1234.0, -1234),
    ],
)
def test_negative_yen_where_allowed(raw: object, expected: int) -> None:
    assert parse_yen(raw, negative=True) == expected


@pytest.mark.parametrize("raw", ["△1,234", "▲1", "-1", "(1,234)", -1, -1.0])
def test_negative_yen_refused_where_not_allowed(raw: object) -> None:
    with _fails("is negative, and this column cannot be negative"):
        parse_yen(raw)


def test_yen_scaled_by_the_column_unit() -> None:
    assert parse_yen("1,234", scale=1000) == 1_234_000
    assert parse_yen("1,234.5", scale=1000) == 1_234_500  # 千円 with a decimal is still whole yen
    assert parse_yen(1.5, scale=1_000_000) == 1_500_000
    with _fails("is not a whole number; amounts are whole yen"):
        parse_yen("1.2345", scale=1000)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e20", "is written in exponent notation (1e20); write the number in full digits"),
        ("1.5E+3", "is written in exponent notation (1.5E+3)"),
        (1e20, "is larger than 1,000,000,000,000,000; check the figure and its unit"),
        ("1000000000000001", "is larger than 1,000,000,000,000,000"),
        ("NaN", "is NaN, not a number"),
        ("nan", "is nan, not a number"),
        (float("nan"), "is nan, not a number"),
        (float("inf"), "is inf, not a number"),
        ("-inf", "is -inf, not a number"),
        ("#DIV/0!", "is the Excel error #DIV/0!, not a number"),
        ("#N/A", "is the Excel error #N/A, not a number"),
        ("=SUM(B2:B9)", "is an Excel formula, not a value; in Excel copy the cells and use Paste Special"),
        ("1234.5", "is not a whole number; amounts are whole yen"),
        (1234.5, "is not a whole number; amounts are whole yen"),
        ("12,34", "has commas in the wrong places; write 1,234,567 or 1234567"),
        ("1,2345", "has commas in the wrong places"),
        ("abc", "is not a number"),
        ("1 234", "is not a number"),
        ("$100", "is not a number"),
        (True, "is TRUE, not a number"),
        (date(2024, 4, 1), "is a date, not a number; check the column"),
    ],
)
def test_bad_yen(raw: object, reason: str) -> None:
    with _fails(reason):
        parse_yen(raw, negative=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("１２", 12), ("1,200", 1200), ("12人", 12), ("12名", 12), (12.0, 12), ("30分", 30)],
)
def test_int(raw: object, expected: int) -> None:
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1.5", "is not a whole number; write a whole number"),
        (1.5, "is not a whole number"),
        ("-3", "is negative, and this column cannot be negative"),
        ("△3", "is negative"),
        ("¥12", "is not a number"),  # a count is not money
    ],
)
def test_bad_int(raw: object, reason: str) -> None:
    with _fails(reason):
        parse_int(raw)


def test_ids_start_at_one() -> None:
    assert parse_id("7") == 7
    with _fails("is not an id; ids start at 1"):
        parse_id("0")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("100", 100),
        ("85", 85),
        ("60.5", 60.5),
        (60.5, 60.5),
        (70.0, 70),
        ("８５", 85),
        ("85点", 85),
    ],
)
def test_scores(raw: object, expected: float) -> None:
    value = parse_score(raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("101", "must be a score from 0 to 100"),
        ("-1", "must be a score from 0 to 100"),
        (100.01, "must be a score from 0 to 100"),
        ("NaN", "is NaN, not a number"),
        ("good", "is not a number"),
    ],
)
def test_bad_scores(raw: object, reason: str) -> None:
    with _fails(reason):
        parse_score(raw)


@pytest.mark.parametrize(
    "raw", ["はい", "在籍", "在職", "true", "TRUE", "Yes", "1", "○", "◯", "〇", "有効", 1, 1.0, True]
)
def test_true(raw: object) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize(
    "raw", ["いいえ", "退職", "退社", "false", "No", "0", "×", "✕", "x", "無効", 0, False]
)
def test_false(raw: object) -> None:
    assert parse_bool(raw) is False


def test_bad_bool() -> None:
    with _fails("is not yes or no; write はい/いいえ, 在籍/退職, true/false, 1/0 or ○/×"):
        parse_bool("maybe")
    with _fails("is not yes or no"):
        parse_bool(2)


@pytest.mark.parametrize(
    ("choices", "raw", "expected"),
    [
        (FUNDING_STAGES, "シリーズA", "series_a"),
        (FUNDING_STAGES, "ｼﾘｰｽﾞB", "series_b"),  # half-width katakana
        (FUNDING_STAGES, "Series A", "series_a"),
        (FUNDING_STAGES, "pre-seed", "pre_seed"),
        (FUNDING_STAGES, "シード", "seed"),
        (INVOICE_STATUSES, "入金済み", "paid"),
        (INVOICE_STATUSES, "ISSUED", "issued"),
        (PAYMENT_METHODS, "銀行振込", "bank_transfer"),
        (PAYMENT_METHODS, "bank transfer", "bank_transfer"),
        (TREATMENT_KINDS, "マッサージ", "massage"),
        (TREATMENT_KINDS, "整体", "chiropractic"),
        (TREATMENT_KINDS, "コーチング", "coaching"),
        (TREATMENT_KINDS, "その他", "other"),
        (PHASES, "施術前", "before"),
        (PHASES, "施術後", "after"),
        (PHASES, "After", "after"),
    ],
)
def test_choices(choices: dict[str, str], raw: str, expected: str) -> None:
    assert parse_choice(raw, choices) == expected


def test_unknown_choice_lists_the_accepted_values() -> None:
    with _fails(
        "is not one of the accepted values (massage, chiropractic, coaching, other, or their Japanese"
    ):
        parse_choice("鍼灸", TREATMENT_KINDS)


def test_text_is_kept_as_written() -> None:
    assert parse_text("  株式会社ＡＢＣ  ") == "株式会社ＡＢＣ"  # no NFKC: a name is the user's own
    assert parse_text("'; DROP TABLE x; --") == "'; DROP TABLE x; --"
    assert parse_text('=HYPERLINK("http://x","x")') == '=HYPERLINK("http://x","x")'
    assert parse_text("一行目\n二行目") == "一行目\n二行目"
    assert parse_text(1001.0) == "1001"
    assert parse_text(1001.5) == "1001.5"
    assert parse_text(datetime(2024, 4, 1, 9)) == "2024-04-01T09:00:00"


def test_codes_are_normalised() -> None:
    assert parse_code(" Ｅ００１ ") == "E001"
    assert parse_code(1001.0) == "1001"
    assert parse_code("ｶﾞ-01") == "ガ-01"


@pytest.mark.parametrize(
    ("raw", "empty"), [(None, True), ("", True), ("  ", True), ("\u3000", True), ("0", False)]
)
def test_empty(raw: object, empty: bool) -> None:
    assert is_empty(raw) is empty
