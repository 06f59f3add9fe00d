"""Scheduled jobs: the registry, the run-once-per-period lock, catch-up, and the
APScheduler 3.x wiring.

Registry
    ``JOBS`` (tracker/job_registry.py, re-exported here) lists one JobSpec per
    job: its function ``func(app, as_of)``, a cron trigger in local time
    (setting TIMEZONE, Asia/Shanghai), how a fire date maps to a period key,
    and how far back missed or failed periods are caught up.

Run once per period (across processes)
    The JobRun rows are read and written by tracker/services/jobruns.py. A run
    first claims (job, period_key) by INSERTing a JobRun row naming its owner
    (host, pid); the UNIQUE key makes exactly one process win, the others get an
    IntegrityError and do nothing. The job then runs in its own transaction,
    refreshing the row's heartbeat every SCHEDULER_HEARTBEAT seconds, and the
    row is marked ok / failed with a detail. Retries: a *failed* run is
    re-claimed by a conditional UPDATE (only while attempts < max_attempts, and
    only one process can win the UPDATE because it is conditional on the row it
    read). A *running* run whose owner is gone (tracker/job_owner.py: its pid on
    this host, its heartbeat elsewhere) is taken over the same way by the
    catch-up, or by hand (``scheduler run JOB --take-over``), with an audit row.
    An ok run is final, except while ``JobSpec.rerun_if`` says its period is
    incomplete (quarter close: a task force without a snapshot).

Catch-up
    On start and then every hour, each job's fire times within its catch-up
    window are listed from its own trigger; periods without an ok run (missed
    while the scheduler was down, failed, or abandoned) and incomplete ok
    periods are run, oldest first. Quarter close catches up every quarter of
    the last year; daily jobs only the latest day; the weekly summary
    (tracker/services/mail/summaries.py) the latest week within 3 days.

Import and export queues
    Every IMPORT_QUEUE_EVERY (2 s) ``poll_imports`` and ``poll_exports`` each start a worker
    thread (unless one is still at work) that runs the queued import jobs
    (services.imports.jobs) or export jobs (services.exports.jobs): each claimed by a
    conditional UPDATE (services.jobqueue), so two scheduler processes never run one job
    twice.
    Every ROBOT_SWEEP_EVERY (60 s) ``jobs.robot_outbox`` posts the group robots' due messages
    (services.robots.delivery: claimed rows, so two processes never post one twice).

Processes
    ``run_forever(app)`` (``flask --app tracker scheduler``): BlockingScheduler,
    production, one process beside gunicorn. ``start_background(app)``:
    BackgroundScheduler for the dev server, started once per process (the
    serve command only calls it in the reloader child). Nothing is started by
    create_app. Tests call the job functions or ``run_once`` with explicit
    dates and never start a scheduler (a run's heartbeat thread ends with it).
"""
import datetime
import logging
import signal
import threading
import time
import traceback
from zoneinfo import ZoneInfo

from flask import current_app

from . import job_owner, jobs
from .config import setting
from .job_registry import (  # noqa: F401 - the registry is part of this module's interface
    IMPORT_QUEUE_EVERY, JOBS, JobSpec, closed_quarter_key, day_key, get_spec, jobs_by_name, previous_week_key,
    quarter_label,
)
from .services import audit, jobruns

log = logging.getLogger("tracker.scheduler")

DETAIL_LIMIT = jobruns.DETAIL_LIMIT
CATCH_UP_EVERY = datetime.timedelta(hours=1)
ROBOT_SWEEP_EVERY = datetime.timedelta(seconds=60)   # group robots' outbox (jobs.robot_outbox)


def zone(app):
    return ZoneInfo(setting(app.config, "TIMEZONE"))


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# --- run once per period ------------------------------------------------------

def liveness(spec, run, now=None):
    """job_owner.Liveness of the owner of the running ``run`` (needs an app context)."""
    return job_owner.judge(run, now or _utcnow(), job_owner.heartbeat_stale(current_app.config),
                           spec.stale_after)


def _claimable(spec, run, now, manual, take_over, rerun):
    """How ``run`` as read may be claimed: "reclaim", ("take_over", reason) or None.

    A failed run is retried (beyond max_attempts only by hand); an ok run only while
    ``rerun()`` says its period is incomplete; a running run whose owner is gone is taken
    over by the catch-up, or by hand with ``take_over`` (which claims nothing else)."""
    if run.outcome == jobruns.RUNNING:
        if manual and not take_over:
            return None
        alive = liveness(spec, run, now)
        return None if alive.alive else ("take_over", alive.reason)
    if take_over:
        return None
    if run.outcome == jobruns.FAILED:
        return "reclaim" if manual or run.attempts < spec.max_attempts else None
    if run.outcome == jobruns.OK and rerun is not None and rerun():
        return "reclaim"
    return None


def claim(spec, key, now=None, manual=False, take_over=False, rerun=None):
    """Claim ``spec``/``key`` for this process: the JobRun row (outcome
    running) when we own the run, None when someone else has or had it.
    ``manual`` (an operator's ``flask scheduler run``) may retry a failed run
    beyond max_attempts, but leaves a running one alone unless ``take_over``
    (then only a running run whose owner is gone is claimed, see tracker/job_owner.py).
    ``rerun()``: whether an ok period is incomplete and runs again. Needs an app
    context; each step commits on its own; a take-over is audited."""
    now = now or _utcnow()
    owner = job_owner.this_owner()
    if not take_over:
        run = jobruns.insert_claim(spec.name, key, now, owner)
        if run is not None:
            return run
    run = jobruns.get(spec.name, key)
    how = None if run is None else _claimable(spec, run, now, manual, take_over, rerun)
    if how is None:
        return None
    if how == "reclaim":
        return jobruns.reclaim(run, now, owner)
    log.warning("%s %s: taking over from %s:%s (%s)", spec.name, key, run.host, run.pid, how[1])
    return jobruns.take_over(run, now, owner, how[1])


def status_of(app, spec, key, now=None):
    """(JobRun or None, Liveness or None): the period's row, and for a running one whether
    its owner is alive; what an operator is told when a run is skipped."""
    with app.app_context():
        run = jobruns.get(spec.name, key)
        alive = liveness(spec, run, now) if run and run.outcome == jobruns.RUNNING else None
    return run, alive


def _finish(run, outcome, detail):
    return jobruns.finish(run, outcome, detail, _utcnow())


def _detail(note, text):
    return "\n".join(part for part in (note, text) if part)


def _log_run(spec, key, outcome, started, detail=""):
    """The one line of a job run: job, period, outcome, ms (and the first line of its
    detail); a failure's traceback is logged before it (log.exception, stderr)."""
    ms = (time.perf_counter() - started) * 1000
    first = (detail or "").strip().splitlines()
    log.log(logging.ERROR if outcome == jobruns.FAILED else logging.INFO,
            "job=%s period=%s outcome=%s ms=%.1f%s", spec.name, key, outcome, ms,
            f" detail={first[0][:200]}" if first else "")


def run_once(app, spec, as_of, now=None, manual=False, take_over=False, origin="scheduler"):
    """Run ``spec`` for the period of ``as_of`` unless it already ran (or is
    running) elsewhere. Returns the finished JobRun, or None when skipped.
    A failing job is recorded as failed (with the traceback), not raised.
    ``manual``, ``take_over``: see claim(); ``origin``: audit origin of a take-over.
    While the job runs, its row's heartbeat is refreshed (tracker/job_owner.py).
    Each call logs one line (:func:`_log_run`), outcome ok, failed or skipped."""
    if isinstance(spec, str):
        spec = get_spec(spec)
    key = spec.period_key(as_of)
    started = time.perf_counter()
    with app.app_context(), audit.origin(origin):
        run = claim(spec, key, now=now, manual=manual, take_over=take_over,
                    rerun=lambda: spec.needs_rerun(as_of))
    if run is None:
        _log_run(spec, key, "skipped", started, "already claimed")
        return None
    log.debug("%s %s: started (attempt %s)", spec.name, key, run.attempts)
    note = run.detail
    try:
        with job_owner.Heartbeat(app, run, jobruns.heartbeat), audit.origin("scheduler"):
            detail = spec.resolve()(app, as_of)
    except Exception as exc:  # noqa: BLE001 - recorded, retried by catch-up
        log.exception("%s %s failed (attempt %s)", spec.name, key, run.attempts)
        text = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        with app.app_context():
            done = _finish(run, "failed", _detail(note, text))
        _log_run(spec, key, jobruns.FAILED, started, f"{type(exc).__name__}: {exc}")
        return done
    with app.app_context():
        done = _finish(run, "ok", _detail(note, str(detail) if detail is not None else ""))
    _log_run(spec, key, jobruns.OK, started, str(detail) if detail is not None else "")
    return done


# --- catch-up -----------------------------------------------------------------

def fire_times(spec, tz, start, end):
    """Local fire times of ``spec`` in (start, end] (aware datetimes)."""
    trigger = spec.cron(tz)
    out = []
    moment = trigger.get_next_fire_time(None, start + datetime.timedelta(seconds=1))
    while moment is not None and moment <= end:
        out.append(moment)
        moment = trigger.get_next_fire_time(moment, moment + datetime.timedelta(seconds=1))
    return out


def due_periods(spec, tz, now):
    """[(as_of, key)] of ``spec`` fired within its catch-up window, oldest
    first (only the latest when not catch_up_all)."""
    if spec.catch_up is None:
        return []
    seen, out = set(), []
    for moment in fire_times(spec, tz, now - spec.catch_up, now):
        as_of = moment.date()
        key = spec.period_key(as_of)
        if key not in seen:
            seen.add(key)
            out.append((as_of, key))
    return out if spec.catch_up_all else out[-1:]


def _pending(spec, run, as_of, utc_now):
    if run is None:
        return True
    if run.outcome == jobruns.FAILED:
        return run.attempts < spec.max_attempts
    if run.outcome == jobruns.RUNNING:
        return not liveness(spec, run, utc_now).alive
    return spec.needs_rerun(as_of)


def pending_periods(spec, tz, now):
    """The due periods that still need a run (no row, failed and retryable, running with
    its owner gone, or ok but incomplete: see JobSpec.rerun_if). Needs an app context."""
    due = due_periods(spec, tz, now)
    if not due:
        return []
    rows = jobruns.runs_by_key(spec.name, [k for _, k in due])
    utc_now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return [(as_of, key) for as_of, key in due if _pending(spec, rows.get(key), as_of, utc_now)]


def catch_up(app, now=None, specs=None):
    """Run every pending period of every job (or of ``specs``); returns the
    JobRuns this process executed. ``now``: aware datetime (default: now)."""
    tz = zone(app)
    now = (now or datetime.datetime.now(tz)).astimezone(tz)
    utc_now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    done = []
    for spec in specs or JOBS:
        with app.app_context():
            todo = pending_periods(spec, tz, now)
        for as_of, key in todo:
            log.info("catch-up: %s %s", spec.name, key)
            run = run_once(app, spec, as_of, now=utc_now)
            if run is not None:
                done.append(run)
    return done


# --- APScheduler wiring -------------------------------------------------------

def fire(app, name):
    """What APScheduler calls: run ``name`` for today's local period."""
    tz = zone(app)
    run_once(app, get_spec(name), datetime.datetime.now(tz).date())


def _safe_catch_up(app):
    try:
        catch_up(app)
    except Exception:  # noqa: BLE001 - e.g. database down: try again next sweep
        log.exception("catch-up failed")


class QueuePoller:
    """The tick of a job queue kept in a table (import jobs, export jobs): start its worker
    thread unless it is still running (it works until the queue is empty), so the tick
    itself returns at once. Each queue has its own thread: an export never waits behind a
    long import."""

    def __init__(self, name, work):
        self.name, self.work = name, work
        self.worker = None
        self._lock = threading.Lock()

    def _run(self, app):
        try:
            for job in self.work(app):
                log.info("%s job %s: %s (%s/%s rows)", self.name, job.id, job.state,
                         job.rows_done, job.rows_total)
        except Exception:  # noqa: BLE001 - e.g. database down: the next tick tries again
            log.exception("%s queue failed", self.name)

    def poll(self, app):
        with self._lock:
            if self.worker is not None and self.worker.is_alive():
                return False
            self.worker = threading.Thread(target=self._run, args=(app,), daemon=True,
                                           name=f"{self.name}-queue")
            self.worker.start()
            return True


IMPORTS = QueuePoller("import", lambda app: jobs.import_queue(app))
EXPORTS = QueuePoller("export", lambda app: jobs.export_queue(app))


def poll_imports(app):
    """The import-queue tick (services.imports.jobs)."""
    return IMPORTS.poll(app)


def poll_exports(app):
    """The export-queue tick (services.exports.jobs)."""
    return EXPORTS.poll(app)


def build(app, scheduler_class):
    """A configured (not started) scheduler with every job and the catch-up sweep."""
    from apscheduler.triggers.interval import IntervalTrigger
    tz = zone(app)
    scheduler = scheduler_class(
        timezone=tz,
        job_defaults={
            "coalesce": True,  # a backlog of fires runs once
            "max_instances": 1,
            "misfire_grace_time": int(setting(app.config, "SCHEDULER_MISFIRE_GRACE")),
        },
    )
    for spec in JOBS:
        scheduler.add_job(fire, spec.cron(tz), args=(app, spec.name), id=spec.name,
                          name=spec.description, replace_existing=True)
    scheduler.add_job(_safe_catch_up, IntervalTrigger(seconds=int(
        CATCH_UP_EVERY.total_seconds()), timezone=tz), args=(app,), id="catch-up",
        name="补跑错过或失败的任务", next_run_time=datetime.datetime.now(tz),
        replace_existing=True)
    scheduler.add_job(poll_imports, IntervalTrigger(seconds=int(
        IMPORT_QUEUE_EVERY.total_seconds()), timezone=tz), args=(app,), id="import-queue",
        name="执行排队的导入任务", replace_existing=True)
    scheduler.add_job(poll_exports, IntervalTrigger(seconds=int(
        IMPORT_QUEUE_EVERY.total_seconds()), timezone=tz), args=(app,), id="export-queue",
        name="执行排队的导出任务", replace_existing=True)
    scheduler.add_job(jobs.robot_outbox, IntervalTrigger(seconds=int(ROBOT_SWEEP_EVERY.total_seconds()),
                                                         timezone=tz), args=(app,), id="robot-outbox",
                      name="发送群机器人消息", replace_existing=True)   # an error: logged, next sweep
    return scheduler


_background = None
_background_lock = threading.Lock()


def start_background(app):
    """Start a BackgroundScheduler in this process (once; later calls return
    the running one). Used by ``flask serve``."""
    global _background
    from apscheduler.schedulers.background import BackgroundScheduler
    with _background_lock:
        if _background is None:
            _background = build(app, BackgroundScheduler)
            _background.start()
            log.info("background scheduler started (%s)", zone(app))
        return _background


def stop_background():
    global _background
    with _background_lock:
        if _background is not None:
            _background.shutdown(wait=False)
            _background = None


def run_forever(app):
    """Run the scheduler in the foreground until interrupted (production)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    scheduler = build(app, BlockingScheduler)

    def stop(signum, frame):
        log.info("signal %s: stopping the scheduler", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
