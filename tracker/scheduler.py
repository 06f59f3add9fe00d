"""Scheduled jobs: the registry, the run-once-per-period lock, catch-up, and the
APScheduler 3.x wiring.

Registry
    ``JOBS`` lists one JobSpec per job: its function ``func(app, as_of)``, a
    cron trigger in local time (config TIMEZONE, Asia/Shanghai), how a fire
    date maps to a period key, and how far back missed or failed periods are
    caught up. Adding a job = adding one JobSpec.

Run once per period (across processes)
    The JobRun rows are read and written by tracker/services/jobruns.py. A run first claims (job, period_key) by INSERTing a JobRun row; the UNIQUE
    key makes exactly one process win, the others get an IntegrityError and do
    nothing. The job then runs in its own transaction and the row is marked
    ok / failed with a detail. Retries: a *failed* run is re-claimed by a
    conditional UPDATE (only while attempts < max_attempts, and only one
    process can win the UPDATE because it is conditional on the attempt count
    it read); a *running* claim older than ``stale_after`` (its process died)
    is taken over the same way. An ok run is never repeated.

Catch-up
    On start and then every hour, each job's fire times within its catch-up
    window are listed from its own trigger; periods without an ok run (missed
    while the scheduler was down, or failed) are run, oldest first. Quarter
    close catches up every missed quarter of the last year; daily jobs only
    the latest day; the weekly summary (tracker/services/summaries.py) the
    latest week within 3 days.

Processes
    ``run_forever(app)`` (``flask --app tracker scheduler``): BlockingScheduler,
    production, one process beside gunicorn. ``start_background(app)``:
    BackgroundScheduler for the dev server, started once per process (the
    serve command only calls it in the reloader child). Nothing is started by
    create_app. Tests call the job functions or ``run_once`` with explicit
    dates and never start a thread.
"""
import datetime
import importlib
import logging
import signal
import threading
import traceback
from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

from . import jobs
from .domain import periods
from .services import audit, jobruns

log = logging.getLogger("tracker.scheduler")

DETAIL_LIMIT = jobruns.DETAIL_LIMIT
CATCH_UP_EVERY = datetime.timedelta(hours=1)


def day_key(as_of):
    """Daily period: '2026-07-01'."""
    return as_of.isoformat()


def closed_quarter_key(as_of):
    """Quarter close fired on 2026-07-01 closes '2026Q2'."""
    year, quarter = periods.previous_quarter(as_of.year, periods.quarter_of(as_of))
    return periods.quarter_key(year, quarter)


def previous_week_key(as_of):
    """A Monday job reports the ISO week before ``as_of``: '2026-W26'."""
    year, week, _ = (as_of - datetime.timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job.

    func: ``func(app, as_of)`` or "module:attr" (imported when first run);
        returns a short detail text. ``as_of`` is the local date it fired on.
    trigger: APScheduler CronTrigger fields in local time.
    period_key: local fire date -> period key; one ok run per key, ever.
    catch_up: how far back (from now) missed/failed periods are run on start
        and by the hourly sweep; None = never caught up.
    catch_up_all: True = every missed period in the window, oldest first;
        False = only the latest one.
    """
    name: str
    description: str
    func: Callable | str
    trigger: dict
    period_key: Callable[[datetime.date], str]
    catch_up: datetime.timedelta | None = datetime.timedelta(days=1)
    catch_up_all: bool = False
    max_attempts: int = 3
    stale_after: datetime.timedelta = datetime.timedelta(hours=6)

    def resolve(self):
        if callable(self.func):
            return self.func
        module, _, attr = self.func.partition(":")
        return getattr(importlib.import_module(module), attr)

    def cron(self, tz):
        from apscheduler.triggers.cron import CronTrigger
        return CronTrigger(timezone=tz, **self.trigger)


JOBS = [
    JobSpec(
        name="nightly-recompute",
        description="每日重算：按历史修复项目首次到达日期与最近进展",
        func=jobs.nightly_recompute,
        trigger={"hour": 1, "minute": 0},
        period_key=day_key,
    ),
    JobSpec(
        name="staleness-scan",
        description="每日扫描长期无进展项目（60/90/180 天）",
        func=jobs.staleness_scan,
        trigger={"hour": 1, "minute": 30},
        period_key=day_key,
    ),
    JobSpec(
        name="quarter-close",
        description="季度结账：冻结上季度各专班指标快照",
        func=jobs.quarter_close,
        trigger={"month": "1,4,7,10", "day": 1, "hour": 0, "minute": 5},
        period_key=closed_quarter_key,
        catch_up=datetime.timedelta(days=366),
        catch_up_all=True,
    ),
    # Weekly summaries (issue 4): a run that leaves mail waiting for a retry is
    # recorded as failed, so the hourly catch-up re-runs it (sending is idempotent).
    JobSpec(name="weekly-summary", description="每周一 08:00 生成并发送上周周报",
            func="tracker.services.summaries:weekly_job",
            trigger={"day_of_week": "mon", "hour": 8, "minute": 0},
            period_key=previous_week_key, catch_up=datetime.timedelta(days=3),
            max_attempts=12),
]


def jobs_by_name():
    return {spec.name: spec for spec in JOBS}


def get_spec(name):
    try:
        return jobs_by_name()[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(jobs_by_name())}") from None


def zone(app):
    return ZoneInfo(app.config.get("TIMEZONE") or "Asia/Shanghai")


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# --- run once per period ------------------------------------------------------

def claim(spec, key, now=None, manual=False):
    """Claim ``spec``/``key`` for this process: the JobRun row (outcome
    running) when we own the run, None when someone else has or had it.
    ``manual`` (an operator's ``flask scheduler run``) may retry a failed run
    beyond max_attempts. Needs a connection; each step commits on its own."""
    now = now or _utcnow()
    run = jobruns.insert_claim(spec.name, key, now)
    if run is not None:
        return run
    run = jobruns.get(spec.name, key)
    if run is None:
        return None
    retry = run.outcome == jobruns.FAILED and (manual or run.attempts < spec.max_attempts)
    abandoned = run.outcome == jobruns.RUNNING and run.started_at < now - spec.stale_after
    if not (retry or abandoned):
        return None
    return jobruns.reclaim(run, now)


def _finish(run, outcome, detail):
    return jobruns.finish(run, outcome, detail, _utcnow())


def run_once(app, spec, as_of, now=None, manual=False):
    """Run ``spec`` for the period of ``as_of`` unless it already ran (or is
    running) elsewhere. Returns the finished JobRun, or None when skipped.
    A failing job is recorded as failed (with the traceback), not raised.
    ``manual``: see claim()."""
    if isinstance(spec, str):
        spec = get_spec(spec)
    key = spec.period_key(as_of)
    with app.app_context():
        run = claim(spec, key, now=now, manual=manual)
    if run is None:
        log.info("%s %s: already claimed, skipped", spec.name, key)
        return None
    log.info("%s %s: started (attempt %s)", spec.name, key, run.attempts)
    try:
        with audit.origin("scheduler"):
            detail = spec.resolve()(app, as_of)
    except Exception as exc:  # noqa: BLE001 - recorded, retried by catch-up
        log.exception("%s %s failed", spec.name, key)
        text = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        with app.app_context():
            return _finish(run, "failed", text)
    with app.app_context():
        done = _finish(run, "ok", str(detail) if detail is not None else "")
    log.info("%s %s: ok — %s", spec.name, key, done.detail)
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


def pending_periods(spec, tz, now):
    """The due periods that still need a run (no row, or failed and retryable,
    or abandoned while running)."""
    due = due_periods(spec, tz, now)
    if not due:
        return []
    rows = jobruns.runs_by_key(spec.name, [k for _, k in due])
    stale_before = now.astimezone(datetime.timezone.utc).replace(tzinfo=None) - spec.stale_after
    out = []
    for as_of, key in due:
        run = rows.get(key)
        if (run is None
                or (run.outcome == jobruns.FAILED and run.attempts < spec.max_attempts)
                or (run.outcome == jobruns.RUNNING and run.started_at < stale_before)):
            out.append((as_of, key))
    return out


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


def build(app, scheduler_class):
    """A configured (not started) scheduler with every job and the catch-up sweep."""
    from apscheduler.triggers.interval import IntervalTrigger
    tz = zone(app)
    scheduler = scheduler_class(
        timezone=tz,
        job_defaults={
            "coalesce": True,  # a backlog of fires runs once
            "max_instances": 1,
            "misfire_grace_time": int(app.config.get("SCHEDULER_MISFIRE_GRACE", 3600)),
        },
    )
    for spec in JOBS:
        scheduler.add_job(fire, spec.cron(tz), args=(app, spec.name), id=spec.name,
                          name=spec.description, replace_existing=True)
    scheduler.add_job(_safe_catch_up, IntervalTrigger(seconds=int(
        CATCH_UP_EVERY.total_seconds()), timezone=tz), args=(app,), id="catch-up",
        name="补跑错过或失败的任务", next_run_time=datetime.datetime.now(tz),
        replace_existing=True)
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
