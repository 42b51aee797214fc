"""Database layer: connection management, models, CRUD and migrations for both stores."""

from backend.database.database import DatabaseManager, get_db_session, init_db

__all__ = ["DatabaseManager", "get_db_session", "init_db"]
