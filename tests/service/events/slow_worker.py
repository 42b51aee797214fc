"""A worker process whose handler writes its effect, says so, and then hangs until it is killed."""

import sys
import time

from backend.database import DatabaseManager, queue_sql
from backend.service.events.handlers import Handler, HandlerContext
from backend.service.events.worker import Worker


def hang(ctx: HandlerContext) -> None:
    queue_sql.bump_versions(ctx.session, ctx.event.companies)
    ctx.session.flush()
    print("in-handler", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    Worker(DatabaseManager(), handlers=(Handler("data_version", lambda e: True, hang),)).run()
    sys.exit(0)
