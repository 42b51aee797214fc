"""Turn a Table into field values of one dataset, with every problem (row, column as written, reason)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from backend.errors import FieldProblem, ValidationFailed
from backend.service.ingest import values as v
from backend.service.ingest.columns import DATASETS, VAS_FIELDS, Dataset, Kind
from backend.service.ingest.excel import Cell
from backend.service.ingest.headers import ColumnMap, MappedColumn, detect_dataset, match_headers
from backend.service.ingest.problems import Problems
from backend.service.ingest.reading import Table


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int  # as Excel shows it
    values: dict[str, Any]  # field → value; empty cells are left out, so schema defaults apply


@dataclass
class Parsed:
    """A whole file parsed: its rows held in memory (``RowStream`` reads them one at a time instead)."""

    dataset: Dataset
    columns: ColumnMap
    rows: list[ParsedRow]  # the rows without problems, in file order
    problems: Problems
    company_ids: set[int]  # every company a row belongs to: the caller checks access to each
    row_count: int  # data rows read, with or without problems


Converter = Callable[[Cell], Any]
_Column = tuple[int, str, bool, MappedColumn, Converter]  # index, field, required, the column, its parser


def _converter(mapped: MappedColumn) -> Converter:
    column = mapped.column
    kinds: dict[Kind, Converter] = {
        Kind.TEXT: v.parse_text,
        Kind.NOTE: v.parse_text,
        Kind.CODE: v.parse_code,
        Kind.ID: v.parse_id,
        Kind.INT: v.int_parser(negative=column.negative),
        Kind.YEN: v.yen_parser(negative=column.negative, scale=mapped.scale),
        Kind.SCORE: v.parse_score,
        Kind.DATE: v.parse_date,
        Kind.DATETIME: v.parse_datetime,
        Kind.MONTH: v.parse_month,
        Kind.BOOL: v.parse_bool,
        Kind.CHOICE: v.choice_parser(column.choices),
    }
    return _remembering(kinds[column.kind])


MEMO_CELLS = 4096  # distinct text cells remembered per column
_UNSEEN = object()


def _remembering(convert: Converter) -> Converter:
    """``convert``, remembering its answers to text cells: a column's cells repeat (months, company
    ids, employee codes, phases, scores), and a dict lookup costs a tenth of parsing one (pandas'
    ``to_datetime(cache=True)`` does the same for dates).

    Every parser is a pure function of the cell and answers immutable values, so a remembered answer
    is the answer. Only answers are kept: a bad cell is parsed, and refused, each time. Cells of other
    types (XLSX numbers, dates, booleans) are always parsed: 1, 1.0 and True are one key to a dict.
    The first ``MEMO_CELLS`` distinct cells are kept; a column whose cells did not repeat among them
    (ten or more distinct in eleven) stops looking them up.
    """
    memo: dict[str, Any] = {}
    lookups = 0
    active = True

    def parse(raw: Cell) -> Any:
        nonlocal lookups, active
        if not active or type(raw) is not str:
            return convert(raw)
        lookups += 1
        value = memo.get(raw, _UNSEEN)
        if value is _UNSEEN:
            value = convert(raw)  # raises for a bad cell: nothing is remembered
            if len(memo) < MEMO_CELLS:
                memo[raw] = value
                if len(memo) == MEMO_CELLS and lookups * 10 < MEMO_CELLS * 11:
                    active = False  # the cells hardly repeat: lookups would only cost
                    memo.clear()
        return value

    return parse


def dataset_for(name: str, table: Table) -> Dataset:
    """The dataset by name; ``auto`` chooses it from the header row."""
    if name == "auto":
        name = detect_dataset(table.headers, header_row=table.header_row)
    if name not in DATASETS:
        raise ValidationFailed(
            [
                FieldProblem(
                    field="dataset", reason=f"must be auto or one of {', '.join(DATASETS)}", value=name
                )
            ]
        )
    return DATASETS[name]


class RowStream:
    """The data rows of a table parsed one at a time, read once: for files too big to hold parsed.

    Iterating yields the rows without problems; ``problems``, ``company_ids`` and ``row_count``
    are complete once the iteration has ended. Header problems raise ValidationFailed at once.
    """

    def __init__(self, dataset: str | Dataset, table: Table, *, company_id: int | None) -> None:
        self.dataset = dataset if isinstance(dataset, Dataset) else dataset_for(dataset, table)
        self.columns = match_headers(
            self.dataset, table.headers, header_row=table.header_row, notes=table.notes
        )
        if (
            self.dataset.company == "required"
            and self.columns.mapped("company_id") is None
            and company_id is None
        ):
            reason = "is needed: choose the company this file is for, or add a column 会社ID"
            raise ValidationFailed([FieldProblem(field="company_id", row=table.header_row, reason=reason)])
        self.table, self.company_id = table, company_id
        self.problems = Problems()
        self.company_ids: set[int] = set()
        self.row_count = 0

    def __iter__(self) -> Iterator[ParsedRow]:
        ds, columns, company_id = self.dataset, self.columns, self.company_id
        converters = [(m.index, m.column.field, m.column.required, m, _converter(m)) for m in columns.columns]
        checker = _Duplicates(ds, columns)
        width = len(self.table.headers) if self.table.format != "xlsx" else None
        for number, cells in self.table.rows:
            self.row_count += 1
            values, problems = _row(number, cells, converters)
            if width is not None and len(cells) > width and any(not v.is_empty(c) for c in cells[width:]):
                problems.append(_extra_cells(number, len(cells), width))
            problems.extend(_company(values, company_id, ds, columns, number))
            if ds.name == "surveys":
                values = _with_vas(values)
            if (duplicate := checker.check(number, values)) is not None:
                problems.append(duplicate)
            if problems:
                for problem in problems:
                    self.problems.add(problem)
                continue
            if "company_id" in values:
                self.company_ids.add(values["company_id"])
            yield ParsedRow(number, values)
        if self.row_count == 0:
            self.problems.add(
                FieldProblem(
                    field="file",
                    row=self.table.header_row,
                    reason="has a header row but no data rows below it; add the rows to import",
                )
            )


def parse_rows(dataset: str | Dataset, table: Table, *, company_id: int | None) -> Parsed:
    """Every data row parsed and held; header problems raise ValidationFailed, row problems are collected.

    ``dataset`` is a name, ``auto`` or a Dataset. ``company_id`` is the company the upload is for:
    it fills rows of a file without a company column, and a row whose own company column differs
    is a problem. Reading ``table.rows`` may raise too (see ``Table``). Call
    ``parsed.problems.raise_if_any()`` once the caller's own checks (the schemas) have added theirs.
    """
    stream = RowStream(dataset, table, company_id=company_id)
    rows = list(stream)
    return Parsed(stream.dataset, stream.columns, rows, stream.problems, stream.company_ids, stream.row_count)


def _row(
    number: int, cells: list[Cell], converters: list[_Column]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    width = len(cells)
    for index, field, required, mapped, convert in converters:
        raw = cells[index] if index < width else None
        if raw is None or (type(raw) is str and not raw.strip()):  # v.is_empty, inlined: it runs per cell
            if required:
                problems.append(
                    FieldProblem(
                        field=mapped.header,
                        row=number,
                        value=raw,
                        reason="is empty; this column needs a value in every row",
                    )
                )
            continue
        try:
            values[field] = convert(raw)
        except ValueError as exc:
            problems.append(FieldProblem(field=mapped.header, reason=str(exc), row=number, value=raw))
    return values, problems


def _company(
    values: dict[str, Any], company_id: int | None, dataset: Dataset, columns: ColumnMap, number: int
) -> list[FieldProblem]:
    """Fill the upload's company into rows without one; a row naming another company is a problem."""
    if dataset.company == "none":
        return []
    own = values.get("company_id")
    if own is None and company_id is not None:
        values["company_id"] = company_id
    elif own is not None and company_id is not None and own != company_id:
        return [
            FieldProblem(
                field=columns.header_of("company_id"),
                row=number,
                value=own,
                reason=f"is company {own}, but this upload is for company {company_id}; "
                "upload each company's rows on their own",
            )
        ]
    elif own is None and dataset.company == "required" and columns.mapped("company_id") is not None:
        mapped_header = columns.header_of("company_id")
        return [
            FieldProblem(field=mapped_header, row=number, reason="is empty; give the company id of this row")
        ]
    return []


def _extra_cells(number: int, cells: int, width: int) -> FieldProblem:
    return FieldProblem(
        field="file",
        row=number,
        reason=f"this row has {cells} cells but the header has {width} columns; a value holding a comma "
        "(1,000) must be in quotes, or the extra cells removed",
    )


_VAS_NAMES = tuple((name, name.removeprefix("vas_")) for name in VAS_FIELDS)


def _with_vas(values: dict[str, Any]) -> dict[str, Any]:
    vas = {short: values.pop(name) for name, short in _VAS_NAMES if name in values}
    if len(vas) == len(VAS_FIELDS):
        values["vas"] = vas
    return values


class _Duplicates:
    """The natural key of each row seen so far, to name both rows when a key repeats."""

    def __init__(self, dataset: Dataset, columns: ColumnMap) -> None:
        self.dataset, self.columns = dataset, columns
        # per set of key fields: key values → the first row that gave them
        self.seen: dict[tuple[str, ...], dict[Hashable, int]] = {}
        self.getters: dict[tuple[str, ...], Callable[[dict[str, Any]], Hashable]] = {}
        self.fixed = dataset.key if dataset.name not in ("surveys", "payments") else None

    def _fields(self, values: dict[str, Any]) -> tuple[str, ...]:
        if self.dataset.name == "surveys" and values.get("response_id"):
            return ("response_id",)
        if self.dataset.name == "payments":
            invoice = "invoice_number" if "invoice_number" in values else "invoice_id"
            return (invoice, "paid_on", "amount_yen")
        return self.dataset.key

    def check(self, number: int, values: dict[str, Any]) -> FieldProblem | None:
        fields = self.fixed or self._fields(values)
        if (getter := self.getters.get(fields)) is None:
            getter = self.getters[fields] = operator.itemgetter(*fields)
            self.seen[fields] = {}
        try:
            key = getter(values)
        except KeyError:
            return None  # a key cell is empty or wrong: that row already has its problem
        first = self.seen[fields].setdefault(key, number)
        if first == number:
            return None
        shown = [f for f in fields if f != "company_id" or self.columns.mapped(f) is not None]
        what = ", ".join(f"{self.columns.header_of(f)} {_shown(values[f])}" for f in shown)
        return FieldProblem(
            field=" + ".join(self.columns.header_of(f) for f in shown),
            row=number,
            value=what,
            reason=f"repeats row {first} ({what}); the same key may appear only once in a file",
        )


def _shown(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
