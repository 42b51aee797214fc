"""The analysis engine against bare pandas/SciPy and raw reads, each pair in one process.

    .venv/bin/python bench/analysis.py [--answers 1000000] [--companies 200] [--months 24]
                                       [--only compute|load]

compute: survey answers (before/after pairs, one treatment each) and P&L months built in memory;
times

- ``vas_change`` against a bare pandas pairing + ``scipy.stats.ttest_rel`` / ``wilcoxon`` per
  dimension, overall and per company;
- ``monthly_scores`` + ``correlation`` (lag 2) against a bare groupby + ``pearsonr`` / ``spearmanr``;

and prints both times, the ratio bare / project (target >= 0.5), the peak memory the project's run
added (tracemalloc), and the project's time at a tenth of the answers (the growth should be close
to linear).

load: the same answers written as ``consultations`` documents into the embedded document store and
the P&L into embedded PostgreSQL (in a temporary data dir; writing them takes a minute or two), the
warehouse synced as the workers keep it; then the analyses' two frames read through the warehouse
(``Frames.surveys()`` + ``.statements()``) against the raw reads of the same rows: ``pandas.read_sql``
of ``financial_statements`` and a plain SQLite scan of the documents decoded with ``json.loads``
into a frame. Ratio raw / project (target >= 1.0: no slower). Also printed: the first read, which
syncs the warehouse, and the loaders reading the stores without a warehouse.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.progress import MofNCompleteColumn, Progress
from scipy import stats
from sqlalchemy import Engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.config import Settings
from backend.database import DatabaseManager, crud_sql, init_db
from backend.database.models_sql import Company
from backend.service.analysis.correlation import correlation
from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.loaders import STATEMENT_COLUMNS
from backend.service.analysis.service import Frames
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import monthly_scores
from backend.service.bigquery.service import BigQueryService
from backend.service.bigquery.warehouse import DuckDBWarehouse


def frames(answers: int, companies: int, months: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pairs = answers // 2
    company = rng.integers(1, companies + 1, size=pairs)
    employee = company * 10_000 + rng.integers(0, 400, size=pairs)
    month = rng.integers(0, months, size=pairs)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    when = start + pd.to_timedelta(month * 30 + rng.integers(0, 25, size=pairs), unit="D")
    before = {d: rng.uniform(20, 80, size=pairs) for d in VAS_DIMENSIONS}
    after = {d: np.clip(before[d] + 8 + rng.normal(0, 6, size=pairs), 0, 100) for d in VAS_DIMENSIONS}
    treatment = pd.array([f"t{i}" for i in range(pairs)], dtype="string")
    halves = []
    for phase, at, scores in (("before", when, before), ("after", when + pd.Timedelta(days=7), after)):
        halves.append(
            pd.DataFrame(
                {
                    "employee_id": pd.array(employee, dtype="Int64"),
                    "company_id": pd.array(company, dtype="Int64"),
                    "treatment_id": treatment,
                    "phase": pd.array([phase] * pairs, dtype="string"),
                    "answered_at": at,
                    **scores,
                }
            )
        )
    surveys = pd.concat(halves, ignore_index=True)
    periods = pd.date_range("2024-01-01", periods=months, freq="MS").astype("datetime64[s]")
    pl = pd.DataFrame(
        [
            {
                "company_id": c,
                "period": p,
                "revenue_yen": int(rng.integers(10**7, 10**8)),
                "operating_profit_yen": int(rng.integers(-(10**6), 10**7)),
                "headcount": 400,
                "leavers": int(rng.integers(0, 20)),
            }
            for c in range(1, companies + 1)
            for p in periods
        ]
    ).astype({"company_id": "Int64", "revenue_yen": "Int64", "operating_profit_yen": "Int64"})
    pl = pl.astype({"headcount": "Int64", "leavers": "Int64"})
    return surveys, pl


# --- bare baselines ----------------------------------------------------------------------------------


def bare_vas(surveys: pd.DataFrame) -> dict[Any, Any]:
    key = ["company_id", "employee_id", "treatment_id"]
    b, a = surveys[surveys["phase"] == "before"], surveys[surveys["phase"] == "after"]
    pairs = b.merge(a, on=key, suffixes=("_b", "_a"))
    out: dict[Any, Any] = {}
    for key, group in [(None, pairs), *pairs.groupby("company_id")]:
        for d in VAS_DIMENSIONS:
            x, y = group[f"{d}_b"].to_numpy(), group[f"{d}_a"].to_numpy()
            diff = y - x
            out[(key, d)] = (
                diff.mean(),
                stats.ttest_rel(y, x),
                stats.wilcoxon(diff),
                diff.mean() / diff.std(ddof=1),
            )
    return out


def bare_correlation(surveys: pd.DataFrame, pl: pd.DataFrame) -> list[Any]:
    month = surveys["answered_at"].dt.strftime("%Y-%m")
    scores = (
        surveys.assign(month=month).groupby(["company_id", "month"])[list(VAS_DIMENSIONS)].mean().mean(axis=1)
    )
    scores = scores.rename("score").reset_index()
    pl = pl.assign(month=(pl["period"] - pd.DateOffset(months=2)).dt.strftime("%Y-%m"))
    pl["rate"] = pl["leavers"].astype(float) / pl["headcount"].astype(float)
    joined = scores.merge(pl, on=["company_id", "month"])
    return [stats.pearsonr(joined["score"], joined["rate"]), stats.spearmanr(joined["score"], joined["rate"])]


# --- running -----------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--only", choices=["compute", "load"])
    args = parser.parse_args()
    print(f"building {args.answers:,} answers, {args.companies} companies × {args.months} months of P&L ...")
    surveys, pl = frames(args.answers, args.companies, args.months)
    if args.only != "load":
        compute(surveys, pl, args)
    if args.only != "compute":
        with tempfile.TemporaryDirectory() as tmp:
            load(Path(tmp), surveys, pl)


def compute(surveys: pd.DataFrame, pl: pd.DataFrame, args: argparse.Namespace) -> None:
    small, small_pl = frames(args.answers // 10, args.companies, args.months)
    cases: list[
        tuple[str, Callable[[pd.DataFrame, pd.DataFrame], Any], Callable[[pd.DataFrame, pd.DataFrame], Any]]
    ] = [
        ("vas_change", lambda s, p: vas_change(s), lambda s, p: bare_vas(s)),
        (
            "wellness + correlation (lag 2)",
            lambda s, p: correlation(monthly_scores(s, p), p, lag_months=2),
            bare_correlation,
        ),
    ]
    heading = f"{'analysis':<32} {'project s':>10} {'bare s':>8} {'ratio':>6} {'peak MB':>8} {'1/10 s':>7}"
    print(f"\n{heading} {'growth':>7}")
    for name, project, bare in cases:
        t_project = timed(lambda f=project: f(surveys, pl))  # type: ignore[misc]
        t_bare = timed(lambda f=bare: f(surveys, pl))  # type: ignore[misc]
        t_small = timed(lambda f=project: f(small, small_pl))  # type: ignore[misc]
        peak = peak_mb(lambda f=project: f(surveys, pl))  # type: ignore[misc]
        print(
            f"{name:<32} {t_project:>10.2f} {t_bare:>8.2f} {t_bare / t_project:>6.2f} {peak:>8.0f}"
            f" {t_small:>7.2f} {t_project / t_small:>6.1f}×"
        )
    print(
        "\nratio = bare / project (target >= 0.5); growth = time at all answers / at a tenth (10× is linear)"
    )


# --- loading -----------------------------------------------------------------------------------------


def load(tmp: Path, surveys: pd.DataFrame, pl: pd.DataFrame) -> None:
    settings = Settings(_env_file=None, data_dir=tmp / "data")  # type: ignore[call-arg]
    manager = DatabaseManager()
    manager.configure(settings)
    print("\nstarting embedded PostgreSQL and writing the rows into the stores ...", flush=True)
    init_db()
    store = manager.documents
    companies = sorted(int(c) for c in pl["company_id"].unique())
    with manager.session(actor="bench") as session:
        for n in companies:
            crud_sql.companies.create(session, data={"name": f"ベンチ {n} 株式会社"})
        ids = list(session.scalars(select(Company.id).order_by(Company.id)))
        renumber = dict(zip(companies, ids, strict=True))
        rows = pl.assign(company_id=pl["company_id"].map(renumber), period=pl["period"].dt.strftime("%Y-%m"))
        filled = rows.assign(cost_of_sales_yen=0, sga_yen=0, net_income_yen=0).astype(object)
        crud_sql.bulk_create_financial_statements(session, rows=filled.to_dict("records"))
    written = 0
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn()) as progress:
        task = progress.add_task("consultations", total=len(surveys))
        for chunk in _documents(surveys, renumber):
            with store.batch() as batch:
                for doc_id, data in chunk:
                    batch.set(f"consultations/{doc_id}", data)
            written += len(chunk)
            progress.update(task, completed=written)
    warehouse = BigQueryService(DuckDBWarehouse(tmp / "warehouse.duckdb"))
    with manager.session(actor="bench") as session:
        started = time.perf_counter()
        first = Frames(session, store, None, warehouse)
        first.surveys(), first.statements()
        t_first = time.perf_counter() - started

        def project() -> None:
            frames = Frames(session, store, None, warehouse)
            frames.surveys(), frames.statements()

        def direct() -> None:
            frames = Frames(session, store, None)
            frames.surveys(), frames.statements()

        t_project = timed(project, repeat=3)
        t_direct = timed(direct, repeat=1)
        engine = manager.engine
    t_raw = timed(lambda: raw_reads(engine, settings.documents_path), repeat=3)
    peak = peak_mb(project)
    warehouse.close()
    manager.close()
    DatabaseManager.reset()
    print(
        f"\n{'loading ' + format(len(surveys), ',') + ' answers + ' + format(len(pl), ',') + ' P&L rows':<44}"
        f" {'seconds':>8}"
    )
    print(f"{'through the warehouse (synced)':<44} {t_project:>8.2f}   peak {peak:,.0f} MB")
    ratio = t_raw / t_project
    print(f"{'raw read_sql + raw document scan':<44} {t_raw:>8.2f}   ratio raw / project {ratio:.2f}")
    print(f"{'first read (syncs the warehouse)':<44} {t_first:>8.2f}")
    print(f"{'loaders without a warehouse':<44} {t_direct:>8.2f}")
    print("ratio target >= 1.0 (the warehouse is no slower than the raw reads)")


def _documents(surveys: pd.DataFrame, renumber: dict[int, int]) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The answers as ``consultations`` documents, in chunks of 500 (a batch's most)."""
    for start in range(0, len(surveys), 500):
        part = surveys.iloc[start : start + 500]
        chunk = []
        for n, row in enumerate(part.itertuples(index=False), start=start):
            chunk.append(
                (
                    f"s{n:08d}",
                    {
                        "employee_id": int(row.employee_id),
                        "company_id": renumber[int(row.company_id)],
                        "treatment_id": row.treatment_id,
                        "phase": row.phase,
                        "answered_at": pd.Timestamp(row.answered_at).to_pydatetime(),
                        "vas": {d: float(getattr(row, d)) for d in VAS_DIMENSIONS},
                        "source": "upload",
                    },
                )
            )
        yield chunk


def raw_reads(engine: Engine, documents: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same rows read the plain way: ``pandas.read_sql`` and a SQLite scan + ``json.loads``."""
    with engine.connect() as connection:
        statements = pd.read_sql(
            text(f"SELECT {', '.join(STATEMENT_COLUMNS)} FROM financial_statements"),
            connection,
        )
    db = sqlite3.connect(documents)
    rows = []
    for (data,) in db.execute("SELECT data FROM documents WHERE parent = 'consultations'"):
        doc = json.loads(data)
        vas = doc["vas"]
        rows.append(
            (
                doc["employee_id"],
                doc["company_id"],
                doc.get("treatment_id"),
                doc["phase"],
                doc["answered_at"]["__ts__"],
            )
            + tuple(vas[d] for d in VAS_DIMENSIONS)
        )
    db.close()
    answers = pd.DataFrame(
        rows,
        columns=["employee_id", "company_id", "treatment_id", "phase", "answered_at"] + list(VAS_DIMENSIONS),
    )
    answers["answered_at"] = pd.to_datetime(answers["answered_at"], utc=True, format="ISO8601")
    return statements, answers


if __name__ == "__main__":
    main()
