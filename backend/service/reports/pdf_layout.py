"""The PDF's page and its building blocks (fpdf2): A4 with a running header (the company or portfolio,
the date) and footer (page n / total), headings that feed the outline and the table of contents,
paragraphs, figure cards, tables and charts. One font, IPAex Gothic, embedded and subset by fpdf2;
it has no bold face, so emphasis is drawn as filled and stroked text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos
from fpdf.outline import OutlineSection
from PIL import Image

from backend.service.reports import fonts
from backend.service.reports.formats import printable

Color = tuple[int, int, int]
INK: Color = (31, 58, 95)
TEXT: Color = (40, 44, 52)
MUTED: Color = (110, 118, 135)
RULE: Color = (205, 211, 222)
FILL: Color = (232, 237, 244)
STRIPE: Color = (247, 249, 251)
WHITE: Color = (255, 255, 255)
ACCENT: Color = (42, 157, 143)
MARGIN, TOP, BOTTOM = 18.0, 20.0, 18.0
NO_LINE_START = frozenset(
    "、。，．,.)]）］｝」』】〕〉》・：；？！ー～…ぁぃぅぇぉっゃゅょァィゥェォッャュョ%％"
)
_TOKENS = re.compile(r"[A-Za-z0-9_.,%+\-−]+|\s+|.", re.DOTALL)


@dataclass(frozen=True)
class Card:
    label: str
    lines: Sequence[str]  # the first in large type, unless ``large`` is False
    note: str = ""
    large: bool = True


class ReportPdf(FPDF):
    def __init__(self, *, title: str, date_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(fonts.FAMILY, "", str(fonts.font_path()))
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(auto=True, margin=BOTTOM)
        self.set_title(title)
        self.set_author("Startup Wellness")
        self.set_creator("Startup Wellness analytics")
        self.set_lang("ja")
        self.running = title  # the header's left side: the company (or portfolio) of the page
        self.date_text = date_text
        self.set_font(fonts.FAMILY, size=9)

    def normalize_text(self, text: str) -> str:
        """Control characters (a tab or carriage return in a name) print as spaces."""
        return super().normalize_text(printable(text))

    def header(self) -> None:
        self._style(7.5, MUTED)
        self.set_xy(MARGIN, 9)
        self.cell(self.epw * 0.7, 5, self.running)
        self.cell(self.epw * 0.3, 5, f"作成日 {self.date_text}", align=Align.R)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN, 15, self.w - MARGIN, 15)
        self.set_xy(MARGIN, TOP)
        self._style(9, TEXT)

    def footer(self) -> None:
        self._style(7.5, MUTED)
        self.set_xy(MARGIN, -12)
        self.cell(self.epw / 2, 5, "Startup Wellness ウェルネスプログラム報告書")
        self.cell(self.epw / 2, 5, f"{self.page_no()} / {{nb}}", align=Align.R)
        self._style(9, TEXT)

    # --- blocks ------------------------------------------------------------------------------------

    def heading(
        self,
        text: str,
        *,
        level: int = 0,
        new_page: bool = False,
        keep: float = 45,
        outline: bool = True,
        aside: str = "",
    ) -> None:
        """A section heading (level 0) or subsection (1), in the outline unless told; it keeps the first
        ``keep`` mm of its section on its page. ``aside``: a note at the right end of its line."""
        at_top = self.get_y() <= TOP + 0.5
        if (new_page and not at_top) or self.get_y() > self.h - BOTTOM - keep - 12:
            self.add_page()
        if outline:
            self.start_section(text, level=level)
        size = 15 if level == 0 else 11.5
        self.ln(2 if level == 0 else 3)
        if aside:
            top = self.get_y()
            self._style(8.5, MUTED)
            self.cell(self.epw, size * 0.55, aside, align=Align.R)
            self.set_xy(MARGIN, top)
        with self.bold():
            self._style(size, INK)
            self.cell(self.epw, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level == 0:
            self.set_draw_color(*ACCENT)
            self.set_line_width(0.6)
            self.line(MARGIN, self.get_y() + 1, MARGIN + 24, self.get_y() + 1)
            self.ln(4)
        else:
            self.ln(1.5)
        self._style(9, TEXT)

    def paragraph(self, text: str, *, size: float = 9, color: Color = TEXT) -> None:
        self._style(size, color)
        self._lines(text, MARGIN, self.epw, size * 0.5)
        self.ln(1.5)
        self._style(9, TEXT)

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self._style(9, ACCENT)
            self.cell(4, 4.8, "•")
            self._style(9, TEXT)
            self._lines(item, MARGIN + 4, self.epw - 4, 4.8)
            self.ln(0.8)

    def cards(self, cards: Sequence[Card]) -> None:
        """Figures side by side in boxes of one height."""
        gap, height = 4.0, 34.0
        width = (self.epw - gap * (len(cards) - 1)) / len(cards)
        if self.will_page_break(height):
            self.add_page()
        top = self.get_y()
        for i, card in enumerate(cards):
            left = MARGIN + i * (width + gap)
            self.set_fill_color(*FILL)
            self.rect(left, top, width, height, style="F")
            self.set_fill_color(*ACCENT)
            self.rect(left, top, 1.2, height, style="F")
            self.set_xy(left + 4, top + 3)
            self._style(8, MUTED)
            self.cell(width - 6, 4, card.label)
            first, *rest = card.lines if card.large else ["", *card.lines]
            if first:
                self.set_xy(left + 4, top + 9)
                with self.bold():
                    self._style(13, INK)
                    self.cell(width - 6, 7, first)
            y = top + (17 if card.large else 9.5)
            for line in rest:
                self.set_xy(left + 4, y)
                self._style(8.5 if card.large else 9, TEXT if card.large else INK)
                self.cell(width - 6, 4.6, line)
                y += 4.8
            if card.note:
                self.set_xy(left + 4, top + height - 6)
                self._style(7, MUTED)
                self.cell(width - 6, 4, card.note)
        self.set_xy(MARGIN, top + height + 5)
        self._style(9, TEXT)

    def data_table(
        self,
        headings: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[float],
        align: str | None = None,
        size: float = 8,
    ) -> None:
        """A table with a shaded heading row (repeated after a page break; None: no headings);
        ``align`` one letter a column (L, R or C; default: the first left, the others right)."""
        aligns = align or "L" + "R" * (len(widths) - 1)
        self._style(size, TEXT)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(aligns),
            headings_style=FontFace(color=INK, fill_color=FILL, size_pt=size),
            cell_fill_mode="EVEN_ROWS",
            cell_fill_color=STRIPE,
            borders_layout="HORIZONTAL_LINES",
            line_height=size * 0.5,
            padding=(0.9, 1.5),
            width=self.epw,
            wrapmode=WrapMode.CHAR,
            first_row_as_headings=headings is not None,
        ) as table:
            for cells in [headings, *rows] if headings is not None else rows:
                row = table.row()
                for text in cells:
                    row.cell(text)
        self.ln(3)
        self._style(9, TEXT)

    def pairs(self, rows: Sequence[tuple[str, str]], *, width: float = 0.62) -> None:
        """A two-column table of (what, value)."""
        self.data_table(["項目", "値"], [list(r) for r in rows], widths=(width, 1 - width), align="LR")

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """(what, value) pairs two to a row, without headings."""
        cells = [
            list(rows[i]) + (list(rows[i + 1]) if i + 1 < len(rows) else ["", ""])
            for i in range(0, len(rows), 2)
        ]
        self.data_table(None, cells, widths=(0.3, 0.2, 0.3, 0.2), align="LRLR")

    def figures(self, items: Sequence[tuple[str, str]]) -> None:
        """Key figures in a row of small boxes: a label above its value."""
        gap, height = 3.0, 15.0
        width = (self.epw - gap * (len(items) - 1)) / len(items)
        if self.will_page_break(height):
            self.add_page()
        top = self.get_y()
        for i, (label, value) in enumerate(items):
            left = MARGIN + i * (width + gap)
            self.set_fill_color(*FILL)
            self.rect(left, top, width, height, style="F")
            self.set_xy(left + 2.5, top + 1.8)
            self._style(7, MUTED)
            self.cell(width - 4, 4, label)
            self.set_xy(left + 2.5, top + 6.8)
            with self.bold():
                self._style(11, INK)
                self.cell(width - 4, 6, value)
        self.set_xy(MARGIN, top + height + 3)
        self._style(9, TEXT)

    def chart(self, image: Image.Image) -> None:
        """A chart across the text width, at its own aspect ratio (on the next page if it does not fit on
        this one)."""
        width, height = image.size
        shown = self.epw * height / width
        if self.will_page_break(shown + 2):
            self.add_page()
        self.image(image, x=MARGIN, w=self.epw, h=shown)
        self.ln(2)

    # --- helpers -----------------------------------------------------------------------------------

    def _lines(self, text: str, left: float, width: float, height: float) -> None:
        for line in wrap(text, width, self.get_string_width):
            self.set_x(left)
            self.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    @contextmanager
    def bold(self) -> Iterator[None]:
        """Faux bold: the glyphs filled and outlined in the text colour."""
        self.text_mode = TextMode.FILL_STROKE
        self.set_line_width(0.18)
        try:
            yield
        finally:
            self.text_mode = TextMode.FILL

    def _style(self, size: float, color: Color) -> None:
        self.set_font(fonts.FAMILY, size=size)
        self.set_text_color(*color)
        self.set_draw_color(*color)
        self.set_fill_color(*WHITE)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Lines of at most ``width`` (as ``measure`` gives it) for Japanese text: a line may break between
    any two characters but not inside a run of Latin letters or digits, and never starts with closing
    punctuation, which stays on the line before, slightly past the width (禁則処理, ぶら下がり)."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if not line or token[0] in NO_LINE_START or measure(line + token) <= width:
            line += token
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
    lines.append(line)
    return [part for whole in lines for part in _by_characters(whole, width, measure)]


def _by_characters(line: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A line still too wide (a Latin run longer than the width) cut between characters."""
    parts = []
    while measure(line.rstrip("".join(NO_LINE_START))) > width and len(line) > 1:
        cut = max([i for i in range(1, len(line)) if measure(line[:i]) <= width] or [1])
        parts.append(line[:cut])
        line = line[cut:]
    return [*parts, line]


def render_toc(pdf: FPDF, sections: list[OutlineSection]) -> None:
    """The table of contents: each top-level section with its page, linked."""
    assert isinstance(pdf, ReportPdf)
    pdf.heading("目次", outline=False)
    for section in sections:
        if section.level > 0:
            continue
        pdf.set_font(fonts.FAMILY, size=10)
        pdf.set_text_color(*TEXT)
        link = pdf.add_link(page=int(section.page_number))
        name_width = pdf.epw - 20
        pdf.cell(name_width, 6.2, section.name, link=link)
        pdf.cell(
            20, 6.2, str(section.page_number), align=Align.R, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.1)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
