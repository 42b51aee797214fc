"""Reading and parsing uploaded files (no database): time and peak memory per file format.

    .venv/bin/python bench/ingest_read.py [--rows 100000]

Each case runs in its own process (so its peak RSS is its own): a CP932 CSV of monthly P&L rows
(Japanese headers, 9 columns), a UTF-8 CSV of surveys and the same surveys as XLSX. ``held`` keeps
every parsed row (``parse_rows``); ``streamed`` reads them one at a time (``RowStream``) as a
two-pass import would. Peak memory is given above the interpreter with the project imported.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

SURVEY_HEADER = [
    "社員番号",
    "施術前後",
    "回答日時",
    "身体症状",
    "精神状態",
    "意欲",
    "コミュニケーション",
    "その他",
    "自由記述",
]


def make_financial_csv(path: Path, rows: int) -> None:
    lines = ["会社ID,年月,売上高,売上原価,販売費及び一般管理費,営業利益,当期純利益,従業員数,退職者数"]
    for i in range(rows):
        company, month = divmod(i, 600)  # 600 months per company: every (company, month) once
        period = f"{1980 + month // 12}/{month % 12 + 1:02d}"
        figures = f'"{12_500_000 + i:,}","4,000,000","6,000,000",△{i % 9000},({i % 7000})'
        lines.append(f"{company + 1},{period},{figures},{i % 500},{i % 7}")
    path.write_bytes("\r\n".join(lines).encode("cp932"))


def _survey_rows(rows: int) -> list[list[object]]:
    base = datetime(2024, 4, 1, 9)
    return [
        [f"E{i % 5000:05d}", "施術前" if i % 2 else "施術後", base + timedelta(minutes=i),
         i % 101, i * 7 % 101, 50, 60.5, 70, "肩が軽くなった" if i % 3 else ""]
        for i in range(rows)
    ]  # fmt: skip


def make_surveys_csv(path: Path, rows: int) -> None:
    lines = [",".join(SURVEY_HEADER)]
    for row in _survey_rows(rows):
        row[2] = f"{row[2]:%Y/%m/%d %H:%M}"
        lines.append(",".join(str(c) for c in row))
    path.write_bytes("\n".join(lines).encode())


def make_surveys_xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("回答")
    when = workbook.add_format({"num_format": "yyyy/m/d h:mm"})
    sheet.write_row(0, 0, SURVEY_HEADER)
    for r, row in enumerate(_survey_rows(rows), start=1):
        sheet.write_row(r, 0, row[:2])
        sheet.write_datetime(r, 2, row[2], when)
        sheet.write_row(r, 3, row[3:])
    workbook.close()


CASES = {
    "financial_cp932.csv": (make_financial_csv, None),
    "surveys.csv": (make_surveys_csv, 1),
    "surveys.xlsx": (make_surveys_xlsx, 1),
}


def run_case(path: Path, company_id: int | None, mode: str) -> None:
    """One measurement, printed as a line of the table (run in a process of its own)."""
    from backend.service.ingest import RowStream, parse_rows, read_table

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with path.open("rb") as stream:
        table = read_table(stream, filename=path.name)
        if mode == "held":
            parsed = parse_rows("auto", table, company_id=company_id)
            good, problems = len(parsed.rows), parsed.problems.total
        else:
            rows = RowStream("auto", table, company_id=company_id)
            good = sum(1 for _ in rows)
            problems = rows.problems.total
    seconds = time.perf_counter() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024  # ru_maxrss is in KiB
    size = path.stat().st_size
    print(
        f"{path.name:20} {mode:8} {size / 1e6:6.1f} MB {good:9,} rows {problems} problems {seconds:6.2f} s "
        f"{good / seconds:8,.0f} rows/s  peak +{peak / 1e6:5.0f} MB ({peak / size:4.1f}x the file)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--company", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(Path(args.case), args.company, args.mode)
        return
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as folder:
        for name, (make, company_id) in CASES.items():
            path = Path(folder) / name
            make(path, args.rows)
            for mode in ("held", "streamed"):
                command = [sys.executable, __file__, "--case", str(path), "--mode", mode]
                if company_id is not None:
                    command += ["--company", str(company_id)]
                subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
