"""GET /healthz: is each store reachable?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from backend.service import health

router = APIRouter()


@router.get("/healthz")
def healthz(response: Response) -> dict[str, Any]:
    report = health.check()
    if report["status"] != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
