"""Dates, months and times as Japanese files write them: ISO, slashes, 年月日, 和暦, Excel serials.

Every function takes a raw cell (text from a CSV, or a typed value from Excel) and returns the value
or raises ``ValueError`` whose message is the reason in plain words, meant to follow the column name.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from backend.service.schemas import TOKYO

MIN_YEAR, MAX_YEAR = 1900, 2200
# The year before an era's first year: 令和1年 = 2019, 平成1年 = 1989, 昭和1年 = 1926.
_ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
_ERA = re.compile(r"^(令和|平成|昭和|[rhs])\s*(元|\d{1,2})\s*(?:年|[./-])", re.IGNORECASE)
_WESTERN = re.compile(
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?"
    r"(?:(?:\s+|T)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
# The forms most files use, read without the general parser (which gives the same values, and the
# reasons when they are wrong): 2024-04 / 2024/4, 2024-04-01 / 2024/4/1, and that with 10:30[:15].
_FAST_MONTH = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})")
_FAST_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})")
_FAST_DATETIME = re.compile(
    r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_KANJI_SPACES = re.compile(r"\s*(年|月|日|時|分|秒)\s*")
_KANJI = (("年", "-"), ("月度", "-"), ("月", "-"), ("日", " "), ("時", ":"), ("分", ":"), ("秒", ""))
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$")  # 20240401, 202404 (common in exports)
# Excel's 1900 date system: serial 1 is 1900-01-01, and 60 is 1900-02-29, a day that never was
# (Lotus 1-2-3's leap-year bug, kept by Excel); from 61 on the serials are one day ahead.
_EXCEL_LEAP_BUG = 60
_EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31


@dataclass(frozen=True)
class _Parts:
    year: int
    month: int
    day: int | None
    clock: time | None
    tz: timezone | None


def _formula(text: str) -> None:
    if text.startswith("="):
        raise ValueError(
            "is an Excel formula, not a value; in Excel copy the cells and use Paste Special → Values"
        )


def _prepare(text: str) -> str:
    if text.isascii():  # 2024-04-01, 2024/4/1, R6.4.1: nothing to normalise or translate
        text = text.strip()
        _formula(text)
        return _western_era(text)
    text = unicodedata.normalize("NFKC", text).strip()
    _formula(text)
    text = _western_era(text)
    # 2024年 4月 1日 10時30分 → 2024-4-1 10:30; 月度 ("4月度") is the accounting month.
    text = _KANJI_SPACES.sub(r"\1", text)
    for old, new in _KANJI:
        text = text.replace(old, new)
    return text.strip().rstrip("-:").strip()


def _western_era(text: str) -> str:
    """令和6年4月1日 → 2024-4月1日, R6.4.1 → 2024-4.1."""
    if match := _ERA.match(text):
        era, number = match.group(1).lower(), match.group(2)
        year = 1 if number == "元" else int(number)
        if year == 0:
            raise ValueError("has era year 0; the first year of an era is 1 (元年)")
        text = f"{_ERAS[era] + year}-{text[match.end() :]}"
    return text


def _checked(year: int, month: int, day: int | None) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"has the year {year}; give a year between {MIN_YEAR} and {MAX_YEAR}")
    if not 1 <= month <= 12:
        raise ValueError(f"is not a date: there is no month {month}")
    if day is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise ValueError(f"is not a date: {calendar.month_name[month]} {year} has no day {day}")


def _parts(raw: str) -> _Parts:
    text = _prepare(raw)
    match = _WESTERN.match(text) or _COMPACT.match(text)
    if match is None:
        raise ValueError(
            "is not a date this column understands; write it as 2024-04-01, 2024/4/1, 2024年4月1日 "
            "or 令和6年4月1日"
        )
    groups = match.groupdict()
    year, month = int(groups["y"]), int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else None
    _checked(year, month, day)
    clock = None
    if groups.get("H"):
        hour, minute, second = int(groups["H"]), int(groups["M"]), int(groups["S"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"has the time {hour}:{minute:02d}:{second:02d}, which does not exist")
        clock = time(hour, minute, second, int((groups["f"] or "0").ljust(6, "0")))
    return _Parts(year, month, day, clock, _zone(groups.get("tz")))


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        raise ValueError(f"has the time zone offset {text}, which does not exist")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def from_excel_serial(serial: float) -> datetime:
    """A number from an Excel cell without a date format, read in Excel's 1900 date system."""
    if serial != serial or not 1 <= serial <= _EXCEL_MAX_SERIAL:
        raise ValueError(
            f"is the number {serial:g}, not a date; format the cells as dates, or write 2024-04-01"
        )
    days = int(serial)
    if days == _EXCEL_LEAP_BUG:
        raise ValueError("is Excel's 1900-02-29, a day that does not exist; check the date")
    start = datetime(1899, 12, 31) if days < _EXCEL_LEAP_BUG else datetime(1899, 12, 30)
    seconds = round((serial - days) * 86_400)
    return start + timedelta(days=days, seconds=seconds)


def _not_text_kind(raw: object) -> None:
    if isinstance(raw, bool):
        raise ValueError(f"is {str(raw).upper()}, not a date")


def _fast_date(raw: object) -> date | None:
    if type(raw) is str and (m := _FAST_DATE.fullmatch(raw)) and MIN_YEAR <= (year := int(m[1])) <= MAX_YEAR:
        try:
            return date(year, int(m[3]), int(m[4]))
        except ValueError:
            return None  # the general parser says what is wrong
    return None


def parse_date(raw: object) -> date:
    """A calendar day; a time of day written with it is ignored."""
    if (fast := _fast_date(raw)) is not None:
        return fast
    _not_text_kind(raw)
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float):
        return from_excel_serial(raw).date()
    parts = _parts(str(raw))
    if parts.day is None:
        raise ValueError("is a month without a day; write the whole date, e.g. 2024-04-01")
    return date(parts.year, parts.month, parts.day)


def parse_month(raw: object) -> date:
    """A month, as the date of its first day: 2024-04, 2024/4, 2024年4月, 令和6年4月, 202404, or a 1st."""
    if (
        type(raw) is str
        and (m := _FAST_MONTH.fullmatch(raw))
        and MIN_YEAR <= (year := int(m[1])) <= MAX_YEAR
        and 1 <= (month := int(m[2])) <= 12
    ):
        return date(year, month, 1)
    _not_text_kind(raw)
    if isinstance(raw, date | int | float):
        day = parse_date(raw)
        if day.day != 1:
            raise ValueError(f"is a day ({day.isoformat()}), not a month; write it as {day:%Y-%m}")
        return day
    parts = _parts(str(raw))
    if parts.day not in (None, 1):
        raise ValueError(f"is a day, not a month; write it as {parts.year}-{parts.month:02d}")
    return date(parts.year, parts.month, 1)


def parse_datetime(raw: object) -> datetime:
    """A moment; without a time zone it is Tokyo time, and a day alone is its midnight in Tokyo."""
    if (
        type(raw) is str
        and (m := _FAST_DATETIME.fullmatch(raw))
        and MIN_YEAR <= (year := int(m[1])) <= MAX_YEAR
    ):
        try:
            if m[5] is None:
                return datetime(year, int(m[3]), int(m[4]), tzinfo=TOKYO)
            return datetime(year, int(m[3]), int(m[4]), int(m[5]), int(m[6]), int(m[7] or 0), tzinfo=TOKYO)
        except ValueError:
            pass  # the general parser says what is wrong
    _not_text_kind(raw)
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=TOKYO)
    if isinstance(raw, date):
        return datetime.combine(raw, time(), TOKYO)
    if isinstance(raw, int | float):
        return from_excel_serial(raw).replace(tzinfo=TOKYO)
    parts = _parts(str(raw))
    if parts.day is None:
        raise ValueError("is a month without a day; write the date and time, e.g. 2024-04-01 10:30")
    return datetime.combine(
        date(parts.year, parts.month, parts.day), parts.clock or time(), parts.tz or TOKYO
    )
