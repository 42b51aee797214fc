"""Each template reads back as its own dataset: the headers match, and the example row parses clean."""

from __future__ import annotations

import pytest

from backend.service.ingest import DATASETS, parse_rows, read_table
from backend.service.ingest.templates import template


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_a_template_reads_back_as_its_dataset(dataset: str, fmt: str) -> None:
    body, filename = template(dataset, fmt)  # type: ignore[arg-type]
    assert filename == f"template-{dataset}.{fmt}"
    table = read_table(body, filename=filename, sheet=None)
    assert table.format == fmt
    parsed = parse_rows("auto", table, company_id=1)
    assert parsed.dataset.name == dataset
    assert parsed.problems.total == 0, parsed.problems.items
    [row] = parsed.rows
    assert row.row == 2
    assert not parsed.columns.ignored
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel opens the Japanese headers right
