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
    """Repair drifted first-reached / last-progress columns from history and the 招商活跃指数's
    weekly counts from the follow-up log; then remove the export jobs and files older than
    EXPORT_KEEP_DAYS (services.exports.jobs.purge)."""
    from .config import setting
    from .services.exports import jobs as export_jobs
    from .services.figures import recompute
    from .services.activities import index as activity_index
    with job_context(app):
        summary = recompute.recompute(as_of).summary()
    with job_context(app):
        drift = activity_index.rebuild()    # the 招商活跃指数's weekly counts (issue 21)
    if drift:
        summary = f"{summary}；活跃指数修正 {len(drift)} 行"
    with app.app_context(), database.connection_context():
        removed = export_jobs.purge(app.instance_path, setting(app.config, "EXPORT_KEEP_DAYS"))
    return f"{summary}；删除过期导出 {removed} 个" if removed else summary


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
        try:
            detail = summaries.weekly_job(as_of, settings.mail(app))
        finally:    # the week's robot digests, queued by the build, go out even if mail waits
            robots = robot_outbox(app)
        return f"{detail}；{robots.summary()}"


def supervision_reminders(app, as_of):
    """督办 reminders and 60天未推进 nudges of ``as_of`` (services.reminders.daily.run: built
    once, each row committing on its own), mail sent with the app's mail settings and robot
    messages with its robot settings, in an app context: the mails' templates render in it."""
    from .services.reminders import daily
    from .services.reminders.settings import settings_from
    from .services.robots.settings import RobotSettings
    from . import settings
    with app.app_context():
        return daily.run(as_of, settings_from(app.config), settings.mail(app),
                         RobotSettings.from_config(app.config, settings.links(app)))


def robot_outbox(app, limit=None):
    """Post the group robots' due messages (services.robots.delivery.send_pending: each
    claim and each answer in its own commit) with the app's robot settings; the run's
    RobotResult. Called by the weekly job, the scheduler's minute sweep and
    ``flask robots send``."""
    from .services.robots import delivery
    from .services.robots.settings import RobotSettings
    from . import settings
    with app.app_context():
        with database.connection_context():
            return delivery.send_pending(RobotSettings.from_config(app.config, settings.links(app)),
                                         limit=limit)


def import_queue(app, limit=None):
    """Run the queued import jobs (services.imports.jobs.work: each claimed by one process,
    each written in its own transaction); returns the jobs this call ran."""
    from .services.imports import jobs as import_jobs
    with app.app_context():
        with database.connection_context():
            return import_jobs.work(app, limit=limit)


def export_queue(app, limit=None):
    """Run the queued export jobs (services.exports.jobs.work: each claimed by one process);
    returns the jobs this call ran."""
    from .services.exports import jobs as export_jobs
    with app.app_context():
        with database.connection_context():
            return export_jobs.work(app, limit=limit)


def account_prune(app, as_of):
    """Delete login attempts and ended sessions older than LOGIN_ATTEMPT_KEEP_DAYS and
    ENDED_SESSION_KEEP_DAYS (issue 23); ``as_of`` only names the period."""
    from .services.accounts import prune
    from . import settings
    with job_context(app):
        return prune.prune(settings.account_retention(app)).summary()
