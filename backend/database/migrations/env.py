"""Alembic environment: always runs on the connection handed over by ``backend.database.migration``."""

from alembic import context

from backend.database.models_sql import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `wellness db upgrade`, which supplies the connection.")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
