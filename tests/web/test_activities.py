"""跟进记录 through the pages (issue 21): one tap from a project page to a quick form that
starts on the project, the person's last kind and region; a missing summary is said next to
its field; the visit shows in the project's timeline and in the filtered list; another team
cannot edit it; a void needs a reason."""
import datetime
import re

import pytest

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tracker.domain import pipeline
from tracker.models import Activity, Project

TODAY = DECEMBER_8

pytestmark = pytest.mark.usefixtures("december_8")


@pytest.fixture
def project(app):
    with app.app_context():
        team = make_task_force("JXHG")
        make_user("member", task_forces=[team])
        make_user("other", task_forces=[make_task_force("XCL")])
        return make_project(team, "精细化工一期", on=TODAY - datetime.timedelta(days=30),
                            stage=pipeline.NEGOTIATING).id


def _post(client, project_id, **extra):
    with client.application.app_context():
        team_id = Project.get_by_id(project_id).task_force_id
    data = {"task_force": team_id, "kind": "visit", "occurred_on": "2026-12-07", "counterpart": "中化集团",
            "projects": [project_id], "summary": "赴京拜访，商谈二期：用地、能耗指标。", "region": "京津冀",
            "outcome": "advance"}
    data.update(extra)
    return client.post(f"/activities/new?project={project_id}", data=data)


def test_log_a_visit_from_the_project_page(app, client, auth, project):
    auth.login("member")
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert f"/activities/new?project={project}" in page
    form = client.get(f"/activities/new?project={project}").get_data(as_text=True)
    assert "精细化工一期" in form and 'name="summary"' in form
    missing = _post(client, project, summary="  ")
    body = missing.get_data(as_text=True)
    assert missing.status_code == 200 and 'id="summary-error"' in body and "跟进内容" in body
    done = _post(client, project)
    assert done.status_code == 302 and done.location.endswith(f"/projects/{project}#activities")
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "跟进：外出拜访（中化集团）" in page and "赴京拜访，商谈二期：用地、能耗指标。" in page
    with app.app_context():
        assert Project.get_by_id(project).last_progress_on == datetime.date(2026, 12, 7)
    # the next form remembers the last kind and region
    again = client.get("/activities/new").get_data(as_text=True)
    assert 'value="京津冀" selected' in again or 'selected value="京津冀"' in again
    listing = client.get("/activities/?region=京津冀&q=用地").get_data(as_text=True)
    assert "中化集团" in listing and "共 1 条" in listing
    assert "共 0 条" in client.get("/activities/?kind=call").get_data(as_text=True)
    outreach = client.get("/activities/outreach").get_data(as_text=True)
    assert outreach.count('id="outreach"') == 1 and "1 / 1" in outreach   # 京津冀: one visit, one counterpart
    assert re.search(r"<title>走出去[^<]*</title>", outreach)


def test_another_team_cannot_edit_and_a_void_needs_a_reason(app, client, auth, project):
    auth.login("member")
    _post(client, project)
    with app.app_context():
        activity_id = Activity.get().id
    auth.logout()
    auth.login("other")
    assert client.get(f"/activities/{activity_id}/edit").status_code == 403
    assert "中化集团" not in client.get("/activities/").get_data(as_text=True)
    auth.logout()
    auth.login("member")
    refused = client.post(f"/activities/{activity_id}/void", data={"reason": ""})
    assert refused.status_code == 302
    assert "作废未成功" in client.get(refused.location).get_data(as_text=True)
    done = client.post(f"/activities/{activity_id}/void", data={"reason": "记重了"})
    assert done.status_code == 302
    with app.app_context():
        assert Activity.get_by_id(activity_id).voided
        assert Project.get_by_id(project).last_progress_on == TODAY - datetime.timedelta(days=30)


def test_the_api_lists_what_the_caller_may_read_with_the_filters(app, client, auth, project):
    auth.login("member")
    _post(client, project)
    _post(client, project, kind="call", summary="电话跟进", region="长三角")
    data = client.get("/api/v1/activities?region=京津冀").get_json()
    assert data["total"] == 1 and data["activities"][0]["counterpart"] == "中化集团"
    assert data["activities"][0]["projects"] == [{"id": project, "name": "精细化工一期"}]
    assert client.get("/api/v1/activities").get_json()["total"] == 2
    bad = client.get("/api/v1/activities?kind=party&from=2026-13-01")
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"kind", "from"}
    auth.logout()
    auth.login("other")
    assert client.get("/api/v1/activities").get_json()["total"] == 0
    auth.logout()
    assert client.get("/api/v1/activities").status_code == 401


def test_the_export_holds_the_filtered_rows(app, client, auth, project):
    import io
    from openpyxl import load_workbook
    auth.login("member")
    _post(client, project)
    _post(client, project, kind="call", summary="=HYPERLINK(\"x\")", region="长三角")
    response = client.get("/activities/export.xlsx?region=京津冀")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "日期" and len(rows) == 3 and rows[2][3] == "中化集团" and rows[2][8] == "精细化工一期"
    every = list(load_workbook(io.BytesIO(client.get("/activities/export.xlsx").data)).active
                 .iter_rows(values_only=True))
    assert len(every) == 4 and any(r[9] == '\'=HYPERLINK("x")' for r in every[2:])   # text, never a formula
