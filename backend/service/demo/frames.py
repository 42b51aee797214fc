"""The demo portfolio as the analyses' frames, in memory (no store): for benchmarks, report
fixtures and pictures of the real output without seeding a database. Company ids are 1, 2, ... in
the generator's order (as a fresh data dir numbers them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from backend.service.analysis.frames import SURVEY_COLUMNS, SURVEY_TYPES, VAS_DIMENSIONS
from backend.service.analysis.loaders import STATEMENT_COLUMNS, STATEMENT_TYPES
from backend.service.demo.generate import DemoData


@dataclass(frozen=True)
class DemoFrames:
    companies: pd.DataFrame  # id, name, vc_firm, industry, employee_count
    surveys: pd.DataFrame  # frames.surveys_frame's columns and types
    statements: pd.DataFrame  # loaders.statements'
    invoices: pd.DataFrame  # loaders.companies_and_invoices'


def demo_frames(data: DemoData) -> DemoFrames:
    answers: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []
    for index, (company, rows) in enumerate(zip(data.companies, data.per_company, strict=True)):
        company_id = index + 1
        for survey in rows.surveys:
            code = survey["employee_code"]
            answers.append(
                {
                    "employee_id": company_id * 100_000 + int(code.removeprefix("E")),
                    "company_id": company_id,
                    "treatment_id": f"{company_id}/{code}/{survey['treatment_started_at']}",
                    "phase": survey["phase"],
                    "answered_at": datetime.fromisoformat(survey["answered_at"]),
                    **{d: survey[f"vas_{d}"] for d in VAS_DIMENSIONS},
                }
            )
        for statement in rows.statements:
            statements.append(
                {**statement, "company_id": company_id, "period": pd.Timestamp(f"{statement['period']}-01")}
            )
        for invoice in rows.invoices:
            invoices.append(
                {
                    "company_id": company_id,
                    "vc_firm": company["vc_firm"],
                    "amount_yen": invoice["amount_yen"],
                    "status": invoice["status"],
                }
            )
    surveys = pd.DataFrame(answers, columns=list(SURVEY_COLUMNS))
    surveys["answered_at"] = pd.to_datetime(surveys["answered_at"], utc=True)
    companies = pd.DataFrame(
        [{"id": i + 1, **c} for i, c in enumerate(data.companies)],
        columns=["id", "name", "vc_firm", "industry", "employee_count"],
    )
    return DemoFrames(
        companies=companies,
        surveys=surveys.astype(SURVEY_TYPES),
        statements=pd.DataFrame(statements, columns=list(STATEMENT_COLUMNS)).astype(STATEMENT_TYPES),
        invoices=pd.DataFrame(invoices, columns=["company_id", "vc_firm", "amount_yen", "status"]),
    )
