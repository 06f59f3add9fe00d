"""Export jobs on the pages (issue 18): a large ledger export is queued from the export link
(a POST, CSRF on), followed on a job page with a progress bar and a JSON endpoint, then
downloaded by the person who asked (and the bureau) only; a crashed job shows as failed;
a small export is still written inside the request."""
import datetime
import io
import os
import re

import pytest
from openpyxl import load_workbook

from tests.factories import make_project, make_task_force, make_user
from tests.web.csrf_helpers import login, post, token
from tracker.db import database
from tracker.models import ExportJob
from tracker.services.exports import jobs
from tracker.services.ledger import export

PROJECTS = 4


@pytest.fixture
def world(csrf_app):
    csrf_app.config["EXPORT_JOB_ROWS"] = PROJECTS - 1
    with csrf_app.app_context():
        team, other_team = make_task_force("TFA", "精细化工专班"), make_task_force("TFB")
        make_user("member", role="member", task_forces=[team])
        make_user("other", role="member", task_forces=[other_team])
        make_user("bureau", role="bureau")
        for i in range(PROJECTS):
            make_project(team, f"项目{i}（一期）", investor="=1+1" if i == 1 else "某公司",
                         on=datetime.date.today())
        make_project(other_team, "别的专班项目", on=datetime.date.today())
        team_id = team.id
    return csrf_app, f"/projects/export.xlsx?tf={team_id}&sort=name&dir=asc", team_id


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _queue(app, url, username="member"):
    client = _client(app, username)
    offer = client.get(url)
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    response = post(client, url, page=url)
    assert response.status_code == 302 and "/exports/" in response.location
    return client, response.location


def _work(app):
    with app.app_context(), database.connection_context():
        return jobs.work(app, every=0.05)


def _cells(data):
    sheet = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_a_large_export_is_queued_followed_and_downloaded(world):
    app, url, team_id = world
    client = _client(app, "member")
    offer = client.get(url).get_data(as_text=True)
    assert f"共 <strong>{PROJECTS}</strong> 个项目" in offer and "在后台导出" in offer
    assert "<script>" not in offer and 'method="post"' in offer
    response = post(client, url, page=url)
    assert response.status_code == 302
    job_id = int(re.search(r"/exports/(\d+)$", response.location).group(1))
    page = client.get(response.location).get_data(as_text=True)
    assert "<progress" in page and "排队中" in page and "刷新" in page and "<script>" not in page
    assert 'class="card export-job" data-status="/exports/%d/status.json"' % job_id in page
    status = client.get(f"/exports/{job_id}/status.json").get_json()
    assert (status["state"], status["done"], status["total"]) == ("queued", 0, PROJECTS)
    assert client.get(f"/exports/{job_id}/download").status_code == 302   # not yet
    [ran] = _work(app)
    assert ran.state == "done", ran.error
    status = client.get(f"/exports/{job_id}/status.json").get_json()
    assert (status["state"], status["done"], status["percent"]) == ("done", PROJECTS, 100)
    assert status["url"].endswith(f"/exports/{job_id}")
    page = client.get(f"/exports/{job_id}").get_data(as_text=True)
    assert "下载 Excel" in page and "招商项目台账_精细化工_" in page
    download = client.get(f"/exports/{job_id}/download")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    disposition = download.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E6%8B%9B" in disposition and 'filename="project-ledger_TFA_' in disposition
    with app.app_context():
        at_once = export.export_ledger({"tf": team_id, "sort": "name", "dir": "asc"})
    got, expected = _cells(download.data), _cells(at_once.data)
    assert got[1:] == expected[1:] and len(got) == PROJECTS + 2
    assert got[0][0].split("导出时间")[0] == expected[0][0].split("导出时间")[0]
    assert any(row[4] == "'=1+1" for row in got)    # formula-safe, as at once


def test_the_queue_needs_the_csrf_token(world):
    app, url, _ = world
    client = _client(app, "member")
    assert client.post(url).status_code == 400
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert ExportJob.select().count() == 0


def test_one_export_in_flight_per_user(world):
    app, url, _ = world
    client, first = _queue(app, url)
    offer = client.get(url).get_data(as_text=True)     # the offer names the running one
    assert "您已有一个导出正在进行" in offer and first.split("localhost")[-1] in offer
    assert "在后台导出" not in offer
    response = client.post(url, data={"csrf_token": token(client, "/projects/")})
    assert response.status_code == 302 and response.location.endswith(first)
    assert "已有一个导出正在进行" in client.get(first).get_data(as_text=True)
    with app.app_context():
        assert ExportJob.select().count() == 1


def test_only_the_owner_and_the_bureau_download(world):
    app, url, _ = world
    _, job_url = _queue(app, url)
    _work(app)
    other = _client(app, "other")
    for suffix in ("", "/status.json", "/download"):
        assert other.get(job_url + suffix).status_code == 403
    bureau = _client(app, "bureau")
    assert bureau.get(job_url + "/download").status_code == 200
    assert bureau.get("/exports/987654").status_code == 404
    assert bureau.get("/exports/987654/download").status_code == 404


def test_a_crashed_job_shows_as_failed(world):
    app, url, _ = world
    client, job_url = _queue(app, url)
    with app.app_context(), database.connection_context():
        job = jobs.claim_next()
        ExportJob.update(pid=2 ** 22 + 12345).where(ExportJob.id == job.id).execute()
    status = client.get(job_url + "/status.json").get_json()
    assert status["state"] == "failed" and "导出中断" in status["error"]
    page = client.get(job_url).get_data(as_text=True)
    assert "失败" in page and "已不存在" in page and "下载 Excel" not in page
    assert client.get(job_url + "/download").status_code == 302
    # the person may export again at once
    assert _queue(app, url)[1] != job_url


def test_a_small_export_is_still_written_in_the_request(world):
    app, url, _ = world
    app.config["EXPORT_JOB_ROWS"] = PROJECTS
    client = _client(app, "member")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert len(_cells(response.data)) == PROJECTS + 2
    # a POST of a now small export is sent back to the GET (nothing queued)
    response = post(client, url, page="/projects/")
    assert response.status_code == 302 and response.location.endswith(url)
    with app.app_context():
        assert ExportJob.select().count() == 0
    assert not os.path.isdir(os.path.join(app.instance_path, "exports")) or \
        not os.listdir(os.path.join(app.instance_path, "exports"))
