"""A large upload judged by a preview job, and the judged preview kept once (issue 18,
"Long work off the request path"): the upload only keeps the bytes, the worker judges them
once, every preview view reads the kept judged preview, a change of 列的对应 judges again.
Runs on every backend (the ``db`` fixture)."""
import pytest

from tests.factories import make_project, make_task_force, make_user
from tests.services.test_import import book_bytes, row
from tracker.domain.errors import ValidationError
from tracker.models import ImportJob, Project
from tracker.services.imports import jobs, parse, preview, store, uploads

LIMIT = 10 * 1024 * 1024


@pytest.fixture
def world(db, app):
    team = make_task_force("TF1")
    return dict(app=app, team=team, member=make_user("member", role="member", task_forces=[team]))


def _data(count=3):
    return book_bytes([row(项目名称=f"判定项目{i}", 计划投资额=100 + i) for i in range(count)])


def _queue(app, user, data):
    return jobs.upload_or_queue(app.instance_path, user, "大.xlsx", data, LIMIT, job_bytes=100)


def _never(*a, **k):
    pytest.fail("judged again")


def test_a_large_upload_only_queues_a_preview_job(world, monkeypatch):
    app, member = world["app"], world["member"]
    monkeypatch.setattr(parse, "parse", _never)
    monkeypatch.setattr(preview, "preview", _never)
    token, job = _queue(app, member, _data())
    assert (job.kind, job.state, job.token) == ("preview", "queued", token)
    assert Project.select().count() == 0
    assert uploads.judged_page(app.instance_path, token, member.id, 1) is None
    assert store.load_parsed(app.instance_path, token, member.id, parse.ParsedFile)[1] is None
    # one job per user covers both kinds
    with pytest.raises(ValidationError):
        _queue(app, member, _data())


def test_the_worker_keeps_the_judged_preview_and_views_read_it(world, monkeypatch):
    app, member = world["app"], world["member"]
    token, job = _queue(app, member, _data(5))
    ran, = jobs.work(app)
    assert (ran.id, ran.kind, ran.state, ran.rows_done, ran.rows_total) == (
        job.id, "preview", "done", 5, 5)
    assert Project.select().count() == 0
    monkeypatch.setattr(preview, "preview", _never)   # a view judges nothing
    page = uploads.judged_page(app.instance_path, token, member.id, 1)
    assert page.count("new") == 5 and page.total_rows == 5 and not page.blocked
    assert [r["name"] for r in page.rows] == [f"判定项目{i}" for i in range(5)]
    assert page.rows[0]["team"] == {"name": "TF1专班"} and page.rows[0]["status_label"] == "新增"
    assert ("计划投资额", "100.00 万元", "100 万元") in [tuple(s) for s in page.rows[0]["shown"]]
    monkeypatch.setattr(uploads, "PAGE_ROWS", 2)
    last = uploads.judged_page(app.instance_path, token, member.id, 9)
    assert (last.number, last.pages, last.first, last.last) == (3, 3, 5, 5)


def test_the_commit_judges_again(world):
    app, member = world["app"], world["member"]
    token, _ = _queue(app, member, _data(2))
    jobs.work(app)
    assert uploads.judged_page(app.instance_path, token, member.id, 1).count("new") == 2
    # the ledger changed since the preview was judged: the commit sees it
    make_project(world["team"], "判定项目0", user=member, planned_investment="100")
    batch, job = jobs.commit_or_queue(app.instance_path, token, member, LIMIT, job_rows=10)
    assert job is None and batch.created == 1 and Project.select().count() == 2


def test_a_mapping_change_judges_again(world, monkeypatch):
    app, member = world["app"], world["member"]
    token, _ = uploads.upload(app.instance_path, member, "小.xlsx", _data(2), LIMIT)
    calls = []
    judge = preview.preview
    monkeypatch.setattr(preview, "preview", lambda *a, **k: calls.append(1) or judge(*a, **k))
    uploads.judged_page(app.instance_path, token, member.id, 1)
    assert calls == []
    # small: judged again now
    assert jobs.judge_or_queue(app.instance_path, token, member, LIMIT, job_bytes=LIMIT) is None
    assert calls == [1]
    assert uploads.judged_page(app.instance_path, token, member.id, 1).count("new") == 2
    # large: the stale judged preview is dropped and a preview job queued (once)
    job = jobs.judge_or_queue(app.instance_path, token, member, LIMIT, job_bytes=100)
    assert job.kind == "preview" and calls == [1]
    assert uploads.judged_page(app.instance_path, token, member.id, 1) is None
    again = jobs.judge_or_queue(app.instance_path, token, member, LIMIT, job_bytes=100)
    assert again.id == job.id and ImportJob.select().count() == 1
    jobs.work(app)
    assert calls == [1, 1]
    assert uploads.judged_page(app.instance_path, token, member.id, 1).count("new") == 2


def test_a_refused_file_fails_its_preview_job_and_is_not_kept(world):
    app, member = world["app"], world["member"]
    token, job = _queue(app, member, b"\x00" * 500)
    ran, = jobs.work(app)
    assert ran.state == "failed" and ran.error
    with pytest.raises(store.Expired):
        store.describe(app.instance_path, token, member.id)
