"""System health: the status of every store the system depends on."""

from __future__ import annotations

from typing import Any

from backend.database import DatabaseManager


def check() -> dict[str, Any]:
    """``{"status": "ok" | "degraded", "postgresql": {...}, "documents": {...}}``; never raises."""
    manager = DatabaseManager()
    stores = {"postgresql": manager.postgres_health(), "documents": manager.documents_health()}
    healthy = all(store["status"] == "ok" for store in stores.values())
    return {"status": "ok" if healthy else "degraded", **stores}
