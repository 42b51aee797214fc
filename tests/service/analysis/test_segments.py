"""segments: planted groups of VAS profiles are found, with their sizes and centroids in VAS points."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.segments import segments

PROFILES = {  # physical, mental, motivation, communication, other
    "tired": (25, 60, 50, 60, 50),
    "stressed": (60, 20, 35, 55, 50),
    "well": (80, 80, 80, 75, 70),
}


def planted(sizes: dict[str, int], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows, employee = [], 0
    for name, count in sizes.items():
        for _ in range(count):
            employee += 1
            for phase in ("before", "after"):
                scores = np.clip(np.array(PROFILES[name], float) + rng.normal(0, 4, 5), 0, 100)
                rows.append(
                    {
                        "employee_id": employee,
                        "company_id": 1 + employee % 3,
                        "treatment_id": None,
                        "phase": phase,
                        "answered_at": pd.Timestamp(datetime(2025, 5, 1, tzinfo=UTC)),
                        **dict(zip(VAS_DIMENSIONS, scores, strict=True)),
                    }
                )
    return pd.DataFrame(rows)


def test_planted_segments_are_found_with_their_sizes_and_centroids() -> None:
    result = segments(planted({"tired": 60, "stressed": 40, "well": 100}))
    assert (result.employees, result.k, result.chosen_by) == (200, 3, "silhouette")
    assert result.silhouette is not None
    assert result.silhouette > 0.5
    assert [s.size for s in result.segments] == [100, 60, 40]
    assert [s.share for s in result.segments] == pytest.approx([0.5, 0.3, 0.2])
    for segment, name in zip(result.segments, ("well", "tired", "stressed"), strict=True):
        for dimension, planted_value in zip(VAS_DIMENSIONS, PROFILES[name], strict=True):
            assert segment.centroid[dimension] == pytest.approx(planted_value, abs=2.5)


def test_a_given_k_is_used_and_too_few_profiles_are_not_clustered() -> None:
    result = segments(planted({"tired": 30, "well": 30}), k=4)
    assert (result.k, result.chosen_by, len(result.segments)) == (4, "given", 4)
    assert sum(s.size for s in result.segments) == 60
    two = segments(planted({"tired": 1, "well": 1}))
    assert (two.employees, two.k, two.segments) == (2, None, [])
    assert segments(planted({"tired": 30}), k=40).k is None  # more segments than profiles
