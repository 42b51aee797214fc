"""Events: the relay from both outboxes, the bus (PostgreSQL queue or Pub/Sub), workers and handlers."""
