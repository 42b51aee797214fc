"""The workbook read back with openpyxl: the results' numbers as numbers with ¥ and % formats, a native
chart on each analysis sheet drawn from its cells, frozen headings, text never a formula, and
suppressed values written as suppressed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import openpyxl
import pytest

from backend.service.reports import formats as f
from backend.service.reports.data import ReportData
from backend.service.reports.excel import render_excel
from tests.service.reports.conftest import CONTROL, INJECTIONS
from tests.service.reports.reading import sheet_xml, workbook

SHEETS = ["サマリー", "参加状況", "VAS変化", "ウェルネス", "相関", "ROI", "注記"]
CHARTED = ["参加状況", "VAS変化", "ウェルネス", "相関", "ROI"]
YEN, PERCENT = '"¥"#,##0', "0.0%"


@pytest.fixture(scope="module")
def company_xlsx(company_report: ReportData) -> bytes:
    return render_excel(company_report)


@pytest.fixture(scope="module")
def portfolio_xlsx(portfolio_report: ReportData) -> bytes:
    return render_excel(portfolio_report)


def exact(value: float | None) -> Any:
    """A float as Excel keeps it: 15 significant digits (a wrong value is still far off)."""
    return None if value is None else pytest.approx(value, rel=1e-14, abs=1e-300)


def rows(book: openpyxl.Workbook, sheet: str, *, first_col: int = 1) -> list[dict[str, Any]]:
    """The table starting at row 1 (its headings) of ``sheet`` as dicts of cells, up to its first gap."""
    ws = book[sheet]
    headings = []
    for cell in ws[1][first_col - 1 :]:
        if cell.value is None:
            break
        headings.append(str(cell.value))
    table = []
    for row in ws.iter_rows(min_row=2, min_col=first_col, max_col=first_col + len(headings) - 1):
        if all(c.value is None for c in row):
            break
        table.append(dict(zip(headings, row, strict=True)))
    return table


def test_the_workbook_holds_the_numbers_of_the_results(
    company_xlsx: bytes, company_report: ReportData
) -> None:
    book = workbook(company_xlsx)
    assert book.sheetnames == SHEETS
    company = company_report.companies[0]
    overall = [r for r in rows(book, "VAS変化") if r["対象"].value == "全体"]
    assert [r["項目"].value for r in overall] == [
        f.DIMENSIONS[d.dimension] for d in company_report.vas_change.overall.dimensions
    ]
    for row, d in zip(overall, company_report.vas_change.overall.dimensions, strict=True):
        assert d.interval is not None
        assert (row["n（組）"].value, row["平均変化"].value) == (d.n, exact(d.mean_change))
        assert (row["95%下限"].value, row["95%上限"].value) == (exact(d.interval.low), exact(d.interval.high))
        assert row["平均変化"].data_type == "n"
    roi = company_report.roi_of(company.id)
    assert roi is not None
    assert roi.sensitivity is not None
    (shown,) = [r for r in rows(book, "ROI") if r["名前"].value == company.name]
    assert (shown["費用（税抜）"].value, shown["費用（税抜）"].number_format) == (roi.cost_yen, YEN)
    assert (shown["推定効果"].value, shown["推定効果"].number_format) == (roi.benefit_yen, YEN)
    assert (shown["ROI"].value, shown["ROI"].number_format) == (exact(roi.roi), PERCENT)
    assert (shown["感度下限"].value, shown["感度上限"].value) == (
        exact(roi.sensitivity.low),
        exact(roi.sensitivity.high),
    )
    score = company_report.wellness_of(company.id)
    assert score is not None
    months = rows(book, "ウェルネス")
    assert [r["ウェルネススコア"].value for r in months] == [exact(m.score) for m in score.months]
    assert all(isinstance(r["月"].value, datetime) for r in months)
    assert months[0]["月"].value.strftime("%Y-%m") == score.months[0].period
    assert all(r["参加率"].number_format == PERCENT for r in months if r["参加率"].value is not None)
    participation = rows(book, "参加状況")[0]
    shares = company_report.participation_of(company.id)
    assert shares is not None
    assert participation["月平均参加率"].value == exact(shares.mean_participation)
    stated = [(c.lag_months, k) for c in company_report.correlations for k in c.kpis]
    table = rows(book, "相関")
    for lag, k in stated:
        (row,) = [r for r in table if r["ラグ（月）"].value == lag and r["損益の指標"].value == f.KPIS[k.kpi]]
        assert (row["n"].value, row["r"].value) == (k.n, exact(k.pearson_r))


def test_each_analysis_sheet_has_a_native_chart_drawn_from_its_cells(portfolio_xlsx: bytes) -> None:
    book = workbook(portfolio_xlsx)
    for name in SHEETS:
        assert len(book[name]._charts) == (1 if name in CHARTED else 0), name  # type: ignore[attr-defined]
    charts = [xml for path, xml in sheet_xml(portfolio_xlsx).items() if "/charts/" in path]
    assert len(charts) == len(CHARTED)
    for sheet in CHARTED:  # every series reads the sheet's own cells
        assert any(f"<c:f>'{sheet}'!$" in xml or f"<c:f>{sheet}!$" in xml for xml in charts), sheet
    vas = next(xml for xml in charts if "'VAS変化'!" in xml or "VAS変化!" in xml)
    assert "<c:errBars>" in vas
    assert "<c:plus>" in vas


def test_table_headings_stay_in_view(portfolio_xlsx: bytes) -> None:
    book = workbook(portfolio_xlsx)
    for name in SHEETS[1:]:
        assert book[name].freeze_panes == "B2", name
        assert book[name].column_dimensions["B"].width > 8


def test_numbers_are_numbers_with_their_formats(portfolio_xlsx: bytes) -> None:
    book = workbook(portfolio_xlsx)
    for row in rows(book, "ROI"):
        assert row["費用（税抜）"].data_type == "n"
        assert row["費用（税抜）"].number_format == YEN
        if isinstance(row["ROI"].value, float):
            assert row["ROI"].number_format == PERCENT


def test_no_cell_is_a_formula_whatever_the_data_says(injected_portfolio: ReportData) -> None:
    xlsx = render_excel(injected_portfolio)
    for path, xml in sheet_xml(xlsx).items():
        if "/worksheets/" in path:
            assert not re.search(r"<f[ >]", xml), path
    book = workbook(xlsx)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    names = [r["企業名"] for r in rows(book, "参加状況")]
    expected = [n.replace("\r", "_x000D_") for n in (*INJECTIONS, *CONTROL)]  # OOXML's escape of a CR
    assert [c.value for c in names] == expected
    assert all(c.data_type == "s" and c.quotePrefix for c in names)  # stays text when edited in Excel
    firm = rows(book, "参加状況")[0]["VCファーム"]
    assert (firm.value, firm.data_type) == ('=HYPERLINK("http://vc")', "s")


def test_a_vc_workbook_writes_small_groups_as_suppressed(suppressed_portfolio: ReportData) -> None:
    book = workbook(render_excel(suppressed_portfolio))
    hidden = f.suppressed(5)
    vas = [r for r in rows(book, "VAS変化") if r["企業ID"].value == 2]
    assert vas
    assert all(r["n（組）"].value == hidden and r["平均変化"].value == hidden for r in vas)
    roi = {r["企業ID / VCファーム"].value: r for r in rows(book, "ROI")}
    assert (roi[2]["ROI"].value, roi[2]["推定効果"].value, roi[2]["費用（税抜）"].value) == (
        hidden,
        hidden,
        250_000,
    )
    months = [r for r in rows(book, "ウェルネス") if r["企業ID"].value == 2]
    hidden_months = [r for r in months if r["備考"].value == hidden]
    assert len(hidden_months) == 2
    assert all(r["ウェルネススコア"].value is None and r["回答者"].value == hidden for r in hidden_months)
    participation = {r["企業ID"].value: r for r in rows(book, "参加状況")}
    assert participation[2]["前後の回答がそろった従業員"].value == hidden
    assert participation[1]["前後の回答がそろった従業員"].value == 25
