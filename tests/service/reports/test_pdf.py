"""The PDF as a reader gets it: Japanese text that extracts (so its font maps back to Unicode), the
results' numbers as the report formats them, every font embedded and subset, every page drawn."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from backend.service.reports import fonts
from backend.service.reports import formats as f
from backend.service.reports.data import ReportData
from backend.service.reports.pdf import render_pdf
from tests.service.reports.conftest import CONTROL, INJECTIONS
from tests.service.reports.reading import page_inks, pdf_fonts, pdf_pages

HEADINGS = (
    "サマリー",
    "参加状況",
    "VAS変化",
    "ウェルネススコアの推移",
    "損益との相関",
    "ROI",
    "分析方法と注意点",
)


@pytest.fixture(scope="module")
def company_pdf(company_report: ReportData) -> bytes:
    return render_pdf(company_report)


@pytest.fixture(scope="module")
def portfolio_pdf(portfolio_report: ReportData) -> bytes:
    return render_pdf(portfolio_report)


@pytest.fixture(scope="module")
def suppressed_pdf(suppressed_portfolio: ReportData) -> bytes:
    return render_pdf(suppressed_portfolio)


def flat(text: str) -> str:
    """Extracted text with line breaks and runs of spaces as one space."""
    return re.sub(r"\s+", " ", text)


def test_a_company_report_holds_the_headings_and_the_numbers_of_its_results(
    company_pdf: bytes, company_report: ReportData
) -> None:
    pages = pdf_pages(company_pdf)
    text = flat(" ".join(pages))
    for heading in HEADINGS:
        assert heading in text, heading
    assert "相関は因果ではない" in text
    company = company_report.companies[0]
    overall = company_report.vas_change.overall
    for d in overall.dimensions:
        assert f.estimate(d.mean_change, d.interval) in text, d
        assert f.DIMENSIONS[d.dimension] in text
    roi = company_report.roi_of(company.id)
    assert roi is not None
    assert roi.sensitivity is not None
    for shown in (
        f.percent(roi.roi),
        f.percent_range(roi.sensitivity.low, roi.sensitivity.high),
        f.yen(roi.cost_yen),
    ):
        assert shown in text, shown
    assert f.yen(roi.benefit_yen).startswith(("¥", "-¥"))
    assert f.yen(roi.benefit_yen) in text
    score = company_report.wellness_of(company.id)
    assert score is not None
    assert score.trend is not None
    assert f.estimate(score.trend.slope, score.trend.interval, 2) in text
    stated = [k for c in company_report.correlations for k in c.kpis if k.pearson_r is not None]
    assert stated
    for k in stated:
        assert f.estimate(k.pearson_r, k.pearson_interval, 2) in text, k
    for number, page in enumerate(pages, start=1):  # header and footer on every page
        assert f"{number} / {len(pages)}" in page
        assert "作成日 2026年1月15日" in page
        assert company.name in page


def test_a_wrong_number_would_be_caught(company_pdf: bytes, company_report: ReportData) -> None:
    """The checks above compare against the results: one changed result is not in the text."""
    text = flat(" ".join(pdf_pages(company_pdf)))
    d = company_report.vas_change.overall.dimensions[0]
    assert d.mean_change is not None
    assert f.estimate(d.mean_change + 0.5, d.interval) not in text


def test_every_font_is_embedded_and_subset(
    company_pdf: bytes, portfolio_pdf: bytes, suppressed_pdf: bytes
) -> None:
    whole = fonts.font_path().stat().st_size
    for pdf in (company_pdf, portfolio_pdf, suppressed_pdf):
        found = pdf_fonts(pdf)
        assert found
        for font in found:
            assert font["file"] == "/FontFile2", font  # the TrueType file itself
            assert re.match(r"^/[A-Z]{6}\+IPAexGothic$", font["base"]), font  # a subset's tag
            assert 0 < font["file_bytes"] < whole / 10, font


def test_every_page_renders_and_shows_something(company_pdf: bytes, portfolio_pdf: bytes) -> None:
    for pdf in (company_pdf, portfolio_pdf):
        inks = page_inks(pdf)
        assert len(inks) == len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert all(ink > 0.003 for ink in inks), inks


def test_a_portfolio_report_opens_with_a_table_of_contents_naming_each_company(
    portfolio_pdf: bytes, portfolio_report: ReportData
) -> None:
    pages = pdf_pages(portfolio_pdf)
    toc = pages[0]
    assert "目次" in toc
    assert "ポートフォリオ・サマリー" in toc
    assert "分析方法と注意点" in toc
    for company in portfolio_report.companies:
        listed = re.search(rf"{re.escape(company.name)}\s+(\d+)", toc)
        assert listed, company.name
        page = pages[int(listed.group(1)) - 1]
        assert page.lstrip().startswith(company.name)  # the section's first page carries its name
        assert company.name in flat(page)
    outline = [
        item.title
        for item in pypdf.PdfReader(io.BytesIO(portfolio_pdf)).outline
        if not isinstance(item, list)
    ]
    assert [c.name for c in portfolio_report.companies] == [
        t for t in outline if str(t).startswith("株式会社")
    ]


def test_a_vc_report_shows_small_groups_as_suppressed(
    suppressed_pdf: bytes, suppressed_portfolio: ReportData
) -> None:
    text = flat(" ".join(pdf_pages(suppressed_pdf)))
    hidden = f.suppressed(5)
    assert hidden == "—（5名未満のため非表示）"
    assert text.count(hidden) >= 6  # the two hidden companies' VAS and ROI, and their tables' rows
    shown = suppressed_portfolio.vas_change.overall.dimensions[0]
    assert f.estimate(shown.mean_change, shown.interval) in text
    assert f.yen(250_000) in text  # a suppressed company's cost is still shown
    assert "非表示の月" in text


def test_a_demo_vc_portfolio_shows_months_with_few_respondents_as_suppressed(
    portfolio_pdf: bytes, portfolio_report: ReportData
) -> None:
    hidden_months = sum(
        1 for c in portfolio_report.wellness_score.companies for m in c.months if m.suppressed
    )
    assert hidden_months > 0  # the small demo has months answered by fewer than 5
    assert "非表示の月" in flat(" ".join(pdf_pages(portfolio_pdf)))


def test_names_that_look_like_formulas_or_hold_control_characters_print_as_text(
    injected_portfolio: ReportData,
) -> None:
    text = flat(" ".join(pdf_pages(render_pdf(injected_portfolio))))
    for name in INJECTIONS:
        assert name in text, name
    for name in CONTROL:
        assert name.strip() in text, name
