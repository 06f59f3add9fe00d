"""Is the database answering? One trivial statement for ``GET /healthz`` (tracker/web/health.py)."""
import logging

from peewee import PeeweeException

from ..db import database

log = logging.getLogger("tracker.health")


def database_ok():
    """True when ``SELECT 1`` answers; False (and a warning in the log, never in the
    answer) when the database refuses, is unreachable or is misconfigured. The connection
    is the request's own: the app context's teardown closes it."""
    try:
        database.execute_sql("SELECT 1").fetchone()
    except (PeeweeException, OSError) as exc:
        log.warning("health check: database failed: %s: %s", type(exc).__name__, exc)
        return False
    return True
