"""``segments``: employee segments by VAS profile, k-means (scikit-learn). For the Startup Wellness
team only (analysts and admins): segments describe individuals.

Each employee's profile is the mean of their answers per VAS dimension (before and after alike, or
one phase when asked). Profiles are standardised (each dimension to mean 0, SD 1) before
clustering, so no dimension weighs more for its spread. Unless ``k`` is given it is the k in
``2..max_k`` with the highest silhouette score. The result gives each segment's size and centroid in
VAS points (0–100), largest segment first, and the silhouette of the chosen k.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.results import Result


class Segment(Result):
    size: int
    share: float  # of the employees clustered
    centroid: dict[str, float]  # VAS points per dimension


class Segments(Result):
    employees: int
    k: int | None  # None: too few distinct profiles to cluster
    chosen_by: Literal["silhouette", "given"] | None = None
    silhouette: float | None = None
    segments: list[Segment]


def segments(
    surveys: pd.DataFrame,
    *,
    k: int | None = None,
    max_k: int = 8,
    phase: Literal["before", "after"] | None = None,
    dimensions: Sequence[str] = VAS_DIMENSIONS,
    seed: int = 0,
) -> Segments:
    answers = surveys if phase is None else surveys[surveys["phase"] == phase]
    profiles = answers.groupby(["company_id", "employee_id"])[list(dimensions)].mean()
    n = len(profiles)
    distinct = len(profiles.drop_duplicates())
    if distinct < 3 or (k is not None and not 2 <= k <= distinct - 1):
        return Segments(employees=n, k=None, segments=[])
    scaled = StandardScaler().fit_transform(profiles.to_numpy(float))
    if k is None:
        tried = {c: _fit(scaled, c, seed) for c in range(2, min(max_k, distinct - 1) + 1)}
        scores = {c: float(silhouette_score(scaled, labels)) for c, labels in tried.items()}
        chosen = max(scores, key=lambda c: scores[c])
        labels, by = tried[chosen], "silhouette"
    else:
        chosen, labels, by = k, _fit(scaled, k, seed), "given"
    found = []
    for label in np.unique(labels):
        members = profiles.to_numpy(float)[labels == label]
        centroid = {d: float(v) for d, v in zip(dimensions, members.mean(axis=0), strict=True)}
        found.append(Segment(size=len(members), share=len(members) / n, centroid=centroid))
    found.sort(key=lambda s: -s.size)
    return Segments(
        employees=n,
        k=chosen,
        chosen_by=by,
        silhouette=float(silhouette_score(scaled, labels)),
        segments=found,
    )


def _fit(scaled: np.ndarray, k: int, seed: int) -> np.ndarray:
    return np.asarray(KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(scaled))
