"""Application layer: FastAPI routes, request/response schemas and error mapping."""
