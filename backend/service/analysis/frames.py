"""Stored records as DataFrames with exact types: ids as nullable integers, scores as floats in
0–100, times timezone-aware (UTC). The analyses take these frames, never models or rows."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from backend.database.models import SurveyAnswer

VAS_DIMENSIONS = ("physical", "mental", "motivation", "communication", "other")
SURVEY_COLUMNS = ("employee_id", "company_id", "treatment_id", "phase", "answered_at", *VAS_DIMENSIONS)
SURVEY_TYPES = {
    "employee_id": "Int64",
    "company_id": "Int64",
    "treatment_id": "string",
    "phase": "string",
    "answered_at": "datetime64[us, UTC]",
    **dict.fromkeys(VAS_DIMENSIONS, "float64"),
}


def surveys_frame(answers: Iterable[SurveyAnswer]) -> pd.DataFrame:
    """One row per survey answer: who, which treatment, before or after, when, and the five scores."""
    rows = [
        {
            "employee_id": a.employee_id,
            "company_id": a.company_id,
            "treatment_id": a.treatment_id,
            "phase": a.phase,
            "answered_at": a.answered_at,
            **{d: float(getattr(a.vas, d)) for d in VAS_DIMENSIONS},
        }
        for a in answers
    ]
    return pd.DataFrame(rows, columns=list(SURVEY_COLUMNS)).astype(SURVEY_TYPES)


def month_numbers(periods: pd.Series) -> pd.Series:
    """``month_number`` of a column of "YYYY-MM" (any string dtype, Arrow-backed included), as int64."""
    text = periods.astype(str)
    return text.str.slice(0, 4).astype("int64") * 12 + text.str.slice(5, 7).astype("int64")


def month_number(period: str) -> int:
    """ "YYYY-MM" as months since year 0 (consecutive months differ by one)."""
    year, month = str(period).split("-")
    return int(year) * 12 + int(month)
