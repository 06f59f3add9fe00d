"""Large ledger exports as jobs outside the web workers (issue 18, "Long work"): the job's
file equals the export written at once, one job per user, a crashed job is failed, old
files go; and the rows stream through a server-side cursor on PostgreSQL/MySQL. Runs on
every backend (the ``db`` fixture)."""
import datetime
import io
import os

import pytest
from openpyxl import load_workbook

from tests.factories import make_county, make_project, make_task_force, make_user
from tracker import clock
from tracker.db import backend_name, database
from tracker.domain import pipeline
from tracker.domain.errors import NotFound, ValidationError
from tracker.models import AuditLog, ExportJob, Project, utcnow
from tracker.services.exports import jobs
from tracker.services.ledger import export, listing, projects as P

NOW = datetime.datetime(2026, 6, 30, 2, 15, tzinfo=datetime.timezone.utc)


@pytest.fixture
def world(db, app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    team, other_team = make_task_force("TFA"), make_task_force("TFB")
    county = make_county("C1")
    member = make_user("member", role="member", task_forces=[team])
    on = datetime.date(2026, 6, 2)
    for i in range(7):
        make_project(team, f"项目{i}（一期），“重点”", user=member, on=on, county=county.id,
                     investor="=HYPERLINK(\"http://x\")" if i == 3 else f"投资方{i}",
                     planned_investment=str(1000 + i), owner=member.id if i % 2 else None)
    signed = make_project(team, "签约项目", user=member, on=on, stage=pipeline.SIGNED,
                          contract_value="5000", signing_grade="contract")
    P.record_funds(member, signed, received_on=datetime.date(2026, 6, 10), amount="300.5")
    make_project(other_team, "别的专班项目", user=member, on=on)
    return dict(app=app, team=team, member=member,
                other=make_user("other", role="member", task_forces=[other_team]))


def _cells(data):
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    return rows, widths, sheet.auto_filter.ref, sheet.freeze_panes, \
        [str(r) for r in sheet.merged_cells.ranges]


def _read(path):
    with open(path, "rb") as fh:
        return fh.read()


@pytest.mark.parametrize("filters", [
    {"sort": "name", "dir": "asc"},
    {"tf": None, "sort": "progress", "dir": "desc", "q": "项目"},
    {"scope": "team", "teams": {None}, "sort": "name", "dir": "asc"},   # 本专班 (teams set below)
])
def test_the_jobs_file_equals_the_export_written_at_once(world, filters):
    app, member = world["app"], world["member"]
    filters = dict(filters, tf=world["team"].id if "tf" in filters else None)
    if "teams" in filters:
        filters["teams"] = {world["team"].id}
    at_once = export.export_ledger(filters)
    job = jobs.queue(member, filters, instance_path=app.instance_path)
    assert job.state == "queued" and job.rows_total == at_once.rows
    [ran] = jobs.work(app, every=0.05)
    assert (ran.id, ran.state, ran.error) == (job.id, "done", "")
    assert (ran.rows_done, ran.rows_total) == (at_once.rows, at_once.rows)
    assert (ran.file_name, ran.ascii_name) == (at_once.filename, at_once.ascii_filename)
    path, named = jobs.download(ran, app.instance_path)
    assert named.filename == at_once.filename and named.rows == at_once.rows
    assert _cells(_read(path)) == _cells(at_once.data)
    rows = _cells(_read(path))[0]
    assert len(rows) == 2 + at_once.rows and rows[0][0].startswith("招商项目台账（")
    assert any(r[1] == "项目0（一期），“重点”" for r in rows)       # text as typed
    assert any(r[4] == "'=HYPERLINK(\"http://x\")" for r in rows)  # formula-safe
    assert not os.path.exists(path + ".part")
    assert jobs.status(ran, app.instance_path)["percent"] == 100
    queued = AuditLog.get((AuditLog.entity == "export_job") & (AuditLog.entity_id == job.id))
    assert queued.action == "queue"


def test_one_export_in_flight_per_user(world):
    app, member, other = world["app"], world["member"], world["other"]
    first = jobs.queue(member, {"sort": "name"}, instance_path=app.instance_path)
    with pytest.raises(ValidationError) as refused:
        jobs.queue(member, {"sort": "name"}, instance_path=app.instance_path)
    assert f"#{first.id}" in refused.value.errors["__all__"]
    assert jobs.queue(other, {"sort": "name"}).state == "queued"     # someone else may
    jobs.work(app, every=0.05)
    assert jobs.queue(member, {"sort": "name"}).state == "queued"    # and again once done


def test_a_small_export_is_written_at_once(world):
    exported, count = jobs.export_or_count({"sort": "name"}, job_rows=100)
    assert count is None and exported.rows == 9
    exported, count = jobs.export_or_count({"sort": "name"}, job_rows=5)
    assert exported is None and count == 9 and ExportJob.select().count() == 0


def test_a_crashed_job_is_shown_failed(world):
    app, member = world["app"], world["member"]
    stale = jobs.stale_after(app.config)
    job = jobs.queue(member, {"sort": "name"})
    claimed = jobs.claim_next()
    now = utcnow()
    assert jobs.refresh(claimed, app.instance_path, stale, now).state == "running"
    # killed on this host: its pid is gone
    ExportJob.update(pid=2 ** 22 + 12345).where(ExportJob.id == job.id).execute()
    shown = jobs.refresh(jobs.get(job.id), app.instance_path, stale)
    assert shown.state == "failed" and "已不存在" in shown.error
    with pytest.raises(NotFound):
        jobs.download(shown, app.instance_path)
    # a worker elsewhere that stopped beating: failed when the person queues again
    job = jobs.queue(member, {"sort": "name"})
    jobs.claim_next()
    old = now - stale - datetime.timedelta(seconds=5)
    ExportJob.update(host="elsewhere", pid=1, heartbeat_at=old, started_at=old).where(
        ExportJob.id == job.id).execute()
    again = jobs.queue(member, {"sort": "name"}, stale_after=stale,
                       instance_path=app.instance_path)
    assert jobs.get(job.id).state == "failed" and "无心跳" in jobs.get(job.id).error
    assert again.state == "queued"


def test_a_failing_export_leaves_no_file(world, monkeypatch):
    app, member = world["app"], world["member"]
    job = jobs.queue(member, {"sort": "name"})

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "write_ledger", broken)
    [ran] = jobs.work(app)
    assert (ran.id, ran.state) == (job.id, "failed") and "RuntimeError" in ran.error
    assert not os.listdir(jobs.folder(app.instance_path))


def test_a_deactivated_persons_job_is_not_run(world):
    app, member = world["app"], world["member"]
    job = jobs.queue(member, {"sort": "name"})
    type(member).update(active=False).where(type(member).id == member.id).execute()
    [ran] = jobs.work(app)
    assert ran.id == job.id and ran.state == "failed" and "停用" in ran.error


def test_old_exports_are_removed(world):
    app, member = world["app"], world["member"]
    job = jobs.queue(member, {"sort": "name"})
    jobs.work(app)
    path, _ = jobs.download(jobs.get(job.id), app.instance_path)
    assert jobs.purge(app.instance_path, 3, now=utcnow()) == 0 and os.path.exists(path)
    later = utcnow() + datetime.timedelta(days=3, minutes=1)
    assert jobs.purge(app.instance_path, 3, now=later) == 1
    assert not os.path.exists(path) and ExportJob.select().count() == 0


# --- the server-side cursor ----------------------------------------------------------------

class Counting:
    """A DB-API cursor that counts the rows it hands out and refuses fetchall."""

    def __init__(self, cursor):
        self.cursor, self.fetched, self.chunks = cursor, 0, []

    def __getattr__(self, name):
        return getattr(self.cursor, name)

    def fetchmany(self, size):
        rows = self.cursor.fetchmany(size)
        self.fetched += len(rows)
        self.chunks.append(len(rows))
        return rows

    def fetchall(self):
        raise AssertionError("the whole result was fetched")


def test_the_rows_stream_through_a_server_side_cursor(world, monkeypatch):
    backend = backend_name()
    if backend == "sqlite":
        pytest.skip("SQLite steps through a result anyway")
    made = []
    real = export.server_cursor

    def counting(connection, name):
        cursor = Counting(real(connection, name))
        made.append(cursor)
        return cursor

    monkeypatch.setattr(export, "server_cursor", counting)
    query = listing.filtered({"sort": "name", "dir": "asc"}).select(Project.id, Project.name)
    with export.snapshot():
        stream = export.streamed(query.tuples(), chunk=3)
        first = next(stream)
        [cursor] = made
        if backend == "postgresql":      # a named cursor: DECLARE … / FETCH FORWARD 3
            assert cursor.cursor.name and cursor.cursor.withhold
        else:                            # pymysql's unbuffered cursor
            from pymysql.cursors import SSCursor
            assert isinstance(cursor.cursor, SSCursor)
        assert cursor.fetched == 3           # of 9: only the first chunk was read
        rest = list(stream)
    assert [first] + rest == list(query.tuples())
    assert cursor.chunks == [3, 3, 3, 0] and cursor.fetched == 9
    # the export itself goes through it
    made.clear()
    monkeypatch.setattr(export, "STREAM_CHUNK", 4)
    monkeypatch.setattr(export.streamed, "__defaults__", (4,))
    assert export.export_ledger({"sort": "name"}).rows == 9
    assert len(made) == 1 and made[0].chunks == [4, 4, 1, 0]
    assert database.is_closed() or not database.in_transaction()


def test_the_scheduler_tick_and_the_command_run_the_queue(world):
    from tracker import scheduler
    app, member, other = world["app"], world["member"], world["other"]
    job = jobs.queue(member, {"sort": "name"})
    assert scheduler.poll_exports(app) is True
    scheduler.EXPORTS.worker.join(60)
    assert jobs.get(job.id).state == "done"
    job = jobs.queue(other, {"sort": "name"})
    result = app.test_cli_runner().invoke(args=["export", "work"])
    assert result.exit_code == 0, result.output
    assert f"导出任务 #{job.id}：已完成，9/9 行" in result.output
    assert "没有排队" in app.test_cli_runner().invoke(args=["export", "work"]).output


def test_the_nightly_recompute_removes_old_exports(world, monkeypatch):
    from tracker import jobs as scheduled
    app, member = world["app"], world["member"]
    job = jobs.queue(member, {"sort": "name"})
    jobs.work(app)
    ExportJob.update(created_at=utcnow() - datetime.timedelta(days=4)).where(
        ExportJob.id == job.id).execute()
    path = jobs.file_path(app.instance_path, job.token)
    assert os.path.exists(path)
    summary = scheduled.nightly_recompute(app, NOW.date())
    assert "删除过期导出 1 个" in summary and not os.path.exists(path)
    assert ExportJob.select().count() == 0


def test_the_progress_counts_rows_read_then_written(world, monkeypatch):
    from tracker.services import jobqueue, xlsx
    app, member = world["app"], world["member"]
    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", 4)
    steps = []
    book, count = export.write_ledger({"sort": "name"}, progress=steps.append)
    assert count == 9 and steps == [4, 8, 13, 17, 18]     # read 4, 8; written 4, 8; all
    book.save(io.BytesIO())     # a write-only book is closed by saving it
    # what the job page shows while it runs: the progress file its beat writes
    job = jobs.queue(member, {"sort": "name"})
    running = jobs.claim_next()
    jobqueue.write_progress(jobs.file_path(app.instance_path, job.token, ".progress"), 3, 9)
    shown = jobs.status(running, app.instance_path)
    assert (shown["state"], shown["done"], shown["total"], shown["percent"]) == ("running", 3, 9, 33)
