"""Bulk ingest of monthly P&L rows: the project's bulk path vs a raw psycopg COPY, same server, same rows.

    .venv/bin/python bench/sql_ingest.py [--rows 100000] [--rounds 3] [--url postgresql+psycopg://...]

Without --url an embedded PostgreSQL is started in a temporary directory. Each round inserts the
rows once through ``crud_sql.bulk_create_financial_statements`` (validation, COPY, audit entry,
commit) and once through a bare ``cursor.copy`` of pre-built tuples (commit), truncating in
between; the order alternates between rounds. Prints both best times and the ratio
raw / project (1.0 = no overhead; the target is >= 0.5).
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import crud_sql
from backend.database.migration import upgrade
from backend.database.postgres import EmbeddedPostgres, create_db_engine

COLUMNS = (
    "company_id",
    "period",
    "revenue_yen",
    "cost_of_sales_yen",
    "sga_yen",
    "operating_profit_yen",
    "net_income_yen",
    "headcount",
    "leavers",
)
MONTHS = 120


def make_rows(company_ids: list[int], n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        company = company_ids[i // MONTHS]
        month = i % MONTHS
        revenue = 5_000_000 + (i * 7919) % 20_000_000
        rows.append(
            {
                "company_id": company,
                "period": date(2015 + month // 12, month % 12 + 1, 1),
                "revenue_yen": revenue,
                "cost_of_sales_yen": revenue // 3,
                "sga_yen": revenue // 2,
                "operating_profit_yen": revenue - revenue // 3 - revenue // 2,
                "net_income_yen": revenue // 10,
                "headcount": 10 + i % 90,
                "leavers": i % 3,
            }
        )
    return rows


def project_path(engine: Engine, rows: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        crud_sql.bulk_create_financial_statements(session, rows=rows)
    return time.perf_counter() - started


def raw_copy(engine: Engine, tuples: list[tuple[Any, ...]]) -> float:
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        statement = f"COPY financial_statements ({', '.join(COLUMNS)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in tuples:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE financial_statements"))


def run(url: str, n_rows: int, rounds: int) -> None:
    schema = f"bench_{secrets.token_hex(4)}"
    settings = Settings(_env_file=None, database_url=url, database_schema=schema)  # type: ignore[call-arg]
    admin = create_db_engine(url, Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_db_engine(url, settings)
    try:
        upgrade(engine)
        n_companies = -(-n_rows // MONTHS)
        with Session(engine) as session, session.begin():
            ids = [
                crud_sql.companies.create(session, data={"name": f"Bench {i}"}).id for i in range(n_companies)
            ]
        rows = make_rows(ids, n_rows)
        tuples = [tuple(r[c] for c in COLUMNS) for r in rows]
        project_path(engine, rows[:1000])  # warm up both paths (imports, pydantic schema build)
        truncate(engine)
        raw_copy(engine, tuples[:1000])
        truncate(engine)

        best_project = best_raw = float("inf")
        for i in range(rounds):
            order = [("project", project_path, rows), ("raw", raw_copy, tuples)]
            for name, fn, data in order if i % 2 == 0 else order[::-1]:
                seconds = fn(engine, data)  # type: ignore[operator]
                truncate(engine)
                print(f"round {i + 1}/{rounds}  {name:<8} {seconds:7.3f} s")
                if name == "project":
                    best_project = min(best_project, seconds)
                else:
                    best_raw = min(best_raw, seconds)
        print(f"\n{n_rows:,} financial statement rows")
        print(f"project bulk path : {best_project:.3f} s  ({n_rows / best_project:,.0f} rows/s)")
        print(f"raw psycopg COPY  : {best_raw:.3f} s  ({n_rows / best_raw:,.0f} rows/s)")
        print(f"ratio raw/project : {best_raw / best_project:.2f}  (target >= 0.5)")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", help="PostgreSQL URL; default: an embedded server in a temporary directory")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.rows, args.rounds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg")
        print("starting embedded PostgreSQL ...")
        url = server.start().render_as_string(hide_password=False)
        try:
            run(url, args.rows, args.rounds)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
