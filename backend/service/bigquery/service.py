"""``BigQueryService``: what the analyses need of a warehouse. Sync the stores into it
incrementally, and read the rows of a scope back as the loaders' typed frames.

Incremental by company: a company is synced again only when its data version (bumped by every
event touching its data) differs from the version it was last synced at; its rows are then
replaced whole, atomically (a DuckDB transaction; a BigQuery marker row), so a failed sync leaves
the previous rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import queue_sql
from backend.database.documents import DocumentStore
from backend.database.models_sql import Company
from backend.service.analysis import loaders
from backend.service.analysis.frames import SURVEY_COLUMNS, SURVEY_TYPES
from backend.service.bigquery.warehouse import Warehouse


@dataclass(frozen=True)
class SyncReport:
    synced: list[int]  # companies whose rows were replaced
    unchanged: int  # companies already at their data version


class BigQueryService:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def sync(
        self, session: Session, store: DocumentStore, *, progress: Callable[[int, int], None] | None = None
    ) -> SyncReport:
        """Bring every company whose data changed since its last sync up to date."""
        companies = list(session.scalars(select(Company.id).order_by(Company.id)))
        current = queue_sql.data_versions(session, companies)
        synced = self.warehouse.synced_versions()
        stale = [c for c in companies if synced.get(c) != current[c]]
        for n, company in enumerate(stale, start=1):
            self.warehouse.replace("surveys", [company], loaders.surveys(store, [company]))
            self.warehouse.replace("statements", [company], loaders.statements(session, [company]))
            self.warehouse.record_versions({company: current[company]})
            if progress is not None:
                progress(n, len(stale))
        return SyncReport(synced=stale, unchanged=len(companies) - len(stale))

    def surveys(self, companies: Iterable[int] | None) -> pd.DataFrame:
        """The loaders' survey frame, from the warehouse."""
        found = self.warehouse.query("surveys", company_ids=None if companies is None else list(companies))
        frame = found if len(found.columns) else pd.DataFrame(columns=list(SURVEY_COLUMNS))
        return frame[list(SURVEY_COLUMNS)].astype(SURVEY_TYPES).reset_index(drop=True)

    def statements(self, companies: Iterable[int] | None) -> pd.DataFrame:
        """The loaders' P&L frame, from the warehouse."""
        found = self.warehouse.query("statements", company_ids=None if companies is None else list(companies))
        columns = list(loaders.STATEMENT_COLUMNS)
        frame = found if len(found.columns) else pd.DataFrame(columns=columns)
        ordered = frame[columns].sort_values(["company_id", "period"]).reset_index(drop=True)
        return ordered.astype(loaders.STATEMENT_TYPES)
