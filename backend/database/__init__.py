"""Database layer: routing by data category, connection management, models, CRUD and migrations."""

from backend.database.database import (
    DatabaseManager,
    RelationalStore,
    get_db_for_category,
    get_db_session,
    get_document_store,
    get_firestore_client,
    init_db,
)
from backend.database.routing import DatabaseType, DataCategory

__all__ = [
    "DataCategory",
    "DatabaseManager",
    "DatabaseType",
    "RelationalStore",
    "get_db_for_category",
    "get_db_session",
    "get_document_store",
    "get_firestore_client",
    "init_db",
]
