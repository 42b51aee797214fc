"""High-level, async access to the document store (Firestore in production) for the service layer."""

from backend.service.firestore.client import FirestoreService, firestore_service

__all__ = ["FirestoreService", "firestore_service"]
