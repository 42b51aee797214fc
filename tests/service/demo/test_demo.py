"""Demo data: deterministic, written through the import path, a second run changes nothing, and the
planted effects are there for the analyses to find."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, func, select

from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents.local import LocalDocumentStore
from backend.database.models_sql import Company, Employee, FinancialStatement, Invoice, Payment
from backend.service.analysis import loaders
from backend.service.analysis.regression import regression
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import monthly_scores
from backend.service.demo.generate import EFFECT, generate
from backend.service.demo.seed import seed


@pytest.fixture
def demo(settings: Settings, connection: Connection, tmp_path: Path) -> Iterator[DatabaseManager]:
    DatabaseManager.reset()
    manager = DatabaseManager()
    store = LocalDocumentStore(tmp_path / "documents.db")
    manager.configure(settings, bind=connection, documents=store)
    yield manager
    DatabaseManager.reset()
    store.close()


def count(manager: DatabaseManager, model: type) -> int:
    with manager.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_demo_lands_whole_and_a_second_run_changes_nothing(
    demo: DatabaseManager, settings: Settings
) -> None:
    steps: list[str] = []
    first = seed(demo, settings, seed=7, scale="small", step=steps.append)
    data = generate(7, "small")
    assert len(steps) == 1 + 6 * len(data.per_company)
    assert first.inserted > 0
    assert (first.updated, first.unchanged) == (0, 0)
    assert count(demo, Company) == 6
    assert count(demo, Employee) == sum(len(c.employees) for c in data.per_company)
    assert count(demo, FinancialStatement) == 6 * 12
    assert count(demo, Invoice) == sum(len(c.invoices) for c in data.per_company)
    assert count(demo, Payment) == sum(len(c.payments) for c in data.per_company)
    surveys = loaders.surveys(demo.documents, None)
    assert len(surveys) == sum(len(c.surveys) for c in data.per_company)
    assert surveys["treatment_id"].notna().all()
    again = seed(demo, settings, seed=7, scale="small")
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == first.inserted
    with demo.session() as session:
        statements = loaders.statements(session, None)
    # leaver rate = 2.5% − 2% × participation two months before, and the score holds participation
    # with weight 0.2 × 100: per score point, −0.02 / 20 = −0.001
    fit = regression(monthly_scores(surveys, statements), statements, kpi="leaver_rate", lag_months=2)
    wellness = next(c for c in fit.coefficients if c.name == "wellness")
    assert wellness.interval.low < -0.001 < wellness.interval.high, wellness
    assert wellness.interval.high < 0  # found, not merely not excluded
    result = vas_change(surveys)
    for change in result.overall.dimensions:  # every planted effect inside the analysis's own interval
        assert change.interval is not None
        assert change.interval.low < EFFECT[change.dimension] < change.interval.high, change


def test_the_same_seed_gives_the_same_portfolio() -> None:
    assert generate(3, "small") == generate(3, "small")
    assert generate(3, "small") != generate(4, "small")


def test_participation_lowers_the_leaver_rate_two_months_later() -> None:
    data = generate(1, "full")
    rows = []
    for company in data.per_company:
        size = len(company.employees)
        treated = pd.Series([t["started_at"][:7] for t in company.treatments]).value_counts()
        for m, statement in enumerate(company.statements):
            if m < 2:
                continue
            earlier = company.statements[m - 2]["period"]
            rows.append((treated.get(earlier, 0) / size, statement["leavers"] / size))
    participation, rate = np.array(rows).T
    assert np.corrcoef(participation, rate)[0, 1] < -0.3
    slope = np.polyfit(participation, rate, 1)[0]
    assert -0.03 < slope < -0.01  # planted: −2 points of leaver rate per unit of participation
