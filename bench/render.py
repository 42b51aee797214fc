"""Rendering reports: time and peak memory for the PDF and the Excel of one company and of a portfolio.

    .venv/bin/python bench/render.py [--seed 1] [--repeat 2]

The full demo portfolio (20 companies, about 2,000 employees, 24 months; docs/demo-data.md) as frames
in memory; the analyses run once, in process, and are not timed (the report flow reads them from the
analytics cache). Timed: ``render_pdf`` and ``render_excel`` for one company (as the Startup
Wellness team sees it) and for the 20-company portfolio (as a VC user sees it, groups of fewer than 5
suppressed). Printed per case: the best of ``--repeat`` runs, the peak of Python allocations during
one run (tracemalloc, numpy's buffers included; matplotlib's C++ canvas is not), the process's peak
resident set (ru_maxrss) after it, the output size and, for PDFs, the pages.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.service.demo.frames import demo_frames
from backend.service.demo.generate import generate
from backend.service.reports.data import ReportData
from backend.service.reports.excel import render_excel
from backend.service.reports.offline import report_from_frames
from backend.service.reports.pdf import render_pdf

TODAY = date(2026, 1, 15)


@dataclass(frozen=True)
class Measured:
    case: str
    seconds: float  # the best run
    peak_mb: float  # Python allocations during one run (tracemalloc)
    rss_mb: float  # the process's peak resident set after the runs so far
    size_kb: float
    pages: int | None


def reports(seed: int = 1) -> tuple[ReportData, ReportData]:
    """One demo company (the team's view) and the whole full-size demo portfolio (a VC user's view)."""
    frames = demo_frames(generate(seed, "full"))
    company = report_from_frames(frames, [1], today=TODAY)
    portfolio = report_from_frames(frames, None, min_group=5, today=TODAY)
    return company, portfolio


def measure(case: str, render: Callable[[], bytes], *, repeat: int = 2) -> Measured:
    best, out = float("inf"), b""
    for _ in range(repeat):
        started = time.perf_counter()
        out = render()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    render()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pages = out.count(b"/Type /Page\n") or None if out.startswith(b"%PDF") else None
    return Measured(case, best, peak / 2**20, _rss_mb(), len(out) / 1024, pages)


def _rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print("building the full demo portfolio and running its analyses (not timed) ...")
    company, portfolio = reports(args.seed)
    print(f"process peak RSS before rendering: {_rss_mb():.0f} MB")
    cases = [
        ("PDF, one company", lambda: render_pdf(company)),
        ("Excel, one company", lambda: render_excel(company)),
        (f"PDF, {len(portfolio.companies)}-company portfolio", lambda: render_pdf(portfolio)),
        (f"Excel, {len(portfolio.companies)}-company portfolio", lambda: render_excel(portfolio)),
    ]
    print(f"\n{'case':<32} {'best s':>7} {'peak MB':>8} {'RSS MB':>7} {'size KB':>8} {'pages':>6}")
    for name, render in cases:
        m = measure(name, render, repeat=args.repeat)
        pages = "" if m.pages is None else str(m.pages)
        print(
            f"{m.case:<32} {m.seconds:>7.2f} {m.peak_mb:>8.1f} {m.rss_mb:>7.0f} {m.size_kb:>8.0f} {pages:>6}"
        )
    print("\npeak MB: Python allocations during one render; RSS MB: the process's high-water mark so far")


if __name__ == "__main__":
    main()
