"""wellness_score: the documented formula on hand-made months, settable weights, the trend finds a
planted slope, small months are suppressed."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.wellness import WellnessWeights, monthly_scores, wellness_score


def answer(employee: int, company: int, month: int, year: int = 2025, **vas: float) -> dict[str, object]:
    return {
        "employee_id": employee,
        "company_id": company,
        "treatment_id": None,
        "phase": "before",
        "answered_at": pd.Timestamp(datetime(year, month, 10, tzinfo=UTC)),
        **(dict.fromkeys(VAS_DIMENSIONS, 50.0) | vas),
    }


def statements(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["company_id", "period", "headcount"])
    frame["period"] = pd.to_datetime(frame["period"] + "-01").astype("datetime64[s]")
    return frame.astype({"company_id": "Int64", "headcount": "Int64"})


def test_a_month_scores_by_the_documented_formula() -> None:
    surveys = pd.DataFrame(
        [
            answer(1, 1, 4, physical=80, mental=60, motivation=40, communication=70, other=50),
            answer(2, 1, 4, physical=60, mental=40, motivation=60, communication=50, other=30),
            # a second answer of the same employee: every answer counts in the means, once in participation
            answer(2, 1, 4, physical=70, mental=50, motivation=50, communication=60, other=40),
        ]
    )
    [month] = wellness_score(surveys, statements([(1, "2025-04", 4)])).companies[0].months
    means = {"physical": 70, "mental": 50, "motivation": 50, "communication": 60, "other": 40}
    vas = sum(means.values()) / 5  # 54
    assert month.respondents == 2
    assert month.participation == pytest.approx(0.5)
    assert month.vas_score == pytest.approx(vas)
    assert month.score == pytest.approx(0.8 * vas + 0.2 * 50)


def test_weights_are_settable_and_must_weigh_something() -> None:
    surveys = pd.DataFrame([answer(1, 1, 4, physical=90, mental=10)])
    only_physical = WellnessWeights(mental=0, motivation=0, communication=0, other=0, participation=0)
    result = wellness_score(surveys, statements([(1, "2025-04", 1)]), weights=only_physical)
    [month] = result.companies[0].months
    assert month.score == pytest.approx(90)
    with pytest.raises(ValidationError, match="at least one VAS dimension"):
        WellnessWeights(physical=0, mental=0, motivation=0, communication=0, other=0)


def test_without_headcount_a_month_scores_on_vas_alone_and_participation_is_capped() -> None:
    surveys = pd.DataFrame([answer(1, 1, 4, physical=70), answer(1, 1, 5), answer(2, 1, 5)])
    table = monthly_scores(surveys, statements([(1, "2025-05", 1)]))  # no April P&L; May: 2 answered, 1 head
    april, may = table.sort_values("period").to_dict("records")
    assert pd.isna(april["participation"])
    assert april["score"] == pytest.approx(april["vas_score"])
    assert may["participation"] == pytest.approx(1.0)


def test_the_trend_finds_a_planted_slope() -> None:
    rng = np.random.default_rng(11)
    rows = []
    for m in range(12):
        level = 40 + 2.0 * m  # two points a month
        year, month = 2024 + (3 + m) // 12, (3 + m) % 12 + 1
        rows += [
            answer(e, 1, month, year, **{d: float(level + rng.normal(0, 3)) for d in VAS_DIMENSIONS})
            for e in range(1, 11)
        ]
    heads = [(1, f"{2024 + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}", 10) for m in range(12)]
    [company] = wellness_score(pd.DataFrame(rows), statements(heads)).companies
    assert company.trend is not None
    assert company.trend.n == 12
    assert company.trend.interval is not None
    slope = 0.8 * 2.0  # the VAS part moves, full participation stays at 100
    assert company.trend.interval.low < slope < company.trend.interval.high
    assert company.trend.p_value is not None
    assert company.trend.p_value < 1e-6


def test_small_months_are_suppressed_for_vc_users_and_left_out_of_the_trend() -> None:
    surveys = pd.DataFrame(
        [answer(e, 1, 4) for e in range(1, 6)] + [answer(e, 1, 5) for e in range(1, 4)] + [answer(1, 1, 6)]
    )
    heads = statements([(1, "2025-04", 10), (1, "2025-05", 10), (1, "2025-06", 10)])
    [company] = wellness_score(surveys, heads, min_group=5).companies
    april, may, june = company.months
    assert not april.suppressed
    assert april.respondents == 5
    assert may.suppressed
    assert (may.score, may.respondents, may.participation) == (None, None, None)
    assert june.suppressed
    assert company.trend is None  # one shown month has no slope
    [everyone] = wellness_score(surveys, heads).companies
    assert everyone.trend is not None
    assert everyone.trend.n == 3
