"""Writes the sample files of docs/samples (run it again after changing it; the files are committed).

    .venv/bin/python docs/samples/make_samples.py

One company's year: its employees, twelve months of P&L (Shift_JIS, as accounting software exports
it), treatments and the before/after VAS surveys of each treatment (an Excel workbook with a title).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
rng = random.Random(42)  # noqa: S311 (sample data, not secrets)
CODES = [f"E{n:03d}" for n in range(1, 11)]
DEPARTMENTS = ["開発部", "営業部", "管理部"]


def _csv(rows: list[list[object]], *, encoding: str, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def companies() -> bytes:
    rows: list[list[object]] = [["会社名", "業種", "資金調達ステージ", "VC名", "従業員数"]]
    rows.append(["株式会社サンプルヘルス", "SaaS", "シリーズA", "サンプル・ベンチャーズ", len(CODES)])
    return _csv(rows, encoding="utf-8-sig")


def employees() -> bytes:
    rows: list[list[object]] = [["社員番号", "部署", "役職", "入社日", "在籍"]]
    for n, code in enumerate(CODES):
        rows.append([code, DEPARTMENTS[n % 3], "メンバー" if n else "部長", f"2022/{n % 12 + 1}/1", "在籍"])
    return _csv(rows, encoding="utf-8-sig")


def financial_statements() -> bytes:
    rows: list[list[object]] = [["損益計算書（月次）"], ["年月", "売上高", "売上原価", "販売費及び一般管理費",
                                  "営業利益", "当期純利益", "従業員数", "退職者数"]]  # fmt: skip
    for month in range(12):
        revenue = 10_000_000 + month * 400_000
        cost, sga = revenue * 35 // 100, 6_500_000
        profit = revenue - cost - sga
        shown = f"{profit:,}" if profit >= 0 else f"△{-profit:,}"
        year, mon = (2024, month + 4) if month < 9 else (2025, month - 8)
        leavers = 1 if month % 4 == 3 else 0
        rows.append([f"{year}年{mon}月", f"{revenue:,}", f"{cost:,}", f"{sga:,}", shown, shown, 10, leavers])
    return _csv(rows, encoding="cp932")


def _sessions() -> list[tuple[str, datetime]]:
    start = datetime(2024, 4, 8, 10, 0)
    return [(CODES[n % len(CODES)], start + timedelta(days=7 * (n // 2), minutes=60 * (n % 2))) for n in range(40)]


def treatments() -> bytes:
    rows: list[list[object]] = [["社員番号", "施術者", "施術内容", "施術日時", "施術時間(分)", "使用クレジット"]]
    for code, at in _sessions():
        rows.append([code, "佐藤 花子", rng.choice(["マッサージ", "整体", "コーチング"]), f"{at:%Y/%m/%d %H:%M}", 30, 1])
    return _csv(rows, encoding="utf-8", delimiter="\t")


def surveys(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": datetime(2025, 1, 1)})  # the same bytes on every run
    sheet = book.add_worksheet("回答")
    title = book.add_format({"bold": True, "font_size": 14})
    sheet.merge_range(0, 0, 0, 8, "施術前後アンケート（VAS 0〜100）", title)
    headers = ["社員番号", "施術前後", "回答日時", "身体症状", "精神状態", "意欲", "コミュニケーション", "その他", "感想"]
    sheet.write_row(1, 0, headers)
    row = 2
    for code, at in _sessions():
        base = [rng.randint(30, 60) for _ in range(5)]
        for phase, lift, when in (("施術前", 0, at - timedelta(minutes=5)), ("施術後", 10, at + timedelta(minutes=40))):
            scores = [min(100, b + lift + rng.randint(-3, 6)) for b in base]
            comment = "肩が軽くなった" if phase == "施術後" and rng.random() < 0.3 else ""
            sheet.write_row(row, 0, [code, phase, f"{when:%Y/%m/%d %H:%M}", *scores, comment])
            row += 1
    book.close()


def main() -> None:
    (HERE / "companies.csv").write_bytes(companies())
    (HERE / "employees.csv").write_bytes(employees())
    (HERE / "financial_statements_sjis.csv").write_bytes(financial_statements())
    (HERE / "treatments.tsv").write_bytes(treatments())
    surveys(HERE / "surveys.xlsx")


if __name__ == "__main__":
    main()
