"""Writing the demo portfolio through the same path as real input: each dataset becomes the CSV an
analyst would upload and goes through ``import_file`` (validation, natural keys, both stores, one
event per import). A second run finds every row unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.config import Settings
from backend.database import DatabaseManager, crud, crud_sql
from backend.database.models_sql import UserRole
from backend.service.access import Viewer
from backend.service.context import Context
from backend.service.demo.generate import PLANS, CompanyData, Scale, generate
from backend.service.ingest.importer import import_file
from backend.service.ingest.schemas import ImportReport

UPLOADER = "demo-data@startup-wellness.example"  # the demo files' uploader: no password, cannot sign in
Step = Callable[[str], None]  # told what was just imported


@dataclass
class SeedReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    files: int = 0
    by_dataset: dict[str, int] = field(default_factory=dict)

    def add(self, dataset: str, report: ImportReport) -> None:
        self.files += 1
        self.inserted += report.inserted
        self.updated += report.updated
        self.unchanged += report.unchanged
        self.by_dataset[dataset] = self.by_dataset.get(dataset, 0) + report.rows


def steps(scale: Scale) -> int:
    """How many imports ``seed`` makes (for a progress bar): the companies, then six per company."""
    return 1 + 6 * PLANS[scale].companies


def seed(
    manager: DatabaseManager,
    settings: Settings,
    *,
    seed: int = 1,
    scale: Scale = "full",
    step: Step | None = None,
) -> SeedReport:
    data = generate(seed, scale)
    report = SeedReport()
    tell = step or (lambda _: None)
    with manager.session(actor="demo") as session:
        ctx = Context(session=session, store=manager.documents, viewer=_uploader(session))
        report.add("companies", _import(ctx, settings, "companies", data.companies))
    tell("companies")
    for company in data.per_company:
        with manager.session(actor="demo") as session:
            ctx = Context(session=session, store=manager.documents, viewer=_uploader(session))
            company_id = crud_sql.companies.get_by(session, name=company.name).id
            _company(ctx, settings, company_id, company, report, tell)
    return report


def _company(
    ctx: Context, settings: Settings, company_id: int, company: CompanyData, report: SeedReport, tell: Step
) -> None:
    for dataset, rows in (
        ("employees", company.employees),
        ("financial_statements", company.statements),
        ("invoices", [{**r, "company_id": company_id} for r in company.invoices]),
        ("payments", company.payments),
        ("treatments", company.treatments),
    ):
        report.add(dataset, _import(ctx, settings, dataset, rows, company_id=company_id))
        tell(f"{company.name}: {dataset}")
    surveys = _with_treatment_ids(ctx, company_id, company)
    report.add("surveys", _import(ctx, settings, "surveys", surveys, company_id=company_id))
    tell(f"{company.name}: surveys")


def _with_treatment_ids(ctx: Context, company_id: int, company: CompanyData) -> list[dict[str, Any]]:
    """Each survey names its treatment by the stored treatment's document id."""
    codes = {e["employee_code"] for e in company.employees}
    employees = crud_sql.employees.rows_by_key(
        ctx.session, ("company_id", "employee_code"), [(company_id, c) for c in codes]
    )
    code_of = {row.id: code for (_, code), row in employees.items()}
    treatment_of = {
        (code_of[treatment.employee_id], treatment.started_at): doc_id
        for doc_id, treatment in crud.treatments.scan(ctx.store, company_id=company_id)
    }
    rows = []
    for survey in company.surveys:
        started = datetime.fromisoformat(survey["treatment_started_at"])
        row = {k: v for k, v in survey.items() if k != "treatment_started_at"}
        rows.append({**row, "treatment_id": treatment_of[(survey["employee_code"], started)]})
    return rows


def _import(
    ctx: Context,
    settings: Settings,
    dataset: str,
    rows: Sequence[dict[str, Any]],
    *,
    company_id: int | None = None,
) -> ImportReport:
    return import_file(
        ctx,
        settings,
        source=_csv(rows),
        filename=f"demo-{dataset}.csv",
        dataset=dataset,
        company_id=company_id,
    )


def _csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["employee_code"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _uploader(session: Any) -> Viewer:
    """The demo files' uploader, created once: an analyst account without a password (it cannot sign in)."""
    user = crud_sql.users.find_by(session, email=UPLOADER)
    if user is None:
        user = crud_sql.users.create(
            session,
            data={
                "email": UPLOADER,
                "display_name": "デモデータ",
                "role": UserRole.ANALYST,
                "is_active": False,
            },
        )
    return Viewer(user_id=user.id, email=user.email, role=UserRole.ANALYST)
