"""督办 through the pages (issue 22): the bureau 交办 from a project page, the member sees it
in the list and replies, the bureau closes and 退回s; messages next to the fields; another
team cannot read it; the list's counts and overdue filter."""
import datetime

import pytest

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tracker.models import SupervisionItem, SupervisionReply

pytestmark = pytest.mark.usefixtures("december_8")


@pytest.fixture
def project(app):
    with app.app_context():
        team = make_task_force("JXHG")
        make_user("member", task_forces=[team])
        make_user("bureau", role="bureau")
        make_user("other", task_forces=[make_task_force("XCL")])
        return make_project(team, "精细化工一期", on=DECEMBER_8 - datetime.timedelta(days=10))


def test_open_reply_close_and_reopen(app, client, auth, project):
    auth.login("bureau")
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/supervision/new?project={project.id}" in page
    form = client.get(f"/supervision/new?project={project.id}").get_data(as_text=True)
    assert f'value="{project.id}"' in form
    data = {"title": "用地指标协调", "task_force": project.task_force_id, "project": project.id,
            "deadline": "2026-12-07", "priority": "urgent", "problem": "用地指标未落实。", "responsible": ""}
    late = client.post("/supervision/new", data=data)
    assert late.status_code == 200 and 'id="deadline-error"' in late.get_data(as_text=True)
    done = client.post("/supervision/new", data=dict(data, deadline="2026-12-11"))
    assert done.status_code == 302
    with app.app_context():
        item_id = SupervisionItem.get().id
    auth.logout()
    auth.login("member")
    listing = client.get("/supervision/").get_data(as_text=True)
    assert "用地指标协调" in listing and "待办 1" in listing
    assert client.post(f"/supervision/{item_id}/close", data={"note": "x"}).status_code == 403
    empty = client.post(f"/supervision/{item_id}/reply", data={"text": " "})
    assert empty.status_code == 200 and 'id="text-error"' in empty.get_data(as_text=True)
    assert client.post(f"/supervision/{item_id}/reply", data={"text": "已对接自然资源局。"}).status_code == 302
    auth.logout()
    auth.login("other")
    assert client.get(f"/supervision/{item_id}").status_code == 403
    auth.logout()
    auth.login("bureau")
    assert client.post(f"/supervision/{item_id}/close", data={"note": "指标已落实。"}).status_code == 302
    assert client.post(f"/supervision/{item_id}/reopen", data={"reason": "开工手续仍缺。"}).status_code == 302
    shown = client.get(f"/supervision/{item_id}").get_data(as_text=True)
    assert "办理中" in shown and "开工手续仍缺。" in shown and "指标已落实。" in shown
    with app.app_context():
        assert [r.kind for r in SupervisionReply.select().order_by(SupervisionReply.id)] == [
            "reply", "close", "reopen"]
    with app.app_context():
        SupervisionItem.update(deadline=datetime.date(2026, 12, 1)).execute()
    overdue = client.get("/supervision/?overdue=1").get_data(as_text=True)
    assert "逾期 7 天" in overdue and "逾期 1" in overdue
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "督办逾期 1 项：" in dashboard and "JXHG专班·用地指标协调（逾期 7 天）" in dashboard
    auth.logout()
    auth.login("other")
    assert "督办逾期" not in client.get("/dashboard/").get_data(as_text=True)   # not their team's
