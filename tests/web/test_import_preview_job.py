"""A large upload on the pages (issue 18, "Long work off the request path"): above
IMPORT_PREVIEW_JOB_BYTES the upload goes to a job page, the worker judges the file once,
the job page opens the preview, and every preview page is read from the kept judged
preview (never judged again); a change of 列的对应 judges it again by a job."""
import pytest

from tests.services.test_import import book_bytes, row
from tests.web.test_import import _setup, _upload
from tests.web.test_import_mapping import HEADER
from tests.services.import_files import xlsx_bytes
from tracker.db import database
from tracker.models import ImportBatch, Project
from tracker.services.imports import jobs, preview

ROWS = 5


def _work(app):
    with app.app_context(), database.connection_context():
        return jobs.work(app)


def _never(*a, **k):
    raise AssertionError("judged again at a view")


def test_a_large_upload_is_judged_by_a_job_then_previewed(app, client, auth, monkeypatch):
    app.config["IMPORT_PREVIEW_JOB_BYTES"] = 100
    _setup(app)
    auth.login("member")
    data = book_bytes([row(项目名称=f"大文件{i}", 计划投资额=100 + i) for i in range(ROWS)])
    response = _upload(client, data)
    assert response.status_code == 302 and "/imports/job/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "正在后台读取并核对" in page and "排队中" in page
    status = client.get(response.location + "/status.json").get_json()
    assert (status["kind"], status["state"]) == ("preview", "queued") and "url" not in status
    ran, = _work(app)
    assert ran.kind == "preview" and ran.state == "done"
    status = client.get(response.location + "/status.json").get_json()
    assert status["state"] == "done" and status["url"].endswith("/imports/preview")
    done = client.get(response.location)
    assert done.status_code == 302 and done.location.endswith("/imports/preview")
    monkeypatch.setattr(preview, "preview", _never)
    page = client.get("/imports/preview").get_data(as_text=True)
    assert f"新增 {ROWS} 行" in page and "大文件4" in page and "100.00 万元" in page
    assert "确认导入" in page
    with app.app_context():
        assert Project.select().count() == 0
    monkeypatch.undo()
    with client.session_transaction() as session:
        token = session["import_token"]
    response = client.post("/imports/commit", data={"token": token, "on_duplicate": "skip"})
    assert response.status_code == 302 and "/imports/batch" in response.location
    with app.app_context():
        assert Project.select().count() == ROWS and ImportBatch.select().count() == 1


@pytest.mark.parametrize("large", [False, True])
def test_a_mapping_change_judges_again(app, client, auth, large):
    if large:
        app.config["IMPORT_PREVIEW_JOB_BYTES"] = 100
    _setup(app)
    auth.login("member")
    data = xlsx_bytes([HEADER, ["甲", "TF1", 3, "急"]])
    _upload(client, data)
    if large:
        _work(app)
    assert client.get("/imports/preview").location.endswith("/imports/mapping")
    response = client.post("/imports/mapping", data={"col-A": "name", "col-B": "task_force",
                                                      "col-C": "planned_investment",
                                                      "unit-C": "亿元", "col-D": ""})
    assert response.status_code == 302
    if large:
        assert "/imports/job/" in response.location
        assert client.get("/imports/preview").location == response.location  # still judging
        _work(app)
    else:
        assert response.location.endswith("/imports/preview")
    page = client.get("/imports/preview").get_data(as_text=True)
    assert "30,000.00 万元" in page and "新增 1 行" in page
