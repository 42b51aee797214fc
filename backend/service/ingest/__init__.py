"""Reading uploaded files (CSV, TSV, XLSX) into validated-ready rows of one dataset; nothing here writes.

table = read_table(upload.file, filename=upload.filename, sheet=None, limits=Limits.from_settings(settings))
parsed = parse_rows("auto", table, company_id=5)   # header problems raise ValidationFailed here
...validate parsed.rows with the schemas, adding to parsed.problems...
parsed.problems.raise_if_any()                       # 422 listing the first 1,000 and the total
"""

from backend.service.ingest.columns import DATASETS, Column, Dataset, Kind
from backend.service.ingest.headers import ColumnMap, MappedColumn, detect_dataset, match_headers
from backend.service.ingest.parsing import Parsed, ParsedRow, RowStream, dataset_for, parse_rows
from backend.service.ingest.problems import MAX_PROBLEMS, Problems
from backend.service.ingest.reading import Limits, Row, Table, read_table

__all__ = [
    "DATASETS",
    "MAX_PROBLEMS",
    "Column",
    "ColumnMap",
    "Dataset",
    "Kind",
    "Limits",
    "MappedColumn",
    "Parsed",
    "ParsedRow",
    "Problems",
    "Row",
    "RowStream",
    "Table",
    "dataset_for",
    "detect_dataset",
    "match_headers",
    "parse_rows",
    "read_table",
]
