"""Large imports as jobs outside the web workers (issue 18, "Long work"): the upload parsed
once, the queue, the claim, the progress, one job per user, failures and crashed workers.
Runs on every backend (the ``db`` fixture)."""
import datetime
import os

import pytest

from tests.factories import make_task_force, make_user
from tests.races import run_together
from tests.services.test_import import book_bytes, row
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, ImportBatch, ImportJob, Project, TaskForce, utcnow
from tracker.services.imports import bulk, commit as import_commit, jobs, parse, store, uploads

LIMIT = 10 * 1024 * 1024


@pytest.fixture
def world(db, app):
    team = make_task_force("TF1")
    return dict(app=app, team=team,
                member=make_user("member", role="member", task_forces=[team]),
                other=make_user("other", role="member", task_forces=[team]))


_files = iter(range(1, 1000))


def _upload(app, user, count=5):
    prefix = f"文件{next(_files)}"
    data = book_bytes([row(项目名称=f"{prefix}项目{i}", 计划投资额=100 + i) for i in range(count)])
    token, preview = uploads.upload(app.instance_path, user, "大.xlsx", data, LIMIT)
    assert preview.count("new") == count
    return token


def _queue(app, user, count=5, **kw):
    token = _upload(app, user, count)
    batch, job = jobs.commit_or_queue(app.instance_path, token, user, LIMIT, job_rows=2, **kw)
    assert batch is None and job.state == "queued"
    return job


def test_the_upload_is_parsed_once(world, monkeypatch):
    app, member = world["app"], world["member"]
    data = book_bytes([row(项目名称="甲", 签约时间=datetime.date(2025, 3, 1), 当前阶段="签约",
                           签约额=10)])
    token, first = uploads.upload(app.instance_path, member, "a.xlsx", data, LIMIT)
    monkeypatch.setattr(parse, "parse", lambda *a, **k: pytest.fail("read again"))
    again = uploads.stored_preview(app.instance_path, token, member, LIMIT)
    assert [(r.status, r.shown, r.events) for r in again.rows] == [
        (r.status, r.shown, r.events) for r in first.rows]
    page = uploads.Page(again, 9, size=1)
    assert (page.number, page.pages, page.total_rows, len(page.rows)) == (1, 1, 1, 1)


def test_a_small_commit_is_written_at_once(world):
    app, member = world["app"], world["member"]
    token = _upload(app, member, 2)
    batch, job = jobs.commit_or_queue(app.instance_path, token, member, LIMIT, job_rows=2)
    assert job is None and batch.created == 2 and ImportJob.select().count() == 0


def test_queued_job_is_run_by_the_worker(world, monkeypatch):
    app, member = world["app"], world["member"]
    job = _queue(app, member, 5)
    assert Project.select().count() == 0 and jobs.progress(job, app.instance_path) == (0, 5)
    queued = AuditLog.get((AuditLog.entity == "import_job") & (AuditLog.entity_id == job.id))
    assert queued.action == "queue" and queued.user_id == member.id
    seen, create = [], bulk.create

    def slow_create(user, plans, batch_id):
        create(user, plans, batch_id)
        seen.append(store.read_progress(app.instance_path, job.token))

    monkeypatch.setattr(import_commit, "PROGRESS_CHUNK", 2)
    monkeypatch.setattr(bulk, "create", slow_create)
    done = jobs.work(app, every=0.01)
    assert [j.id for j in done] == [job.id]
    job = jobs.get(job.id)
    assert (job.state, job.rows_done, job.rows_total, job.error) == ("done", 5, 5, "")
    batch = ImportBatch.get_by_id(job.batch_id)
    assert batch.created == 5 and Project.select().count() == 5
    assert jobs.status(job, app.instance_path)["percent"] == 100
    # the progress file moved while the one transaction was open
    assert seen[0] is not None and seen[0][1] == 5
    assert not os.path.exists(os.path.join(app.instance_path, "imports", job.token + ".upload"))
    assert jobs.work(app) == []


def test_two_workers_claim_one_job_once(world, app):
    job = _queue(app, world["member"])
    outcomes = run_together(app, jobs.claim_next, jobs.claim_next)
    assert all(exc is None for _, exc in outcomes), outcomes
    won = [got for got, _ in outcomes if got is not None]
    assert len(won) == 1 and won[0].id == job.id and won[0].state == "running"
    assert jobs.claim_next() is None


def test_one_job_per_user(world):
    app, member, other = world["app"], world["member"], world["other"]
    first = _queue(app, member)
    token = _upload(app, member)
    with pytest.raises(ValidationError) as refused:
        jobs.commit_or_queue(app.instance_path, token, member, LIMIT, job_rows=2)
    assert f"#{first.id}" in refused.value.errors["__all__"]
    assert _queue(app, other).user_id == other.id     # another person's job is not in the way
    jobs.work(app)
    assert jobs.get(first.id).state == "done"
    assert _queue(app, member).state == "queued"      # once the first is done


def test_a_row_failing_at_commit_fails_the_job_and_writes_nothing(world, monkeypatch):
    app, member = world["app"], world["member"]
    job = _queue(app, member, 5)
    create = bulk.create
    calls = []

    def fail_second(user, plans, batch_id):
        calls.append(len(plans))
        if len(calls) == 2:
            raise ValidationError({"__all__": "第 4 行（项目3）导入失败：测试"})
        create(user, plans, batch_id)

    monkeypatch.setattr(import_commit, "PROGRESS_CHUNK", 2)
    monkeypatch.setattr(bulk, "create", fail_second)
    jobs.work(app, every=0.01)
    job = jobs.get(job.id)
    assert (job.state, job.batch_id) == ("failed", None)
    assert "第 4 行" in job.error
    assert Project.select().count() == 0 and ImportBatch.select().count() == 0


def test_a_file_that_went_wrong_since_the_preview_fails_the_job(world):
    app, member, team = world["app"], world["member"], world["team"]
    job = _queue(app, member, 3)
    TaskForce.update(active=False).where(TaskForce.id == team.id).execute()
    jobs.work(app)
    job = jobs.get(job.id)
    assert job.state == "failed" and "3 行错误" in job.error
    assert Project.select().count() == 0


def test_a_job_failed_as_stale_while_it_writes_rolls_back(world, monkeypatch):
    app, member = world["app"], world["member"]
    job = _queue(app, member, 3)
    create = bulk.create

    def taken(user, plans, batch_id):
        create(user, plans, batch_id)
        ImportJob.update(state="failed").where(ImportJob.id == job.id).execute()

    monkeypatch.setattr(bulk, "create", taken)
    jobs.work(app)
    assert jobs.get(job.id).state == "failed"
    assert Project.select().count() == 0 and ImportBatch.select().count() == 0


def test_a_stale_running_job_is_shown_failed(world):
    app, member = world["app"], world["member"]
    stale = jobs.stale_after(app.config)
    job = _queue(app, member)
    claimed = jobs.claim_next()
    now = utcnow()
    assert jobs.refresh(claimed, app.instance_path, stale, now).state == "running"
    # a worker elsewhere that stopped beating
    old = now - stale - datetime.timedelta(seconds=5)
    ImportJob.update(host="elsewhere", pid=1, heartbeat_at=old, started_at=old).where(
        ImportJob.id == job.id).execute()
    shown = jobs.refresh(jobs.get(job.id), app.instance_path, stale, now)
    assert shown.state == "failed" and "无心跳" in shown.error and "未写入" in shown.error
    # the person may import again at once
    assert _queue(app, member).state == "queued"


def test_a_killed_worker_on_this_host_fails_at_once(world):
    app, member = world["app"], world["member"]
    job = _queue(app, member)
    claimed = jobs.claim_next()
    ImportJob.update(pid=2 ** 22 + 12345).where(ImportJob.id == job.id).execute()  # no such pid
    shown = jobs.refresh(jobs.get(claimed.id), app.instance_path, jobs.stale_after(app.config))
    assert shown.state == "failed" and "已不存在" in shown.error
    # a new job of the same person fails it too instead of waiting behind it
    assert jobs.sweep(app.instance_path, jobs.stale_after(app.config)) == 0


def test_the_scheduler_tick_and_the_command_run_the_queue(world):
    from tracker import scheduler
    app, member, other = world["app"], world["member"], world["other"]
    job = _queue(app, member, 3)
    assert scheduler.poll_imports(app) is True
    scheduler.IMPORTS.worker.join(60)
    assert jobs.get(job.id).state == "done"
    job = _queue(app, other, 3)
    result = app.test_cli_runner().invoke(args=["imports", "work"])
    assert result.exit_code == 0, result.output
    assert f"导入任务 #{job.id}" in result.output and "已完成" in result.output
    assert jobs.get(job.id).state == "done"
    assert "没有排队" in app.test_cli_runner().invoke(args=["imports", "work"]).output


def test_warnings_are_acknowledged_before_the_job_is_queued(world):
    app, member = world["app"], world["member"]
    data = book_bytes([row(项目名称=f"年产{i}万吨项目", 计划投资额=50) for i in range(1, 4)])
    token, preview = uploads.upload(app.instance_path, member, "w.xlsx", data, LIMIT)
    with pytest.raises(ValidationError) as refused:
        jobs.commit_or_queue(app.instance_path, token, member, LIMIT, job_rows=2)
    assert "acknowledge" in refused.value.errors and ImportJob.select().count() == 0
    _, job = jobs.commit_or_queue(app.instance_path, token, member, LIMIT, job_rows=2,
                                  acknowledged=True)
    assert job.acknowledged and jobs.work(app)[0].state == "done"
    assert Project.select().count() == 3
