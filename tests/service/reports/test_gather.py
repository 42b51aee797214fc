"""``gather`` on the real stores with the small demo small_demo: every analysis through the service (and
its cache), the viewer's scope and suppression, and the renderers taking what it gives."""

from __future__ import annotations

import pytest

from backend.database import DatabaseManager, crud_sql
from backend.database.models_sql import UserRole
from backend.errors import NotFound
from backend.service.access import Viewer
from backend.service.analysis import loaders
from backend.service.analysis.correlation import correlation
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import monthly_scores
from backend.service.context import Context
from backend.service.reports.excel import render_excel
from backend.service.reports.gather import LAGS, gather
from backend.service.reports.pdf import render_pdf
from tests.service.reports.conftest import TODAY

ANALYST = Viewer(user_id=1, email="analyst@example.com", role=UserRole.ANALYST)


def test_gather_runs_every_analysis_for_the_team_through_the_cache(small_demo: DatabaseManager) -> None:
    with small_demo.session() as session:
        ctx = Context(session=session, store=small_demo.documents, viewer=ANALYST)
        data = gather(ctx, None, today=TODAY)
        again = gather(ctx, None, today=TODAY)
        surveys = loaders.surveys(small_demo.documents, None)
        statements = loaders.statements(session, None)
    assert (data.kind, data.scope, data.min_group, len(data.companies)) == ("portfolio", "all", 1, 6)
    assert data.vas_change == vas_change(surveys)  # the service's result, as the analysis gives it
    assert [c.lag_months for c in data.correlations] == list(LAGS)
    assert data.correlations[2] == correlation(monthly_scores(surveys, statements), statements, lag_months=2)
    assert [r.lag_months for r in data.regressions] == list(LAGS)
    assert {r.key for r in data.roi.companies} == {str(c.id) for c in data.companies}
    assert again.results_as_of == data.results_as_of  # served from the cache, not computed again
    assert again == data


def test_a_vc_user_gets_their_companies_with_small_groups_suppressed(small_demo: DatabaseManager) -> None:
    with small_demo.session() as session:
        ids = [row.id for row in crud_sql.companies.list(session).items]
        vc = Viewer(user_id=2, email="vc@example.com", role=UserRole.VC, granted=frozenset(ids[:2]))
        ctx = Context(session=session, store=small_demo.documents, viewer=vc)
        portfolio = gather(ctx, None, today=TODAY)
        one = gather(ctx, [ids[0]], today=TODAY)
        with pytest.raises(NotFound):
            gather(ctx, [ids[2]], today=TODAY)  # not granted: as if it did not exist
    assert (portfolio.kind, portfolio.scope, portfolio.min_group) == ("portfolio", sorted(ids[:2]), 5)
    assert [c.id for c in portfolio.companies] == sorted(ids[:2])
    assert portfolio.vas_change.min_group == portfolio.wellness_score.min_group == 5
    assert any(
        m.suppressed for c in portfolio.wellness_score.companies for m in c.months
    )  # small demo months
    assert (one.kind, one.scope, one.companies[0].id) == ("company", [ids[0]], ids[0])
    assert one.companies[0].name in one.title
    assert render_pdf(one).startswith(b"%PDF-")
    assert render_excel(portfolio).startswith(b"PK")
