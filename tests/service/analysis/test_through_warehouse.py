"""The analyses read through the warehouse give the answers they give reading the stores directly,
and a company whose data changed is synced again before it is read."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.config import Settings
from backend.database import DatabaseManager, crud, queue_sql
from backend.database.models_sql import Company
from backend.service.analysis.service import ANALYSES, VC_MIN_GROUP, Frames
from backend.service.bigquery.service import BigQueryService, open_service
from backend.service.bigquery.warehouse import DuckDBWarehouse
from tests.database.document_factories import consultation_data


def differences(got: object, want: object, at: str = "") -> Iterator[tuple[str, object, object]]:
    """Where two dumped results differ; floats may differ in their last bits (rows summed in
    another order), nothing else may differ at all."""
    if isinstance(want, dict) and isinstance(got, dict) and got.keys() == want.keys():
        for key in want:
            yield from differences(got[key], want[key], f"{at}.{key}")
    elif isinstance(want, list) and isinstance(got, list) and len(got) == len(want):
        for n, (g, w) in enumerate(zip(got, want, strict=True)):
            yield from differences(g, w, f"{at}[{n}]")
    elif isinstance(want, float) and isinstance(got, float):
        if not (got == want or math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-300)):
            yield at, got, want
    elif got != want or type(got) is not type(want):
        yield at, got, want


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[BigQueryService]:
    service = BigQueryService(DuckDBWarehouse(tmp_path / "warehouse.duckdb"))
    yield service
    service.close()


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_every_analysis_answers_the_same_through_the_warehouse(
    small_demo: DatabaseManager, warehouse: BigQueryService, name: str
) -> None:
    analysis = ANALYSES[name]
    parameters = analysis.parameters()
    assert warehouse.warehouse.synced_versions() == {}
    with small_demo.session() as session:
        one = frozenset({min(session.scalars(select(Company.id)))})
        for scope, min_group in ((None, 1), (one, 1), (None, VC_MIN_GROUP)):
            direct = analysis.run(Frames(session, small_demo.documents, scope), parameters, min_group)
            through = analysis.run(
                Frames(session, small_demo.documents, scope, warehouse), parameters, min_group
            )
            assert list(differences(through.model_dump(), direct.model_dump())) == [], (scope, min_group)
    assert len(warehouse.warehouse.synced_versions()) == 6  # every demo company, once


def test_a_company_whose_data_changed_is_synced_again_before_it_is_read(
    small_demo: DatabaseManager, warehouse: BigQueryService
) -> None:
    with small_demo.session() as session:
        company = min(session.scalars(select(Company.id)))
        before = Frames(session, small_demo.documents, frozenset({company}), warehouse).surveys()
        crud.consultations.create(
            small_demo.documents, data=consultation_data(company_id=company, employee_id=1)
        )
        unchanged = Frames(session, small_demo.documents, frozenset({company}), warehouse).surveys()
        assert len(unchanged) == len(before)  # same data version: the synced rows are read
        queue_sql.bump_versions(session, [company])  # what the worker does for the write's event
        after = Frames(session, small_demo.documents, frozenset({company}), warehouse).surveys()
    assert len(after) == len(before) + 1


def test_a_warehouse_file_held_by_another_process_leaves_the_analyses_reading_the_stores(
    settings: Settings, tmp_path: Path
) -> None:
    mine = settings.model_copy(update={"data_dir": tmp_path})
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; db = duckdb.connect(sys.argv[1]); print('open', flush=True); input()",
            str(mine.warehouse_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        assert open_service(mine) is None
    finally:
        holder.communicate("\n")
    service = open_service(mine)  # free again
    assert service is not None
    service.close()
