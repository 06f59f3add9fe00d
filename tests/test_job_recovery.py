"""Jobs recover without waiting six hours: a quarter close re-run freezes task forces that
appeared after it, a run whose process was killed is taken over (by hand with --take-over,
or by the catch-up), owners elsewhere are judged by their heartbeat, --quarter closes a
named quarter. Runs on every backend (the ``app`` fixture)."""
import datetime
import os
import signal
import subprocess
import sys
import textwrap
import time
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_app
from tests.factories import make_project, make_task_force
from tracker import clock, jobs
from tracker import scheduler as S
from tracker.db import database
from tracker.domain import periods, pipeline
from tracker.models import AuditLog, JobRun, QuarterSnapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
JULY = datetime.date(2026, 7, 1)


def frozen_rows(app):
    """Every quarter_snapshot row exactly as stored (raw SQL, every column)."""
    with app.app_context():
        return database.execute_sql("SELECT * FROM quarter_snapshot ORDER BY id").fetchall()


def job_run(app, key="2026Q2", job="quarter-close"):
    with app.app_context():
        return JobRun.get((JobRun.job == job) & (JobRun.period_key == key))


# --- quarter close after a new task force appears ------------------------------------

def test_rerun_freezes_a_new_task_force_and_leaves_frozen_rows_alone(app):
    with app.app_context():
        old = make_task_force("OLD")
        make_project(old, "甲", on=datetime.date(2026, 5, 20), stage=pipeline.SIGNED,
                     contract_value="800")
    first = S.run_once(app, "quarter-close", JULY)
    assert first.outcome == "ok" and "冻结 1 个专班" in first.detail
    before = frozen_rows(app)
    assert len(before) == 4
    assert S.run_once(app, "quarter-close", JULY) is None  # complete: nothing to do

    with app.app_context():  # a task force formed after the close, and a late Q2 entry
        new = make_task_force("NEW")
        make_project(new, "乙", on=datetime.date(2026, 6, 10), stage=pipeline.SIGNED,
                     contract_value="300")
        make_project(old, "迟报", on=datetime.date(2026, 6, 1), stage=pipeline.SIGNED,
                     contract_value="500")
        assert jobs.quarter_close_incomplete(JULY)
    again = S.run_once(app, "quarter-close", JULY)
    assert (again.outcome, again.attempts, again.id) == ("ok", 2, first.id)
    assert "冻结 1 个专班（4 条）" in again.detail and "已冻结未改动 1 个专班（4 条）" in again.detail
    after = frozen_rows(app)
    assert after[:4] == before  # byte for byte
    with app.app_context():
        rows = {s.metric: s for s in QuarterSnapshot.select().where(
            QuarterSnapshot.task_force == new.id)}
        assert rows["signed_value"].cumulative_actual == 300
        assert (QuarterSnapshot.get((QuarterSnapshot.task_force == old.id)
                                    & (QuarterSnapshot.metric == "signed_value"))
                .cumulative_actual == 800)  # not 1300: frozen rows are never rewritten
        assert not jobs.quarter_close_incomplete(JULY)
    assert S.run_once(app, "quarter-close", JULY) is None


def test_catch_up_and_cli_rerun_an_already_closed_quarter(app):
    with app.app_context():
        make_task_force("OLD")
    now = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SHANGHAI)
    quarter = S.get_spec("quarter-close")
    assert len(S.catch_up(app, now=now, specs=[quarter])) == 4  # 2025Q3 .. 2026Q2
    assert S.catch_up(app, now=now, specs=[quarter]) == []
    before = frozen_rows(app)
    with app.app_context():
        make_task_force("NEW")
        assert [k for _, k in S.pending_periods(quarter, SHANGHAI, now)] == [
            "2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    done = S.catch_up(app, now=now, specs=[quarter])
    assert [(r.period_key, r.outcome) for r in done] == [
        ("2025Q3", "ok"), ("2025Q4", "ok"), ("2026Q1", "ok"), ("2026Q2", "ok")]
    assert all("冻结 1 个专班" in r.detail for r in done)
    assert frozen_rows(app)[:len(before)] == before

    with app.app_context():
        make_task_force("NEWER")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q1"])
    assert result.exit_code == 0, result.output
    assert "quarter-close 2026Q1（结账季度：2026年第1季度）: 成功" in result.output
    assert "冻结 1 个专班" in result.output
    again = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q1"])
    assert again.exit_code == 0 and "跳过" in again.output and "2026年第1季度" in again.output
    assert frozen_rows(app)[:len(before)] == before


# --- take-over of a run whose process was killed --------------------------------------

CHILD = textwrap.dedent("""
    import sys, time
    from tracker import create_app
    from tracker import scheduler as S
    app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "test"},
                     instance_path=sys.argv[2])
    with app.app_context():
        run = S.claim(S.get_spec("quarter-close"), "2026Q2")
    print("claimed" if run is not None else "not claimed", flush=True)
    time.sleep(600)
""")


@pytest.fixture
def claimed_by_child(app, database_url, tmp_path):
    """A real process that claims quarter-close 2026Q2 through the service, then hangs."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, database_url, str(tmp_path / "child")],
                            cwd=os.getcwd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line == "claimed", line + proc.stdout.read() if proc.poll() is not None else line
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_take_over_after_the_owner_is_killed(app, claimed_by_child):
    with app.app_context():
        make_task_force("TF1")
    child = claimed_by_child
    runner = app.test_cli_runner()
    run = job_run(app)
    assert (run.outcome, run.pid, run.host) == ("running", child.pid, S.job_owner.this_owner().host)

    listing = runner.invoke(args=["scheduler", "jobs"])
    assert "运行中 2026Q2 第1次" in listing.output and f":{child.pid}" in listing.output
    assert f"本机进程 {child.pid} 仍在运行" in listing.output
    plain = runner.invoke(args=["scheduler", "run", "quarter-close", "--as-of", "2026-07-01"])
    assert plain.exit_code == 0 and "运行中" in plain.output and "跳过" in plain.output
    refused = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q2",
                                  "--take-over"])
    assert refused.exit_code == 1, refused.output
    assert f"拒绝接管 — 本机进程 {child.pid} 仍在运行" in refused.output

    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    listing = runner.invoke(args=["scheduler", "jobs"])
    assert "可用 --take-over 接管" in listing.output
    hint = runner.invoke(args=["scheduler", "run", "quarter-close", "--as-of", "2026-07-01"])
    assert "可用 --take-over 接管" in hint.output and "跳过" in hint.output

    taken = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q2",
                                "--take-over"])
    assert taken.exit_code == 0, taken.output
    assert "quarter-close 2026Q2（结账季度：2026年第2季度）: 成功" in taken.output
    assert "冻结 1 个专班" in taken.output and "接管：原进程" in taken.output
    run = job_run(app)
    assert (run.outcome, run.attempts, run.pid) == ("ok", 2, os.getpid())
    assert f"本机进程 {child.pid} 已不存在" in run.detail.splitlines()[0]
    with app.app_context():
        assert QuarterSnapshot.select().count() == 4
        entry = AuditLog.get((AuditLog.entity == "job_run") & (AuditLog.action == "take_over"))
        assert entry.entity_id == run.id and entry.origin == "cli"
        assert str(child.pid) in entry.before and str(os.getpid()) in entry.after

    second = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q2",
                                 "--take-over"])
    assert second.exit_code == 1 and "拒绝接管 — 该期不在运行中（成功，第2次）" in second.output
    assert job_run(app).attempts == 2
    with app.app_context():
        assert QuarterSnapshot.select().count() == 4
        assert AuditLog.select().where(AuditLog.action == "take_over").count() == 1


def test_catch_up_takes_over_a_killed_owner_at_once(app, claimed_by_child):
    child = claimed_by_child
    quarter = S.get_spec("quarter-close")

    def pending():
        with app.app_context():
            return [k for _, k in S.pending_periods(quarter, SHANGHAI, clock.now(SHANGHAI))]

    assert "2026Q2" not in pending()  # its owner is alive
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert "2026Q2" in pending()  # minutes after the kill, not six hours
    done = S.catch_up(app, specs=[quarter])
    assert ("2026Q2", "ok", 2) in [(r.period_key, r.outcome, r.attempts) for r in done]
    with app.app_context():
        assert AuditLog.get(AuditLog.action == "take_over").origin == "scheduler"


# --- an owner on another host: judged by its heartbeat --------------------------------

def test_owner_elsewhere_is_judged_by_its_heartbeat(app):
    quarter = S.get_spec("quarter-close")
    t0 = datetime.datetime(2026, 6, 30, 17, 0)  # UTC
    with app.app_context():
        JobRun.create(job="quarter-close", period_key="2026Q2", outcome="running",
                      started_at=t0, heartbeat_at=t0, host="other-host.example", pid=4242)
        fresh = t0 + datetime.timedelta(seconds=240)
        assert S.claim(quarter, "2026Q2", now=fresh, manual=True, take_over=True) is None
        assert S.claim(quarter, "2026Q2", now=fresh) is None
        alive = S.liveness(quarter, job_run(app), fresh)
        assert alive.alive and "other-host.example:4242" in alive.reason and "新鲜" in alive.reason
        stale = t0 + datetime.timedelta(seconds=301)
        taken = S.claim(quarter, "2026Q2", now=stale, manual=True, take_over=True)
        assert taken.attempts == 2 and taken.host == S.job_owner.this_owner().host
        assert taken.heartbeat_at == stale and "心跳已 5 分钟未更新" in taken.detail
        # the new owner is alive (this process): nobody takes it from us
        assert S.claim(quarter, "2026Q2", now=stale + datetime.timedelta(minutes=10),
                       manual=True, take_over=True) is None


def test_a_running_job_beats(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance", SCHEDULER_HEARTBEAT=0.2)
    seen = []

    def slow(app, as_of):
        started = job_run(app, key="2026-07-01", job="beating").heartbeat_at
        time.sleep(2)
        seen.append((started, job_run(app, key="2026-07-01", job="beating").heartbeat_at))
        return "done"

    spec = S.JobSpec(name="beating", description="心跳测试", func=slow,
                     trigger={"hour": 1}, period_key=S.day_key)
    try:
        run = S.run_once(app, spec, JULY)
        assert run.outcome == "ok"
        (first, later), = seen
        assert later > first
    finally:
        with app.app_context():
            JobRun.delete().where(JobRun.job == "beating").execute()


# --- --as-of and --quarter --------------------------------------------------------------

def test_as_of_is_the_firing_date_and_quarter_names_the_quarter(app):
    runner = app.test_cli_runner()
    by_date = runner.invoke(args=["scheduler", "run", "quarter-close", "--as-of", "2026-03-31"])
    assert by_date.exit_code == 0, by_date.output
    assert by_date.output.startswith("quarter-close 2025Q4（结账季度：2025年第4季度）: 成功")
    by_quarter = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026q1"])
    assert by_quarter.exit_code == 0, by_quarter.output
    assert by_quarter.output.startswith("quarter-close 2026Q1（结账季度：2026年第1季度）: 成功")
    skipped = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q1"])
    assert skipped.output.startswith("quarter-close 2026Q1（结账季度：2026年第1季度）: ")
    assert "跳过" in skipped.output


def test_quarter_option_refuses_what_it_cannot_close(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    today = clock.today()
    current = periods.quarter_key(today.year, periods.quarter_of(today))
    future = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", current])
    assert future.exit_code != 0 and "尚未结束" in future.output
    later = runner.invoke(args=["scheduler", "run", "quarter-close",
                                "--quarter", f"{today.year + 1}Q1"])
    assert later.exit_code != 0 and "尚未结束" in later.output
    for bad in ("2026Q5", "2026-1", "Q1", "99999Q1"):
        result = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", bad])
        assert result.exit_code != 0 and "季度" in result.output, bad
    other_job = runner.invoke(args=["scheduler", "run", "nightly-recompute", "--quarter", "2026Q1"])
    assert other_job.exit_code != 0 and "只适用于 quarter-close" in other_job.output
    both = runner.invoke(args=["scheduler", "run", "quarter-close", "--quarter", "2026Q1",
                               "--as-of", "2026-04-01"])
    assert both.exit_code != 0 and "只能给一个" in both.output
    with sqlite_app.app_context():
        assert JobRun.select().count() == 0
