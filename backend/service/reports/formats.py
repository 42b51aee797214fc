"""How a report writes its numbers and names, one way in every section and both formats: yen with
thousands separators, percentages with one decimal, an estimate with its interval as
"12.3 [10.1, 14.5]", and suppressed values as suppressed (never as zero or blank)."""

from __future__ import annotations

import re
from datetime import date

from backend.service.analysis.results import Interval

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
NOTHING = "—"  # no value to state (too few data), as opposed to a suppressed one

DIMENSIONS = {
    "physical": "身体症状",
    "mental": "精神状態",
    "motivation": "意欲",
    "communication": "コミュニケーション",
    "other": "その他",
}
KPIS = {
    "revenue_growth": "売上成長率（前月比）",
    "operating_margin": "営業利益率",
    "leaver_rate": "離職率",
}


def printable(text: str) -> str:
    """Control characters (a tab or carriage return in a name) as spaces, for print."""
    return _CONTROL.sub(" ", text)


def suppressed(min_group: int) -> str:
    """What a report shows instead of a value hidden by the small-group rule."""
    return f"—（{min_group}名未満のため非表示）"


def yen(value: int | float | None) -> str:
    if value is None:
        return NOTHING
    amount = round(value)
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def percent(share: float | None) -> str:
    """A share (0.123) as "12.3%"."""
    return NOTHING if share is None else f"{number(share * 100, 1)}%"


def number(value: float | None, digits: int = 1, *, signed: bool = False) -> str:
    if value is None:
        return NOTHING
    value = 0.0 if round(value, digits) == 0 else value  # never "-0.0"
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


def estimate(value: float | None, interval: Interval | None, digits: int = 1) -> str:
    """ "12.3 [10.1, 14.5]"; the estimate alone where there is no interval."""
    if value is None:
        return NOTHING
    if interval is None:
        return number(value, digits)
    return f"{number(value, digits)} [{number(interval.low, digits)}, {number(interval.high, digits)}]"


def percent_range(low: float | None, high: float | None) -> str:
    """A range of shares as "[42.0%, 98.5%]"."""
    if low is None or high is None:
        return NOTHING
    return f"[{percent(low)}, {percent(high)}]"


def p_value(p: float | None) -> str:
    if p is None:
        return NOTHING
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def count(value: int | None) -> str:
    return NOTHING if value is None else f"{value:,}"


def day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def month(period: str) -> str:
    """ "2025-04" as "2025年4月"."""
    year, m = period.split("-")
    return f"{year}年{int(m)}月"
