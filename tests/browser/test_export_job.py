"""A large ledger export through the real pages (issue 18): the 导出Excel link offers a job,
its page follows the progress by static/app.js (no inline script: the CSP holds) and, once
the job is done, shows the download link; the file downloads under its zh-CN name."""
import datetime

import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker.db import database
from tracker.services.exports import jobs

from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger(live_app):
    live_app.config["EXPORT_JOB_ROWS"] = 2
    with live_app.app_context():
        team = make_task_force("JXHG", "精细化工专班")
        make_user("member1", role="member", task_forces=[team])
        for i in range(4):
            make_project(team, f"项目{i}（一期）", on=datetime.date.today())
        team_id = team.id
    database.close()
    return team_id


def test_queue_follow_and_download(live_app, live_server, page, ledger):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    login(page, live_server, "member1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/?tf={ledger}")
    page.click("text=导出Excel")
    assert "共 <strong>4</strong> 个项目" in page.content()
    page.click("text=在后台导出")
    page.wait_for_url("**/exports/*")
    assert page.inner_text(".job-label") == "排队中"
    with live_app.app_context(), database.connection_context():
        [ran] = jobs.work(live_app, every=0.05)
    assert ran.state == "done", ran.error
    # app.js sees "done" within a second or two and opens the page again: the link is there
    page.wait_for_selector("text=下载 Excel", timeout=15_000)
    assert page.inner_text(".job-count") == "4 / 4 行（100%）"
    with page.expect_download() as download:
        page.click("text=下载 Excel")
    assert download.value.suggested_filename.startswith("招商项目台账_精细化工_")
    assert problems == []
