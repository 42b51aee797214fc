"""An import's memory stays bounded by a chunk of rows, not the file: four times the rows take far
less than four times the memory (holding every parsed row and model, as imports once did, grows with
the file; only the keys seen, to find a key given twice, still do). Uploaded through the real app;
measured with tracemalloc from the moment the route calls the importer (the request's own buffering
of the body comes before) until it answers."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta
from typing import Any

import pytest

from backend.service.ingest import importer
from tests.api.conftest import Api
from tests.api.world import World

UPLOAD = "/api/v1/ingest/files"
SMALL, LARGE = 2_000, 8_000
EMPLOYEES = 200


@pytest.fixture
def document_backend() -> str:
    """The embedded store only: what is measured is the importer, not the Firestore client's buffers."""
    return "local"


@pytest.fixture(autouse=True)
def measured(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The peak memory of each import, in bytes; a chunk is the small file's rows."""
    peaks: list[int] = []
    original = importer.import_file

    def import_file(*args: Any, **kwargs: Any) -> Any:
        tracemalloc.start()
        try:
            return original(*args, **kwargs)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr(importer, "import_file", import_file)
    monkeypatch.setattr(importer, "CHUNK_ROWS", SMALL)
    return peaks


def _employees(start: int, rows: int) -> bytes:
    lines = [f"E{n:06d},開発部,エンジニア,2020/4/1,在籍" for n in range(start, start + rows)]
    return ("社員番号,部署,役職,入社日,在籍\n" + "\n".join(lines)).encode()


def _surveys(start: int, rows: int) -> bytes:
    base = datetime(2024, 4, 1, 9)
    lines = [
        f"E{n % EMPLOYEES:06d},{'施術前' if n % 2 else '施術後'},"
        f"{base + timedelta(minutes=n):%Y/%m/%d %H:%M},{n % 101},{n * 7 % 101},50,60.5,70,肩が軽くなった"
        for n in range(start, start + rows)
    ]
    header = "社員番号,施術前後,回答日時,身体症状,精神状態,意欲,コミュニケーション,その他,自由記述\n"
    return (header + "\n".join(lines)).encode()


def _peak(api: Api, world: World, peaks: list[int], content: bytes, dataset: str) -> int:
    response = api.client.post(
        UPLOAD,
        files={"file": ("f.csv", content, "text/csv")},
        data={"dataset": dataset, "company_id": str(world.own.id)},
        headers=world.headers("analyst"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == content.count(b"\n")
    return peaks[-1]


@pytest.mark.parametrize("dataset", ["employees", "surveys"])
def test_four_times_the_rows_take_less_than_twice_the_memory(
    api: Api, world: World, measured: list[int], dataset: str
) -> None:
    if dataset == "surveys":  # the employees the surveys name
        _peak(api, world, measured, _employees(0, EMPLOYEES), "employees")
        make, start = _surveys, 0
    else:
        make, start = _employees, EMPLOYEES
    _peak(api, world, measured, make(start + 10 * LARGE, 50), dataset)  # warm-up: the app's first-use caches
    small = _peak(api, world, measured, make(start, SMALL), dataset)
    large = _peak(api, world, measured, make(start + SMALL, LARGE), dataset)
    assert large < 2 * small, f"{SMALL:,} rows peaked at {small:,} bytes, {LARGE:,} rows at {large:,}"
