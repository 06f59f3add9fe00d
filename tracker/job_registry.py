"""The registry of scheduled jobs: one JobSpec per job (see tracker/scheduler.py for how
they are run). Adding a job = adding one JobSpec."""
import datetime
import importlib
from dataclasses import dataclass
from typing import Callable

from . import jobs
from .domain import periods


def day_key(as_of):
    """Daily period: '2026-07-01'."""
    return as_of.isoformat()


def closed_quarter_key(as_of):
    """Quarter close fired on 2026-07-01 closes '2026Q2'."""
    year, quarter = periods.previous_quarter(as_of.year, periods.quarter_of(as_of))
    return periods.quarter_key(year, quarter)


def quarter_label(key):
    """'2026Q2' -> '2026年第2季度'."""
    year, quarter = periods.parse_quarter_key(key)
    return f"{year}年第{quarter}季度"


def close_label(key):
    """What a quarter close of ``key`` closes: '结账季度：2026年第2季度'."""
    return f"结账季度：{quarter_label(key)}"


def previous_week_key(as_of):
    """A Monday job reports the ISO week before ``as_of``: '2026-W26'."""
    year, week, _ = (as_of - datetime.timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _resolve(func):
    if func is None or callable(func):
        return func
    module, _, attr = func.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job.

    func: ``func(app, as_of)`` or "module:attr" (imported when first run);
        returns a short detail text. ``as_of`` is the local date it fired on.
    trigger: APScheduler CronTrigger fields in local time.
    period_key: local fire date -> period key; one ok run per key, unless rerun_if.
    catch_up: how far back (from now) missed/failed periods are run on start
        and by the hourly sweep; None = never caught up.
    catch_up_all: True = every missed period in the window, oldest first;
        False = only the latest one.
    rerun_if: ``rerun_if(as_of) -> bool`` (or "module:attr"), called in an app context:
        an ok period runs again (by the catch-up or by hand) while it returns True.
        Quarter close: some active task force has no snapshot for the quarter yet.
    period_label: period key -> zh-CN text printed beside it ("2026年第2季度").
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
    rerun_if: Callable | str | None = None
    period_label: Callable[[str], str] | None = None

    def resolve(self):
        return _resolve(self.func)

    def needs_rerun(self, as_of):
        check = _resolve(self.rerun_if)
        return bool(check and check(as_of))

    def label(self, key):
        return self.period_label(key) if self.period_label else ""

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
    # A close that ran before a task force existed is run again (issue "Jobs recover
    # without waiting six hours"): it freezes only the task forces without a snapshot.
    JobSpec(
        name="quarter-close",
        description="季度结账：冻结上季度各专班指标快照",
        func=jobs.quarter_close,
        trigger={"month": "1,4,7,10", "day": 1, "hour": 0, "minute": 5},
        period_key=closed_quarter_key,
        catch_up=datetime.timedelta(days=366),
        catch_up_all=True,
        rerun_if=jobs.quarter_close_incomplete,
        period_label=close_label,
    ),
    # Weekly summaries (issue 4): a run that leaves mail waiting for a retry is
    # recorded as failed, so the hourly catch-up re-runs it (sending is idempotent).
    JobSpec(name="weekly-summary", description="每周一 08:00 生成并发送上周周报",
            func=jobs.weekly_summaries,
            trigger={"day_of_week": "mon", "hour": 8, "minute": 0},
            period_key=previous_week_key, catch_up=datetime.timedelta(days=3),
            max_attempts=12),
    # Issue 22: 督办 reminders and 60天未推进 nudges, at most once per person per item per day
    # (services.reminders.daily); mail left waiting for a retry fails the run, so the
    # catch-up runs it again (building is idempotent).
    JobSpec(name="supervision-reminders", description="每日 08:30 发送督办到期/逾期提醒和“60天未推进”提醒",
            func=jobs.supervision_reminders, trigger={"hour": 8, "minute": 30}, period_key=day_key,
            max_attempts=12),
    # Issue 23: the login history and ended sessions do not grow without end.
    JobSpec(name="account-prune", description="每日清理过期的登录记录与已结束的登录会话",
            func=jobs.account_prune, trigger={"hour": 2, "minute": 40}, period_key=day_key),
]


# Not a job per period: the import queue (services.imports.jobs) is looked at this often by
# the scheduler process; a job found there runs in a worker thread of that process.
IMPORT_QUEUE_EVERY = datetime.timedelta(seconds=2)


def jobs_by_name():
    return {spec.name: spec for spec in JOBS}


def get_spec(name):
    try:
        return jobs_by_name()[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(jobs_by_name())}") from None
