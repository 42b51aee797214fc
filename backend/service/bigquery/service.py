"""``BigQueryService``: what the analyses need of a warehouse. Sync the stores into it
incrementally, and read the rows of a scope back as the loaders' typed frames.

Incremental by company: a company is synced again only when its data version (bumped by every
event touching its data) differs from the version it was last synced at; its rows are then
replaced whole, atomically (a DuckDB transaction; a BigQuery marker row), so a failed sync leaves
the previous rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import queue_sql
from backend.database.documents import DocumentStore
from backend.database.models_sql import Company
from backend.service.analysis import loaders
from backend.service.analysis.frames import SURVEY_COLUMNS, SURVEY_TYPES
from backend.service.bigquery.warehouse import Warehouse, WarehouseBusy, open_warehouse

log = logging.getLogger(__name__)
PRUNE_AFTER = timedelta(hours=3)


@dataclass(frozen=True)
class SyncReport:
    synced: list[int]  # companies whose rows were replaced
    unchanged: int  # companies already at their data version


def open_service(settings: Settings) -> BigQueryService | None:
    """The warehouse the settings name, or None when it cannot be opened in this process now (the
    analyses then read the stores directly, which is slower but gives the same frames)."""
    try:
        return BigQueryService(open_warehouse(settings))
    except (WarehouseBusy, OSError) as exc:  # held by another process, or its folder cannot be made
        log.warning("no warehouse (%s); analyses read the stores directly in this process", exc)
        return None


class BigQueryService:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def sync(
        self, session: Session, store: DocumentStore, *, companies: Iterable[int] | None = None
    ) -> SyncReport:
        """Bring every company (or those of ``companies``) whose data changed since its last sync up to
        date: their rows are read from the stores at once (one scan when every company changed, not
        one query each) and replace theirs in the warehouse."""
        query = select(Company.id).order_by(Company.id)
        if companies is not None:
            query = query.where(Company.id.in_(sorted(set(companies))))
        ids = list(session.scalars(query))
        current = queue_sql.data_versions(session, ids)
        synced = self.warehouse.synced_versions()
        stale = [c for c in ids if synced.get(c) != current[c]]
        if stale:
            everything = companies is None and len(stale) == len(ids)
            reading = None if everything else stale
            for table, rows in (
                ("surveys", loaders.surveys(store, reading)),
                ("statements", loaders.statements(session, reading)),
            ):
                kept = rows[rows["company_id"].isin(stale)] if everything else rows  # not an orphan's
                self.warehouse.replace(table, stale, kept.reset_index(drop=True))
            self.warehouse.record_versions({c: current[c] for c in stale})
        return SyncReport(synced=stale, unchanged=len(ids) - len(stale))

    def prune(self, *, older_than: timedelta | None = None) -> int:
        """Remove the rows later syncs replaced (BigQuery keeps them: it is append-only); answers
        how many went. Only what was replaced ``older_than`` (``PRUNE_AFTER``) ago: DML cannot touch
        rows still in BigQuery's streaming buffer (up to about 90 minutes)."""
        removed = self.warehouse.prune(older_than=PRUNE_AFTER if older_than is None else older_than)
        if removed:
            log.info("warehouse: removed %d superseded rows", removed)
        return removed

    def prune_or_warn(self) -> None:
        """``prune()`` for housekeeping (a worker's start): a failure is logged and never stops
        what called it."""
        try:
            self.prune()
        except Exception as exc:  # the warehouse's own errors (Google API, DuckDB) are not WellnessErrors
            log.warning("Could not prune the warehouse: %s: %s", type(exc).__name__, exc)

    def close(self) -> None:
        self.warehouse.close()

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
