"""One unit of work as a service sees it: the stores it may use and who is acting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from backend.database.documents import DocumentStore
from backend.service.access import Viewer

if TYPE_CHECKING:
    from backend.service.bigquery.service import BigQueryService


@dataclass(frozen=True)
class Context:
    """The caller's SQL session (the caller commits, never the service), the document store, the viewer,
    and the warehouse the analyses read through (None: they read the stores directly)."""

    session: Session
    store: DocumentStore
    viewer: Viewer
    warehouse: BigQueryService | None = None
