"""The scheduled jobs as plain functions: ``job(app, as_of)``.

Each one pushes an app context, opens a connection and runs in ONE
transaction, then returns a short zh-CN summary (stored as the run's detail).
They know nothing about APScheduler or the run-once lock; tests call them
with explicit dates, tracker/scheduler.py calls them once per period.
"""
import contextlib

from .db import database
from .services import tx


@contextlib.contextmanager
def job_context(app):
    """App context + connection + one transaction (rolled back on error)."""
    with app.app_context():
        with database.connection_context():
            with tx.write():
                yield


def nightly_recompute(app, as_of):
    """Repair drifted first-reached / last-progress columns from history."""
    from .services.figures import recompute
    with job_context(app):
        return recompute.recompute(as_of).summary()


def quarter_close(app, as_of):
    """Freeze the quarter that ended before ``as_of`` (fired on 1 Jan/Apr/Jul/Oct): every
    active task force without a snapshot for it; frozen ones are left as they are."""
    from .services.progress import snapshots
    from . import settings
    year, quarter = snapshots.closed_quarter_before(as_of)
    with job_context(app):
        return snapshots.freeze_quarter(year, quarter,
                                        options=settings.progress(app)).summary()


def quarter_close_incomplete(as_of):
    """Whether the quarter closed by a fire on ``as_of`` still has an active task force
    without a snapshot (one created after the close): then the close runs again. Needs an
    app context."""
    from .services.progress import snapshots
    return bool(snapshots.unfrozen_task_forces(*snapshots.closed_quarter_before(as_of)))


def staleness_scan(app, as_of):
    """Raise, escalate and clear stale-project flags as of ``as_of``."""
    from .services.staleness import flags
    from . import settings
    with job_context(app):
        return flags.scan(as_of, settings.stale(app)).summary()


def weekly_summaries(app, as_of):
    """Build and send the summaries of the ISO week before ``as_of`` with the app's mail
    settings (services.mail.summaries.weekly_job: no one transaction, each row commits on
    its own), in an app context: the mails' templates render in it."""
    from .services.mail import summaries
    from . import settings
    with app.app_context():
        return summaries.weekly_job(as_of, settings.mail(app))


def import_queue(app, limit=None):
    """Run the queued import jobs (services.imports.jobs.work: each claimed by one process,
    each written in its own transaction); returns the jobs this call ran."""
    from .services.imports import jobs as import_jobs
    with app.app_context():
        with database.connection_context():
            return import_jobs.work(app, limit=limit)
