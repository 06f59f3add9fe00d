"""Scheduler: run once per period across processes, retries, catch-up after
downtime, APScheduler wiring (never started here) and the CLI commands.

No thread is ever started: jobs are run through run_once / catch_up with
explicit dates, and "two schedulers" are two app instances on one database.
"""
import dataclasses
import datetime
import os
import subprocess
import sys
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_app
from tests.factories import make_project, make_task_force
from tracker import clock, jobs
from tracker import scheduler as S
from tracker.db import database
from tracker.domain import pipeline
from tracker.models import AuditLog, JobRun, Project, QuarterSnapshot, StaleFlag
from tracker.domain import periods
from tracker.services import audit
from tracker.services.progress import snapshots

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 7, 1)


@pytest.fixture
def other_app(app, database_url, tmp_path):
    """A second app instance on the same database: the second scheduler process."""
    return make_app(database_url, tmp_path / "instance2")


class Recorder:
    """A job function that counts its calls and can be told to fail."""

    def __init__(self, fail=0):
        self.calls = []
        self.fail = fail

    def __call__(self, app, as_of):
        self.calls.append(as_of)
        with jobs.job_context(app):
            audit.record(None, "job", None, "test", None, {"as_of": as_of})
            if len(self.calls) <= self.fail:
                raise RuntimeError("数据库暂时不可用")
        return f"ran {as_of}"


def spec(func, **kw):
    kw.setdefault("trigger", {"hour": 1, "minute": 0})
    return S.JobSpec(name=kw.pop("name", "test-job"), description="测试任务", func=func,
                     period_key=kw.pop("period_key", S.day_key), **kw)


def runs(name="test-job"):
    with database.connection_context():
        return list(JobRun.select().where(JobRun.job == name).order_by(JobRun.period_key))


# --- run once per period ---------------------------------------------------------

def test_second_scheduler_sees_the_claim_and_does_nothing(app, other_app):
    job = Recorder()
    first = S.run_once(app, spec(job), DAY)
    second = S.run_once(other_app, spec(job), DAY)
    assert first.outcome == "ok" and first.detail == "ran 2026-07-01" and first.attempts == 1
    assert first.finished_at is not None and first.period_key == "2026-07-01"
    assert second is None
    assert job.calls == [DAY]
    with app.app_context():
        assert AuditLog.select().where(AuditLog.entity == "job").count() == 1
    # the next period is a new run
    assert S.run_once(other_app, spec(job), DAY + datetime.timedelta(days=1)).outcome == "ok"
    assert len(runs()) == 2


def test_claim_while_the_other_process_is_still_running(app, other_app):
    job = Recorder()
    with app.app_context():
        mine = S.claim(spec(job), "2026-07-01")  # process 1 holds the period...
    assert mine.outcome == "running"
    assert S.run_once(other_app, spec(job), DAY) is None  # ...so process 2 skips it
    assert job.calls == []
    with other_app.app_context():
        assert S.claim(spec(job), "2026-07-01") is None


def test_real_quarter_close_runs_once_across_two_apps(app, other_app):
    with app.app_context():
        make_task_force("TF1")
    first = S.run_once(app, "quarter-close", DAY)
    assert first.period_key == "2026Q2" and first.outcome == "ok"
    assert S.run_once(other_app, "quarter-close", DAY) is None
    with app.app_context():
        assert QuarterSnapshot.select().where(QuarterSnapshot.quarter == 2).count() == 4
        assert JobRun.select().count() == 1


def test_two_scheduler_processes_race_for_one_period(app, database_url, tmp_path):
    """Two real processes run the same quarter close at once: one runs it,
    the other sees the claim and skips."""
    with app.app_context():
        make_task_force("TF1")
    env = dict(os.environ, TRACKER_DATABASE_URL=database_url, TRACKER_SECRET_KEY="test")
    command = [sys.executable, "-m", "flask", "--app", "tracker", "scheduler", "run",
               "quarter-close", "--as-of", "2026-10-01"]
    procs = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted("成功" in out for out in outputs) == [False, True], outputs
    assert sum("跳过" in out for out in outputs) == 1, outputs
    with app.app_context():
        run = JobRun.get()
        assert (run.job, run.period_key, run.outcome, run.attempts) == (
            "quarter-close", "2026Q3", "ok", 1)
        assert QuarterSnapshot.select().count() == 4


def test_failed_run_rolls_back_and_is_retried(app, other_app):
    job = Recorder(fail=1)
    failed = S.run_once(app, spec(job), DAY)
    assert failed.outcome == "failed" and failed.attempts == 1
    assert "RuntimeError: 数据库暂时不可用" in failed.detail
    with app.app_context():  # the job's own transaction was rolled back
        assert AuditLog.select().where(AuditLog.entity == "job").count() == 0

    retried = S.run_once(other_app, spec(job), DAY)
    assert retried.outcome == "ok" and retried.attempts == 2 and retried.id == failed.id
    assert S.run_once(app, spec(job), DAY) is None  # ok is final
    assert job.calls == [DAY, DAY]
    with app.app_context():  # the job's audit rows come from the scheduler
        assert [r.origin for r in AuditLog.select().where(AuditLog.entity == "job")] == [
            "scheduler"]


def test_only_one_process_wins_a_retry(app, other_app):
    job = Recorder(fail=1)
    S.run_once(app, spec(job), DAY)
    with app.app_context():
        won = S.claim(spec(job), "2026-07-01")
    with other_app.app_context():
        lost = S.claim(spec(job), "2026-07-01")
    assert won.attempts == 2 and won.outcome == "running"
    assert lost is None


def test_gives_up_after_max_attempts(app):
    job = Recorder(fail=99)
    outcomes = [S.run_once(app, spec(job, max_attempts=3), DAY) for _ in range(4)]
    assert [r.attempts for r in outcomes[:3]] == [1, 2, 3]
    assert all(r.outcome == "failed" for r in outcomes[:3])
    assert outcomes[3] is None and len(job.calls) == 3
    # an operator may still retry it by hand (flask scheduler run)
    job.fail = 0
    manual = S.run_once(app, spec(job, max_attempts=3), DAY, manual=True)
    assert (manual.outcome, manual.attempts) == ("ok", 4)
    assert S.run_once(app, spec(job, max_attempts=3), DAY, manual=True) is None


def test_abandoned_running_claim_is_taken_over(app, other_app):
    job = Recorder()
    t0 = datetime.datetime(2026, 6, 30, 17, 0)  # UTC
    with app.app_context():
        assert S.claim(spec(job), "2026-07-01", now=t0).attempts == 1  # then the process died
    with other_app.app_context():
        assert S.claim(spec(job), "2026-07-01", now=t0 + datetime.timedelta(hours=5)) is None
        taken = S.claim(spec(job), "2026-07-01", now=t0 + datetime.timedelta(hours=7))
    assert taken.attempts == 2 and taken.started_at == t0 + datetime.timedelta(hours=7)


# --- catch-up ---------------------------------------------------------------------

def _ok(app, name, key):
    with app.app_context():
        JobRun.create(job=name, period_key=key, outcome="ok", finished_at=clock.now())


def test_catch_up_after_downtime_runs_the_missed_quarter_close(app, other_app):
    with app.app_context():
        team = make_task_force("TF1")
        make_project(team, "甲", on=datetime.date(2026, 5, 20), stage=pipeline.SIGNED,
                     contract_value="800")
    for key in ("2025Q3", "2025Q4", "2026Q1"):
        _ok(app, "quarter-close", key)
        with app.app_context():  # those closes froze TF1
            snapshots.freeze_quarter(*periods.parse_quarter_key(key))
    _ok(app, "nightly-recompute", "2026-06-27")
    # down from 28 June to 3 July 10:00: missed Q2 close and five nights
    now = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SHANGHAI)
    done = S.catch_up(app, now=now)
    assert sorted((r.job, r.period_key, r.outcome) for r in done) == [
        ("account-prune", "2026-07-03", "ok"),
        ("nightly-recompute", "2026-07-03", "ok"),  # daily jobs: the latest night only
        ("quarter-close", "2026Q2", "ok"),
        ("staleness-scan", "2026-07-03", "ok"),
        ("supervision-reminders", "2026-07-03", "ok"),
    ]
    with app.app_context():
        snap = QuarterSnapshot.get((QuarterSnapshot.metric == "signed_value")
                                   & (QuarterSnapshot.quarter == 2))
        assert (snap.year, snap.quarter, snap.quarter_actual) == (2026, 2, Decimal("800"))

    # the other process starting a moment later finds nothing to do
    assert S.catch_up(other_app, now=now + datetime.timedelta(minutes=1)) == []
    assert S.catch_up(app, now=now) == []


def test_catch_up_runs_every_missed_quarter_within_a_year_oldest_first(app):
    now = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SHANGHAI)
    quarter = S.get_spec("quarter-close")
    with app.app_context():
        assert [k for _, k in S.pending_periods(quarter, SHANGHAI, now)] == [
            "2025Q3", "2025Q4", "2026Q1", "2026Q2"]  # 2025Q2 closed more than a year ago
    done = S.catch_up(app, now=now, specs=[quarter])
    assert [r.period_key for r in done] == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]


def test_catch_up_retries_failed_periods(app):
    job = Recorder(fail=1)
    daily = spec(job, name="flaky")
    now = datetime.datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI)
    first = S.catch_up(app, now=now, specs=[daily])
    assert [(r.period_key, r.outcome) for r in first] == [("2026-07-01", "failed")]
    second = S.catch_up(app, now=now + datetime.timedelta(hours=1), specs=[daily])
    assert [(r.period_key, r.outcome, r.attempts) for r in second] == [("2026-07-01", "ok", 2)]
    assert S.catch_up(app, now=now + datetime.timedelta(hours=2), specs=[daily]) == []


def test_before_the_first_fire_of_the_day_yesterday_is_caught_up(app):
    job = Recorder()
    now = datetime.datetime(2026, 7, 2, 0, 30, tzinfo=SHANGHAI)  # 01:00 not reached yet
    done = S.catch_up(app, now=now, specs=[spec(job)])
    assert [r.period_key for r in done] == ["2026-07-01"] and job.calls == [DAY]


def test_weekly_job_shape_catches_up_within_three_days(app):
    """The shape H6's weekly summary entry uses: Mondays 08:00, last ISO week."""
    job = Recorder()
    weekly = spec(job, name="weekly", trigger={"day_of_week": "mon", "hour": 8, "minute": 0},
                  period_key=S.previous_week_key, catch_up=datetime.timedelta(days=3))
    monday = datetime.datetime(2026, 6, 29, 8, 0, tzinfo=SHANGHAI)
    with app.app_context():
        assert S.pending_periods(weekly, SHANGHAI, monday - datetime.timedelta(minutes=1)) == []
        wednesday = monday + datetime.timedelta(days=2)
        assert S.pending_periods(weekly, SHANGHAI, wednesday) == [
            (datetime.date(2026, 6, 29), "2026-W26")]
        friday = monday + datetime.timedelta(days=4)
        assert S.pending_periods(weekly, SHANGHAI, friday) == []  # too late: skipped


def test_fire_times_follow_local_cron():
    quarter = S.get_spec("quarter-close")
    start = datetime.datetime(2025, 12, 31, 0, 0, tzinfo=SHANGHAI)
    end = datetime.datetime(2026, 12, 31, 0, 0, tzinfo=SHANGHAI)
    times = S.fire_times(quarter, SHANGHAI, start, end)
    assert [(t.month, t.day, t.hour, t.minute) for t in times] == [
        (1, 1, 0, 5), (4, 1, 0, 5), (7, 1, 0, 5), (10, 1, 0, 5)]
    assert [quarter.period_key(t.date()) for t in times] == ["2025Q4", "2026Q1", "2026Q2",
                                                             "2026Q3"]


def test_period_keys():
    assert S.day_key(DAY) == "2026-07-01"
    assert S.closed_quarter_key(datetime.date(2026, 1, 1)) == "2025Q4"
    assert S.previous_week_key(datetime.date(2026, 6, 29)) == "2026-W26"
    assert S.previous_week_key(datetime.date(2027, 1, 4)) == "2026-W53"


# --- the nightly jobs through the scheduler ----------------------------------------

def test_nightly_jobs_run_with_an_explicit_date(app):
    with app.app_context():
        team = make_task_force("TF1")
        old = make_project(team, "甲", on=datetime.date(2026, 1, 2), stage=pipeline.PACKAGED)
        Project.update(packaged_on=None).where(Project.id == old.id).execute()
    rec = S.run_once(app, "nightly-recompute", datetime.date(2026, 4, 2))
    stale = S.run_once(app, "staleness-scan", datetime.date(2026, 4, 2))
    assert rec.outcome == "ok" and "修复项目 1 个" in rec.detail
    assert stale.outcome == "ok"
    with app.app_context():
        assert Project.get_by_id(old.id).packaged_on == datetime.date(2026, 1, 2)
        assert StaleFlag.get().level == "red"  # 90 days on 2 April


# --- APScheduler wiring ------------------------------------------------------------

def test_create_app_starts_nothing(app):
    assert S._background is None


def test_build_registers_every_job_without_starting(sqlite_app):
    from apscheduler.schedulers.background import BackgroundScheduler
    scheduler = S.build(sqlite_app, BackgroundScheduler)
    assert not scheduler.running
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {spec.name for spec in S.JOBS} | {"catch-up", "import-queue", "export-queue", "robot-outbox"}
    close = scheduler.get_job("quarter-close")
    assert str(close.trigger.timezone) == "Asia/Shanghai"
    first = close.trigger.get_next_fire_time(
        None, datetime.datetime(2026, 6, 30, 12, 0, tzinfo=SHANGHAI))
    assert first == datetime.datetime(2026, 7, 1, 0, 5, tzinfo=SHANGHAI)
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1
    assert scheduler._job_defaults["misfire_grace_time"] == 3600


def test_registry_entries_are_well_formed():
    names = [spec.name for spec in S.JOBS]
    assert len(names) == len(set(names))
    for entry in S.JOBS:
        assert callable(entry.resolve())
        entry.cron(SHANGHAI)  # valid cron fields
        assert entry.period_key(DAY)
    with pytest.raises(KeyError):
        S.get_spec("nope")
    lazy = dataclasses.replace(S.JOBS[0], func="tracker.jobs:staleness_scan")
    assert lazy.resolve() is jobs.staleness_scan


# --- CLI ---------------------------------------------------------------------------

def test_recompute_cli_with_as_of(app):
    with app.app_context():
        team = make_task_force("TF1")
        p = make_project(team, "甲", on=datetime.date(2026, 3, 3), stage=pipeline.SIGNED,
                         contract_value="10")
        Project.update(signed_on=datetime.date(2026, 5, 5)).where(Project.id == p.id).execute()
    result = app.test_cli_runner().invoke(args=["recompute", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert "截至 2026-06-30 修复项目 1 个" in result.output
    with app.app_context():
        assert Project.get_by_id(p.id).signed_on == datetime.date(2026, 3, 3)


@pytest.mark.parametrize("value", ["2026-13-01", "30/06/2026", "yesterday", ""])
def test_recompute_cli_rejects_a_bad_date(sqlite_app, value):
    result = sqlite_app.test_cli_runner().invoke(args=["recompute", "--as-of", value])
    assert result.exit_code != 0
    assert "日期无效" in result.output and "YYYY-MM-DD" in result.output


def test_recompute_cli_rejects_a_future_date(sqlite_app):
    future = (clock.today() + datetime.timedelta(days=2)).isoformat()
    result = sqlite_app.test_cli_runner().invoke(args=["recompute", "--as-of", future])
    assert result.exit_code != 0 and "晚于今天" in result.output


def test_scheduler_cli_run_jobs_and_catch_up(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "run", "quarter-close", "--as-of", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert "quarter-close 2026Q2（结账季度：2026年第2季度）: 成功" in result.output
    again = runner.invoke(args=["scheduler", "run", "quarter-close", "--as-of", "2026-07-01"])
    assert again.exit_code == 0 and "跳过" in again.output
    unknown = runner.invoke(args=["scheduler", "run", "nope"])
    assert unknown.exit_code != 0 and "unknown job" in unknown.output
    listing = runner.invoke(args=["scheduler", "jobs"])
    assert listing.exit_code == 0
    assert "quarter-close" in listing.output and "2026Q2 成功" in listing.output
    caught = runner.invoke(args=["scheduler", "catch-up"])
    assert caught.exit_code == 0, caught.output
    assert "nightly-recompute" in caught.output
    assert runner.invoke(args=["scheduler", "catch-up"]).output.strip() == "没有需要补跑的任务。"
