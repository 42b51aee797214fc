"""One unit of work as a service sees it: the stores it may use and who is acting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.database.documents import DocumentStore
from backend.service.access import Viewer


@dataclass(frozen=True)
class Context:
    """The caller's SQL session (the caller commits, never the service), the document store, the viewer."""

    session: Session
    store: DocumentStore
    viewer: Viewer
