"""event_queue: fewer indexes; event_counters: shards

Every index of the queue costs each publication and each claim (a claim moves ``visible_at``, so its
update is never HOT). ``seq`` was unique by its identity already and is compared only among events
with an ordering key; most events have none, and now stay out of that index.

Workers count handled events in their own transactions: with one counter row per type, each worker
waited for the others' commits (two workers handled hardly more than one). Each type's counts are
now spread over shards, summed when read.

Revision ID: 7c1e5a0b9d42
Revises: 3f390301158f
Create Date: 2026-12-02 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a0b9d42"
down_revision: str | None = "3f390301158f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event_counters", sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False))
    op.drop_constraint(op.f("pk_event_counters"), "event_counters", type_="primary")
    op.create_primary_key(op.f("pk_event_counters"), "event_counters", ["type", "shard"])
    op.drop_constraint(op.f("uq_event_queue_seq"), "event_queue", type_="unique")
    op.drop_index("ix_event_queue_ordered", table_name="event_queue")
    op.create_index(
        "ix_event_queue_ordered",
        "event_queue",
        ["ordering_key", "seq"],
        postgresql_where="status = 'pending' AND ordering_key IS NOT NULL",
    )


def downgrade() -> None:
    op.execute(
        "CREATE TEMP TABLE summed ON COMMIT DROP AS SELECT type, sum(handled) AS handled,"
        " sum(retried) AS retried, sum(dead) AS dead, max(last_at) AS last_at"
        " FROM event_counters GROUP BY type"
    )
    op.execute("DELETE FROM event_counters")
    op.drop_constraint(op.f("pk_event_counters"), "event_counters", type_="primary")
    op.drop_column("event_counters", "shard")
    op.execute("INSERT INTO event_counters (type, handled, retried, dead, last_at) SELECT * FROM summed")
    op.create_primary_key(op.f("pk_event_counters"), "event_counters", ["type"])
    op.drop_index("ix_event_queue_ordered", table_name="event_queue")
    op.create_index(
        "ix_event_queue_ordered",
        "event_queue",
        ["ordering_key", "seq"],
        postgresql_where="status = 'pending'",
    )
    op.create_unique_constraint(op.f("uq_event_queue_seq"), "event_queue", ["seq"])
