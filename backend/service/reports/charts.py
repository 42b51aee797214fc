"""The report's charts, drawn by matplotlib (Agg, no display) in the report's font, as RGB images.

matplotlib's settings are global to the process: each chart is drawn under ``rc_context`` while
holding one lock, so reports rendered in threads never mix their settings."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType
from PIL import Image

from backend.service.analysis.frames import month_number
from backend.service.analysis.results import GroupChange
from backend.service.analysis.roi import Roi
from backend.service.analysis.wellness import CompanyScore
from backend.service.reports import fonts
from backend.service.reports.formats import DIMENSIONS, printable

INK, ACCENT, MUTED, GRID = "#1f3a5f", "#2a9d8f", "#8a94a6", "#e3e7ee"
DPI = 200
WIDTH_IN = 6.8  # the PDF's text width (174 mm)
_LOCK = threading.Lock()
_registered: set[str] = set()


@contextmanager
def _figure(height_in: float, *, left_in: float = 0.6) -> Iterator[tuple[Figure, Axes]]:
    """A figure across the text width; fixed margins (``left_in`` for the labels of the y axis),
    as a layout engine would cost more than the drawing."""
    path = str(fonts.font_path())
    with _LOCK:
        if path not in _registered:
            font_manager.fontManager.addfont(path)
            _registered.add(path)
        settings: dict[RcKeyType, Any] = {
            "font.family": fonts.FAMILY,
            "font.size": 8,
            "axes.edgecolor": MUTED,
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
        with rc_context(settings):
            figure = Figure(figsize=(WIDTH_IN, height_in))
            FigureCanvasAgg(figure)
            axes = figure.add_subplot()
            figure.subplots_adjust(
                left=left_in / WIDTH_IN, right=0.98, top=1 - 0.12 / height_in, bottom=0.45 / height_in
            )
            axes.grid(axis="y", color=GRID, linewidth=0.6)
            axes.set_axisbelow(True)
            yield figure, axes


def _image(figure: Figure) -> Image.Image:
    """The figure's pixels as an RGB image: the PDF compresses them itself, so encoding a PNG only
    for the PDF writer to decode it again would double the work."""
    figure.set_dpi(DPI)
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib leaves the Agg canvas untyped
    pixels = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    return Image.frombuffer("RGBA", canvas.get_width_height(), pixels).convert("RGB")


def vas_change(group: GroupChange) -> Image.Image:
    """Mean change per VAS dimension with its 95% interval as error bars."""
    shown = [d for d in group.dimensions if d.mean_change is not None]
    with _figure(1.75) as (figure, axes):
        labels = [DIMENSIONS.get(d.dimension, d.dimension) for d in shown]
        means = [float(d.mean_change or 0.0) for d in shown]
        low = [m - d.interval.low if d.interval else 0.0 for m, d in zip(means, shown, strict=True)]
        high = [d.interval.high - m if d.interval else 0.0 for m, d in zip(means, shown, strict=True)]
        axes.bar(labels, means, color=ACCENT, width=0.55, yerr=[low, high], capsize=4, ecolor=INK)
        axes.axhline(0, color=INK, linewidth=0.8)
        axes.set_ylabel("変化（ポイント）")
        for x, (m, top) in enumerate(zip(means, high, strict=True)):
            axes.annotate(f"{m:+.1f}", (x, m + top if m >= 0 else m - top), ha="center",
                          va="bottom" if m >= 0 else "top", fontsize=7, color=INK,
                          xytext=(0, 2 if m >= 0 else -2), textcoords="offset points")  # fmt: skip
        return _image(figure)


def wellness_trend(score: CompanyScore) -> Image.Image:
    """The monthly score as a line (suppressed months are gaps) with its least-squares trend, drawn
    through the mean of the months shown, where a least-squares line passes."""
    first = month_number(score.months[0].period) if score.months else 0
    x = [month_number(m.period) - first for m in score.months]
    values = [math.nan if m.score is None else m.score for m in score.months]
    with _figure(1.7) as (figure, axes):
        axes.plot(x, values, color=INK, marker="o", markersize=3, linewidth=1.4, label="ウェルネススコア")
        step = max(1, math.ceil(len(x) / 12))
        axes.set_xticks(x[::step], [m.period for m in score.months[::step]])
        axes.set_ylabel("スコア（0–100）")
        shown = [(a, v) for a, v in zip(x, values, strict=True) if not math.isnan(v)]
        if score.trend is not None and shown:
            cx = sum(a for a, _ in shown) / len(shown)
            cy = sum(v for _, v in shown) / len(shown)
            ends = [shown[0][0], shown[-1][0]]
            line = [cy + score.trend.slope * (a - cx) for a in ends]
            axes.plot(ends, line, color=ACCENT, linestyle="--", linewidth=1.2,
                      label=f"傾向 {score.trend.slope:+.2f} ポイント/月")  # fmt: skip
            axes.legend(frameon=False, loc="lower right", fontsize=7)
        if shown:
            low, high = min(v for _, v in shown), max(v for _, v in shown)
            axes.set_ylim(max(0.0, low - 5), min(100.0, high + 5))
        return _image(figure)


def trends(rows: Sequence[tuple[str, CompanyScore]]) -> Image.Image:
    """Each company's trend (points per month) with its 95% interval, one row per company."""
    shown = [(name, s.trend) for name, s in rows if s.trend is not None]
    with _figure(min(5.0, 0.2 * len(shown) + 0.7), left_in=1.9) as (figure, axes):
        axes.grid(axis="x", color=GRID, linewidth=0.6)
        axes.grid(axis="y", visible=False)
        for y, (_, trend) in enumerate(shown):
            assert trend is not None
            if trend.interval is not None:
                axes.plot([trend.interval.low, trend.interval.high], [y, y], color=MUTED, linewidth=2)
            axes.plot([trend.slope], [y], "o", color=INK, markersize=4)
        axes.axvline(0, color=INK, linewidth=0.8)
        axes.set_yticks(range(len(shown)), [printable(name) for name, _ in shown])
        axes.invert_yaxis()
        axes.set_xlabel("傾向（ポイント/月）と95%区間")
        return _image(figure)


def roi(rows: Sequence[tuple[str, Roi]]) -> Image.Image:
    """ROI per row (percent) with its sensitivity range; suppressed or costless rows are left out."""
    shown = [(name, r) for name, r in rows if r.roi is not None]
    with _figure(min(5.0, 0.2 * len(shown) + 0.7), left_in=1.9) as (figure, axes):
        axes.grid(axis="x", color=GRID, linewidth=0.6)
        axes.grid(axis="y", visible=False)
        values = [float(r.roi or 0.0) * 100 for _, r in shown]
        low = [
            v - r.sensitivity.low * 100 if r.sensitivity else 0.0
            for v, (_, r) in zip(values, shown, strict=True)
        ]
        high = [
            r.sensitivity.high * 100 - v if r.sensitivity else 0.0
            for v, (_, r) in zip(values, shown, strict=True)
        ]
        axes.barh(
            range(len(shown)), values, color=ACCENT, height=0.6, xerr=[low, high], capsize=3, ecolor=INK
        )
        axes.axvline(0, color=INK, linewidth=0.8)
        axes.set_yticks(range(len(shown)), [printable(name) for name, _ in shown])
        axes.invert_yaxis()
        axes.set_xlabel("ROI（%）と感度範囲")
        return _image(figure)
