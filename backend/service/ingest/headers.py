"""Header rows matched to a dataset's columns: aliases after normalisation, units (千円), auto-detection."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from backend.errors import FieldProblem, ValidationFailed
from backend.service.ingest.columns import DATASETS, Column, Dataset, Kind

_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>")  # (円), [千円], 【必須】, <任意> (after NFKC)
_JUNK = re.compile(r"[\s_\-・.*※:#]+")
_UNIT_PREFIX = re.compile(r"^(?:単位|unit)\s*[:：]?\s*", re.IGNORECASE)
_YEN_SCALES = {"円": 1, "yen": 1, "jpy": 1, "¥": 1, "千円": 1_000, "万円": 10_000, "百万円": 1_000_000}
_OTHER_MONEY = ("ドル", "usd", "$", "ユーロ", "eur", "€", "元", "cny", "ウォン", "krw")
_HOURS = ("時間", "h", "hour", "hours", "hr")


def normalise_header(header: str) -> str:
    """How headers are compared: NFKC, case-folded, without notes in brackets, spaces or ``_-・.*※:#``."""
    text = unicodedata.normalize("NFKC", header).casefold()
    return _JUNK.sub("", _NOTES.sub("", text))


def _notes(header: str) -> list[str]:
    text = unicodedata.normalize("NFKC", header).casefold()
    return [_UNIT_PREFIX.sub("", m.group(0)[1:-1].strip()).replace(" ", "") for m in _NOTES.finditer(text)]


def _alias_index(dataset: Dataset) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in dataset.columns:
        for alias in column.aliases:
            key = normalise_header(alias)
            if index.setdefault(key, column) is not column:
                raise AssertionError(f"{dataset.name}: {alias!r} names {index[key].field} and {column.field}")
    return index


_INDEX = {name: _alias_index(dataset) for name, dataset in DATASETS.items()}
_ANY_ALIAS = frozenset(key for index in _INDEX.values() for key in index)


def known_header_count(cells: Sequence[object]) -> int:
    """How many cells of a row are headers some dataset knows (the reader's test for the header row)."""
    return sum(1 for cell in cells if isinstance(cell, str) and normalise_header(cell) in _ANY_ALIAS)


def yen_scale(texts: Sequence[str]) -> int | None:
    """The unit a note declares (``単位:千円`` → 1000), None when it declares none."""
    for text in texts:
        note = _UNIT_PREFIX.sub("", unicodedata.normalize("NFKC", text).casefold().strip("()[]【】 ")).strip()
        if note in _YEN_SCALES:
            return _YEN_SCALES[note]
    return None


def _unit(column: Column, header: str) -> int | None:
    """The scale a header's own unit note gives (None: it has none); ValueError for a unit we cannot take."""
    notes = _notes(header)
    if column.kind is Kind.YEN:
        if any(note in _OTHER_MONEY for note in notes):
            raise ValueError("is not in yen; convert the amounts to yen (円 or 千円)")
        return yen_scale(notes)
    if column.field == "minutes" and any(note in _HOURS for note in notes):
        raise ValueError("is in hours; give the treatment's length in minutes")
    return 1


@dataclass(frozen=True)
class MappedColumn:
    index: int  # position in the row, from 0
    header: str  # as written in the file
    column: Column
    scale: int = 1  # yen columns in 千円 are 1000


@dataclass(frozen=True)
class ColumnMap:
    dataset: Dataset
    columns: tuple[MappedColumn, ...]  # the file's columns that name a field, in file order
    ignored: tuple[str, ...]  # headers that name no field: reported back, not an error

    def mapped(self, field: str) -> MappedColumn | None:
        return next((m for m in self.columns if m.column.field == field), None)

    def header_of(self, field: str) -> str:
        """The header as written for a field (``vas.physical``: ``vas_physical``), else its label."""
        name = field.replace(".", "_")
        if (mapped := self.mapped(name)) is not None:
            return mapped.header
        known = [c for c in self.dataset.columns if c.field == name]
        return known[0].label if known else field


def match_headers(
    dataset: Dataset | str,
    headers: Sequence[str],
    *,
    header_row: int | None = None,
    notes: Sequence[str] = (),
) -> ColumnMap:
    """Map a header row to the dataset's fields, or raise ValidationFailed listing every header problem.

    ``notes`` are the texts above the header row (a title such as ``(単位:千円)`` scales yen columns
    whose header has no unit of its own).
    """
    dataset = DATASETS[dataset] if isinstance(dataset, str) else dataset
    index, default_scale = _INDEX[dataset.name], yen_scale(notes) or 1
    problems: list[FieldProblem] = []
    found: dict[str, MappedColumn] = {}
    ignored: list[str] = []
    for position, header in enumerate(headers):
        column = index.get(normalise_header(header)) if header.strip() else None
        if column is None:
            if header.strip():
                ignored.append(header)
            continue
        if (first := found.get(column.field)) is not None:
            problems.append(
                FieldProblem(
                    field=header,
                    row=header_row,
                    value=header,
                    reason=f"names the same field ({column.field}) as the column {first.header!r}; keep one",
                )
            )
            continue
        try:
            unit = _unit(column, header)
        except ValueError as exc:
            problems.append(FieldProblem(field=header, reason=str(exc), row=header_row, value=header))
            unit = 1  # the column is there (so not missing), only unusable
        found[column.field] = MappedColumn(position, header, column, default_scale if unit is None else unit)
    problems.extend(_missing(dataset, found, headers, header_row))
    if problems:
        raise ValidationFailed(problems, message=_summary(dataset, problems))
    return ColumnMap(dataset, tuple(sorted(found.values(), key=lambda m: m.index)), tuple(ignored))


def _missing(
    dataset: Dataset, found: dict[str, MappedColumn], headers: Sequence[str], header_row: int | None
) -> list[FieldProblem]:
    seen = ", ".join(h for h in headers if h.strip()) or "none"
    problems = [
        FieldProblem(
            field=column.label,
            row=header_row,
            reason=f"is missing: add a column named {' or '.join(column.aliases[:3])} (columns seen: {seen})",
        )
        for column in dataset.columns
        if column.required and column.field not in found
    ]
    for group in dataset.one_of:
        if not any(name in found for name in group):
            labels = " or ".join(dataset.column(name).label for name in group)
            problems.append(
                FieldProblem(field=labels, row=header_row, reason=f"is missing: add a column {labels}")
            )
    return problems


def _summary(dataset: Dataset, problems: list[FieldProblem]) -> str:
    shown = "; ".join(p.describe() for p in problems[:5])
    return f"The header row does not fit the {dataset.name} dataset: {shown}"


def _score(dataset: Dataset, normalised: set[str]) -> int | None:
    """How many columns the headers name, or None when a required column is missing."""
    index = _INDEX[dataset.name]
    fields = {index[h].field for h in normalised if h in index}
    required = {c.field for c in dataset.columns if c.required}
    if not required <= fields or not all(any(f in fields for f in g) for g in dataset.one_of):
        return None
    return len(fields)


def detect_dataset(headers: Sequence[str], *, header_row: int | None = None) -> str:
    """The dataset a header row belongs to: every required column present, most columns matched."""
    normalised = {normalise_header(h) for h in headers if h.strip()}
    scores = {name: s for name, d in DATASETS.items() if (s := _score(d, normalised)) is not None}
    best = max(scores.values(), default=0)
    candidates = sorted(name for name, s in scores.items() if s == best)
    seen = ", ".join(h for h in headers if h.strip()) or "none"
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        reason = f"fits {' and '.join(candidates)} equally well; choose the dataset for this upload"
    else:
        reason = (
            f"fits no dataset; choose the dataset to see which columns are missing (columns seen: {seen})"
        )
    raise ValidationFailed(
        [FieldProblem(field="dataset", reason=reason, row=header_row, value=seen)],
        message=f"The header row {reason}",
    )


__all__ = [
    "ColumnMap",
    "MappedColumn",
    "detect_dataset",
    "known_header_count",
    "match_headers",
    "normalise_header",
    "yen_scale",
]
