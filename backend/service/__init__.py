"""Service layer: business logic over the database layer."""
