"""`wellness demo report`: from an empty data dir to a finished PDF and Excel of one demo company,
through the real path (import → both stores → events → analyses → cache → report → storage → link)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader


def test_one_command_goes_from_nothing_to_a_pdf_and_an_excel(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "demo", "report", "--scale", "small"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = dict(line.split("\t") for line in done.stdout.splitlines())
    assert sorted(files) == ["pdf", "xlsx"]
    pdf_path, pdf_link = files["pdf"].split("  ")
    assert pdf_link.startswith("http://127.0.0.1:8000/api/v1/files/reports/")
    assert "signature=" in pdf_link
    assert Path(pdf_path).is_relative_to(tmp_path / ".wellness" / "objects")
    company = Path(pdf_path).stem.rsplit("_", 1)[0]  # 株式会社…_2026-12-02
    reader = PdfReader(pdf_path)
    text = "".join(page.extract_text() for page in reader.pages)
    assert company in text
    assert "サマリー" in text
    workbook = load_workbook(files["xlsx"].split("  ")[0])
    assert len(workbook.sheetnames) >= 2
    assert "requested" in done.stderr  # it said what it did, step by step
