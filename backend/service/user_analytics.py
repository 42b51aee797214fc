"""The seed's example of the service layer: one user's VAS surveys, summarised per phase."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from backend.database import DatabaseManager, DataCategory, crud
from backend.database.models_sql import User
from backend.service.firestore import firestore_service

PHASES = ("before", "after")
DIMENSIONS = ("physical", "mental", "motivation", "communication", "other")


# The seed's example, kept as written; the only change is int(user_id): surveys store user_id as an int.
# fmt: off
async def get_user_analytics(user_id: str | int) -> dict[str, Any]:
    """Survey counts and mean VAS per phase for the surveys the user recorded."""
    # データベースレイヤーを利用してデータ取得
    user = crud.get_user(user_id)
    surveys = await firestore_service.fetch_documents(
        collection_name=DatabaseManager.get_collection_name(DataCategory.SURVEY),
        conditions=[{'field': 'user_id', 'operator': '==', 'value': int(user_id)}]
    )
    # ビジネスロジックを適用（サービスレイヤーの責務）
    result = process_analytics_data(user, surveys)
    return result  # noqa: RET504
# fmt: on


def process_analytics_data(user: User, surveys: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The user, their survey count, and per phase the count and the mean of each VAS dimension."""
    by_phase: dict[str, list[Mapping[str, Any]]] = {phase: [] for phase in PHASES}
    for survey in surveys:
        vas = survey.get("vas")
        if survey.get("phase") in by_phase:
            by_phase[survey["phase"]].append(vas if isinstance(vas, Mapping) else {})
    return {
        "user_id": user.id,
        "display_name": user.display_name,
        "survey_count": len(surveys),
        "phases": {
            phase: {"count": len(scores), "vas_mean": {dim: _mean(scores, dim) for dim in DIMENSIONS}}
            for phase, scores in by_phase.items()
        },
    }


def _mean(scores: Sequence[Mapping[str, Any]], dimension: str) -> float | None:
    values = [s[dimension] for s in scores if _is_score(s.get(dimension))]
    return statistics.fmean(values) if values else None


def _is_score(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
