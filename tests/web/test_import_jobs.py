"""Import jobs on the pages (issue 18): a big file's commit is queued and followed on a job
page with a progress bar and a JSON endpoint; a job is seen by its owner and the bureau."""
from tests.services.test_import import book_bytes, row
from tests.web.test_import import _setup, _upload
from tracker.db import database
from tracker.models import ImportBatch, Project
from tracker.services.imports import jobs

ROWS = 5


def _commit_big(app, client, auth):
    app.config["IMPORT_JOB_ROWS"] = 2
    _setup(app)
    auth.login("member")
    data = book_bytes([row(项目名称=f"项目{i}", 计划投资额=100 + i) for i in range(ROWS)])
    assert _upload(client, data).status_code == 302
    page = client.get("/imports/preview").get_data(as_text=True)
    assert f"共 {ROWS} 行" in page
    with client.session_transaction() as session:
        token = session["import_token"]
    return client.post("/imports/commit", data={"token": token, "on_duplicate": "skip"})


def test_a_big_commit_is_queued_and_followed(app, client, auth):
    response = _commit_big(app, client, auth)
    assert response.status_code == 302 and "/imports/job/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "<progress" in page and "排队中" in page and "刷新" in page and "<script>" not in page
    job_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    status = client.get(f"/imports/job/{job_id}/status.json").get_json()
    assert (status["state"], status["done"], status["total"]) == ("queued", 0, ROWS)
    with app.app_context():
        assert Project.select().count() == 0
        with database.connection_context():
            jobs.work(app)
        batch = ImportBatch.get()
    status = client.get(f"/imports/job/{job_id}/status.json").get_json()
    assert (status["state"], status["done"], status["percent"]) == ("done", ROWS, 100)
    assert status["url"].endswith(f"/imports/batch?id={batch.id}")
    done = client.get(f"/imports/job/{job_id}")
    assert done.status_code == 302 and done.location.endswith(f"/imports/batch?id={batch.id}")
    assert "导入完成" in client.get(done.location).get_data(as_text=True)


def test_a_second_big_commit_is_refused_while_one_runs(app, client, auth):
    _commit_big(app, client, auth)
    data = book_bytes([row(项目名称=f"别的项目{i}") for i in range(ROWS)])
    _upload(client, data)
    with client.session_transaction() as session:
        token = session["import_token"]
    response = client.post("/imports/commit", data={"token": token, "on_duplicate": "skip"})
    assert response.status_code == 400
    assert "已有一个导入正在进行" in response.get_data(as_text=True)


def test_only_the_owner_and_the_bureau_see_a_job(app, client, auth):
    job_url = _commit_big(app, client, auth).location
    auth.logout()
    auth.login("other")
    assert client.get(job_url).status_code == 403
    assert client.get(job_url + "/status.json").status_code == 403
    auth.logout()
    auth.login("bureau")
    assert client.get(job_url).status_code == 200
    assert client.get(job_url + "/status.json").get_json()["state"] == "queued"
    assert client.get("/imports/job/987654").status_code == 404


def test_the_preview_is_paged(app, client, auth, monkeypatch):
    from tracker.services.imports import uploads
    monkeypatch.setattr(uploads, "PAGE_ROWS", 2)
    _setup(app)
    auth.login("member")
    _upload(client, book_bytes([row(项目名称=f"分页{i}") for i in range(ROWS)]))
    page = client.get("/imports/preview?page=2").get_data(as_text=True)
    assert "第 2 / 3 页" in page and "分页2" in page and "分页0" not in page
    assert f"共 {ROWS} 行" in page and f"新增 {ROWS} 行" in page
    assert "第 3 / 3 页" in client.get("/imports/preview?page=99").get_data(as_text=True)
