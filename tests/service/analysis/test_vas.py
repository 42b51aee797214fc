"""vas_change on synthetic answers with planted effects: the estimates find them, with honest
intervals; pairing and small-group suppression follow their rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from backend.database.models import SurveyAnswer
from backend.service.analysis.frames import VAS_DIMENSIONS, surveys_frame
from backend.service.analysis.privacy import suppressed_groups
from backend.service.analysis.vas import paired_answers, paired_change, vas_change

T0 = datetime(2025, 4, 1, 9, tzinfo=UTC)
PLANTED = {"physical": 12.0, "mental": 8.0, "motivation": 0.0, "communication": 0.0, "other": 0.0}


def answer(employee: int, company: int, phase: str, at: datetime, treatment: str | None = "t1", **vas: float):
    scores = dict.fromkeys(VAS_DIMENSIONS, 50.0) | vas
    return {
        "employee_id": employee,
        "company_id": company,
        "treatment_id": treatment,
        "phase": phase,
        "answered_at": at,
        **scores,
    }


def planted(companies: dict[int, int], seed: int = 7) -> pd.DataFrame:
    """``companies``: company → employees. Before ~ N(50, 10); after = before + effect + N(0, 5)."""
    rng = np.random.default_rng(seed)
    rows, employee = [], 0
    for company, employees in companies.items():
        for _ in range(employees):
            employee += 1
            before = {d: float(np.clip(rng.normal(50, 10), 0, 100)) for d in VAS_DIMENSIONS}
            after = {
                d: float(np.clip(before[d] + PLANTED[d] + rng.normal(0, 5), 0, 100)) for d in VAS_DIMENSIONS
            }
            rows.append(answer(employee, company, "before", T0, **before))
            rows.append(answer(employee, company, "after", T0 + timedelta(days=14), **after))
    return pd.DataFrame(rows)


def dimension(group, name: str):
    return next(d for d in group.dimensions if d.dimension == name)


def test_the_planted_effects_are_found() -> None:
    result = vas_change(planted({1: 60, 2: 60, 3: 60}))
    assert result.overall.employees == 180
    for name, effect in PLANTED.items():
        change = dimension(result.overall, name)
        assert change.n == 180
        assert change.mean_change is not None
        assert abs(change.mean_change - effect) < 1.5, name  # the standard error is about 0.4
    physical = dimension(result.overall, "physical")
    assert physical.t_p_value is not None
    assert physical.t_p_value < 1e-6
    assert physical.wilcoxon_p_value is not None
    assert physical.wilcoxon_p_value < 1e-6
    assert physical.cohens_dz is not None
    assert 1.8 < physical.cohens_dz < 3.2  # 12 / 5, less what clipping at 0 and 100 takes
    motivation = dimension(result.overall, "motivation")
    assert motivation.t_p_value is not None
    assert motivation.t_p_value > 0.01  # no effect planted
    assert [g.company_id for g in result.companies] == [1, 2, 3]
    assert all(dimension(g, "physical").n == 60 for g in result.companies)


def test_the_95_percent_interval_holds_the_true_change_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(2025)
    trials, held = 2000, 0
    for _ in range(trials):
        before = rng.normal(50, 10, size=12)
        after = before + 8 + rng.normal(0, 6, size=12)
        change = paired_change("mental", before, after)
        assert change.interval is not None
        held += change.interval.low < 8 < change.interval.high
    assert 0.935 < held / trials < 0.965  # binomial SD of the rate is 0.005


def test_the_statistics_are_the_textbook_ones() -> None:
    before = np.array([40.0, 55.0, 61.0, 30.0, 47.0, 52.0])
    after = np.array([52.0, 60.0, 60.0, 45.0, 50.0, 70.0])
    change = paired_change("physical", before, after)
    d = after - before
    mean, sd, n = d.mean(), d.std(ddof=1), len(d)
    assert change.mean_change == pytest.approx(mean)
    assert change.t_statistic == pytest.approx(mean / (sd / math.sqrt(n)))
    assert change.t_p_value == pytest.approx(2 * stats.t.sf(abs(mean / (sd / math.sqrt(n))), n - 1))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    assert change.interval is not None
    assert (change.interval.low, change.interval.high) == pytest.approx((mean - half, mean + half))
    assert change.cohens_dz == pytest.approx(mean / sd)
    # Wilcoxon by hand: ranks of |d| = 12, 5, 1, 15, 3, 18 → the one negative change (−1) has rank 1
    assert change.wilcoxon_statistic == pytest.approx(1.0)


def test_degenerate_groups_answer_what_can_be_said() -> None:
    one = paired_change("mental", np.array([40.0]), np.array([50.0]))
    assert (one.n, one.mean_change, one.interval, one.t_p_value) == (1, 10.0, None, None)
    same = paired_change("mental", np.array([40.0, 60.0]), np.array([40.0, 60.0]))
    assert same.interval is not None
    assert (same.mean_change, same.interval.low, same.interval.high) == (0.0, 0.0, 0.0)
    assert (same.t_p_value, same.wilcoxon_p_value, same.cohens_dz) == (None, None, None)
    empty = vas_change(pd.DataFrame([answer(1, 1, "before", T0)]))  # nobody answered after
    assert empty.overall.employees == 0
    assert dimension(empty.overall, "physical").n == 0


def test_pairs_are_per_treatment_the_latest_answer_of_each_phase_in_order() -> None:
    rows = [
        answer(1, 1, "before", T0, physical=10),
        answer(1, 1, "before", T0 + timedelta(hours=1), physical=20),  # the latest before counts
        answer(1, 1, "after", T0 + timedelta(days=1), physical=50),
        answer(1, 1, "before", T0, "t2", physical=30),  # a second treatment: its own pair
        answer(1, 1, "after", T0 + timedelta(days=2), "t2", physical=35),
        answer(2, 1, "after", T0 - timedelta(days=1), physical=90),  # after before before: no pair
        answer(2, 1, "before", T0, physical=40),
        answer(3, 1, "before", T0, None, physical=60),  # no treatment: paired per employee
        answer(3, 1, "after", T0 + timedelta(days=3), None, physical=64),
        answer(4, 1, "before", T0, physical=70),  # never answered after
    ]
    pairs = paired_answers(pd.DataFrame(rows))
    columns = ("employee_id", "pair", "physical_before", "physical_after")
    got = sorted(zip(*(pairs[c] for c in columns), strict=True))
    assert got == [(1, "t1", 20, 50), (1, "t2", 30, 35), (3, "", 60, 64)]
    result = vas_change(pd.DataFrame(rows))
    assert dimension(result.overall, "physical").n == 3
    assert result.overall.employees == 2


def test_vc_aggregates_suppress_small_groups_and_what_would_reveal_them() -> None:
    result = vas_change(planted({1: 40, 2: 3, 3: 8, 4: 20}), min_group=5)
    shown = {g.company_id: g for g in result.companies}
    assert shown[2].suppressed  # 3 employees
    assert shown[3].suppressed  # shown, it would give company 2's figures by subtraction from the total
    assert shown[2].employees is None
    assert dimension(shown[2], "physical").mean_change is None
    assert dimension(shown[2], "physical").n is None
    assert not shown[1].suppressed
    assert not shown[4].suppressed
    assert not result.overall.suppressed
    assert result.overall.employees == 71
    assert vas_change(planted({1: 4}), min_group=5).overall.suppressed
    analyst = vas_change(planted({1: 40, 2: 3}))  # the Startup Wellness team sees every group
    assert not any(g.suppressed for g in analyst.companies)


@pytest.mark.parametrize(
    ("sizes", "hidden"),
    [
        ({1: 10, 2: 9}, set()),
        ({1: 10, 2: 4}, {1, 2}),  # one shown group would be the total minus the hidden one
        ({1: 10, 2: 2, 3: 2, 4: 30}, {1, 2, 3}),  # 2 + 2 < 5: the next smallest goes too
        ({1: 10, 2: 2, 3: 3, 4: 30}, {2, 3}),  # 2 + 3 together are 5: enough
        ({1: 1}, {1}),
        ({}, set()),
    ],
)
def test_suppression_hides_small_groups_and_their_complements(
    sizes: dict[int, int], hidden: set[int]
) -> None:
    assert suppressed_groups(sizes, min_group=5) == hidden


def test_answers_become_a_frame_with_exact_types() -> None:
    vas = dict.fromkeys(VAS_DIMENSIONS, 70) | {"physical": 12.5}
    stored = [
        SurveyAnswer.model_validate(
            {
                "employee_id": 3,
                "company_id": 9,
                "phase": "before",
                "answered_at": datetime(2025, 4, 1, 18, tzinfo=UTC),
                "vas": vas,
            }
        )
    ]
    frame = surveys_frame(stored)
    assert str(frame["employee_id"].dtype) == "Int64"
    assert str(frame["answered_at"].dtype) == "datetime64[us, UTC]"
    assert frame.loc[0, "physical"] == 12.5
    assert frame.loc[0, "mental"] == 70.0
    assert pd.isna(frame.loc[0, "treatment_id"])
    assert surveys_frame([]).empty
