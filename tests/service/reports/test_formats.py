"""The report's number formats and Japanese line breaking."""

from __future__ import annotations

from datetime import date

from backend.service.analysis.results import Interval
from backend.service.reports import formats as f
from backend.service.reports.pdf_layout import wrap


def test_numbers_are_written_one_way() -> None:
    assert f.yen(1_234_567) == "¥1,234,567"
    assert f.yen(-934_412.4) == "-¥934,412"
    assert f.yen(None) == "—"
    assert f.percent(0.4912) == "49.1%"
    assert f.percent(18.004) == "1,800.4%"
    assert f.percent(-0.0001) == "0.0%"  # never "-0.0%"
    assert f.estimate(12.34, Interval(low=10.06, high=14.54)) == "12.3 [10.1, 14.5]"
    assert f.estimate(0.4321, Interval(low=-0.1, high=0.96), 2) == "0.43 [-0.10, 0.96]"
    assert f.estimate(5.0, None) == "5.0"
    assert f.percent_range(3.1234, 10.5678) == "[312.3%, 1,056.8%]"
    assert (f.p_value(0.0004), f.p_value(0.0213), f.p_value(None)) == ("<0.001", "0.021", "—")
    assert f.number(5.87, signed=True) == "+5.9"
    assert (f.day(date(2026, 1, 5)), f.month("2025-04")) == ("2026年1月5日", "2025年4月")
    assert f.suppressed(5) == "—（5名未満のため非表示）"
    assert f.printable("\tA\rB") == " A B"


def test_japanese_text_breaks_between_characters_but_not_before_closing_punctuation() -> None:
    def width(text: str) -> float:
        return float(len(text))

    assert wrap("あいうえお、かきくけこ。さしすせそ", 5, width) == [
        "あいうえお、",
        "かきくけこ。",
        "さしすせそ",
    ]
    assert wrap("検定 Wilcoxon の", 8, width) == ["検定", "Wilcoxon", "の"]  # a Latin word stays whole
    assert wrap("aaaaaaaaaa", 4, width) == ["aaaa", "aaaa", "aa"]  # unless wider than the line
