"""Dates, months and moments the way Japanese files and Excel write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from backend.service.ingest.dates import from_excel_serial, parse_date, parse_datetime, parse_month
from backend.service.schemas import TOKYO


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-04-01", date(2024, 4, 1)),
        ("2024/4/1", date(2024, 4, 1)),
        ("2024.04.01", date(2024, 4, 1)),
        (" 2024/04/01 ", date(2024, 4, 1)),
        ("２０２４／４／１", date(2024, 4, 1)),  # full-width
        ("2024年4月1日", date(2024, 4, 1)),
        ("2024年 4月 1日", date(2024, 4, 1)),
        ("R6.4.1", date(2024, 4, 1)),
        ("r06/04/01", date(2024, 4, 1)),
        ("令和6年4月1日", date(2024, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("㋿6年4月1日", date(2024, 4, 1)),  # the one-character era name
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H31.4.30", date(2019, 4, 30)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("20240401", date(2024, 4, 1)),
        ("2024/04/01 0:00", date(2024, 4, 1)),  # Excel's CSV of a date cell
        ("2024-04-01T10:30:00+09:00", date(2024, 4, 1)),
        (datetime(2024, 4, 1, 12, 0), date(2024, 4, 1)),
        (date(2024, 4, 1), date(2024, 4, 1)),
        (45383, date(2024, 4, 1)),  # Excel serial of a cell without a date format
        (45383.75, date(2024, 4, 1)),
    ],
)
def test_dates(raw: object, expected: date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2024-13-01", "is not a date: there is no month 13"),
        ("2023-02-29", "is not a date: February 2023 has no day 29"),
        ("2024/4/31", "is not a date: April 2024 has no day 31"),
        ("2024-04", "is a month without a day; write the whole date, e.g. 2024-04-01"),
        ("24/4/1", "is not a date this column understands"),
        ("4/1/2024", "is not a date this column understands"),
        ("tomorrow", "is not a date this column understands"),
        ("1800-01-01", "has the year 1800; give a year between 1900 and 2200"),
        ("令和0年4月1日", "has era year 0; the first year of an era is 1 (元年)"),
        ("=TODAY()", "is an Excel formula, not a value"),
        (60, "is Excel's 1900-02-29, a day that does not exist"),
        (0, "is the number 0, not a date"),
        (-5.5, "is the number -5.5, not a date"),
        (float("nan"), "is the number nan, not a date"),
        (True, "is TRUE, not a date"),
        ("2024-04-01 25:00", "has the time 25:00:00, which does not exist"),
    ],
)
def test_bad_dates(raw: object, reason: str) -> None:
    with pytest.raises(ValueError, match="^" + reason.replace("(", r"\(").replace(")", r"\)")):
        parse_date(raw)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, datetime(1900, 1, 1)),
        (59, datetime(1900, 2, 28)),
        (61, datetime(1900, 3, 1)),  # the leap-year bug: 60 is the day that never was
        (45383, datetime(2024, 4, 1)),
        (45383.5, datetime(2024, 4, 1, 12)),
        (45383 + 10.5 / 24, datetime(2024, 4, 1, 10, 30)),
        (2958465, datetime(9999, 12, 31)),
    ],
)
def test_excel_serials(serial: float, expected: datetime) -> None:
    assert from_excel_serial(serial) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-04", date(2024, 4, 1)),
        ("2024/04", date(2024, 4, 1)),
        ("2024/4", date(2024, 4, 1)),
        ("2024年4月", date(2024, 4, 1)),
        ("2024年4月度", date(2024, 4, 1)),
        ("令和6年4月", date(2024, 4, 1)),
        ("R6.4", date(2024, 4, 1)),
        ("202404", date(2024, 4, 1)),
        ("2024-04-01", date(2024, 4, 1)),
        (datetime(2024, 4, 1), date(2024, 4, 1)),
        (45383, date(2024, 4, 1)),
    ],
)
def test_months(raw: object, expected: date) -> None:
    assert parse_month(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2024-04-15", "is a day, not a month; write it as 2024-04"),
        (date(2024, 4, 15), "is a day (2024-04-15), not a month; write it as 2024-04"),
        ("2024-13", "is not a date: there is no month 13"),
        ("4月", "is not a date this column understands"),
    ],
)
def test_bad_months(raw: object, reason: str) -> None:
    with pytest.raises(ValueError, match="^" + reason.replace("(", r"\(").replace(")", r"\)")):
        parse_month(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024/4/10 10:00", datetime(2024, 4, 10, 10, 0, tzinfo=TOKYO)),
        ("2024-04-10 10:30:15", datetime(2024, 4, 10, 10, 30, 15, tzinfo=TOKYO)),
        ("2024年4月17日 15時00分", datetime(2024, 4, 17, 15, 0, tzinfo=TOKYO)),
        ("2024-04-10T01:00:00Z", datetime(2024, 4, 10, 1, 0, tzinfo=UTC)),
        ("2024-04-10T10:00:00+05:30", datetime(2024, 4, 10, 10, 0, tzinfo=timezone(timedelta(hours=5.5)))),
        ("2024-04-10", datetime(2024, 4, 10, tzinfo=TOKYO)),  # a day alone: its midnight in Tokyo
        (datetime(2024, 4, 10, 9, 55), datetime(2024, 4, 10, 9, 55, tzinfo=TOKYO)),
        (date(2024, 4, 10), datetime.combine(date(2024, 4, 10), time(), TOKYO)),
        (45383.5, datetime(2024, 4, 1, 12, tzinfo=TOKYO)),
    ],
)
def test_datetimes(raw: object, expected: datetime) -> None:
    parsed = parse_datetime(raw)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()
