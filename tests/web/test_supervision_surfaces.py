"""督办 where people look (issue 22): a member's 待办督办 on the dashboard (their own first, days
overdue, an empty state), a team's open items on its page (its members and the bureau only), the
list's .xlsx with the list's filters, ``GET /api/v1/supervision`` (filters, paging, the thread,
one item; errors as JSON), and 督办逾期 on the 通报 page."""
import datetime
import io

import pytest
from openpyxl import load_workbook

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tracker.models import ApiToken, SupervisionItem
from tracker.services.supervision import items

pytestmark = pytest.mark.usefixtures("december_8")
D = datetime.timedelta


@pytest.fixture
def world(app):
    with app.app_context():
        team, other = make_task_force("JXHG"), make_task_force("XCL")
        people = {"member": make_user("member", task_forces=[team]),
                  "colleague": make_user("colleague", task_forces=[team]),
                  "other": make_user("other", task_forces=[other]),
                  "idle": make_user("idle", task_forces=[make_task_force("KONG")]),
                  "bureau": make_user("bureau", role="bureau")}
        project = make_project(team, "精细化工一期", on=DECEMBER_8 - D(10))

        def item(title, days_late, owner=team, **kw):
            made = items.open_item(people["bureau"], title=title, problem="问题描述", task_force=owner.id,
                                   deadline=DECEMBER_8, **kw)
            SupervisionItem.update(deadline=DECEMBER_8 - D(days_late)).where(SupervisionItem.id == made.id).execute()
            return made.id

        ids = {"late": item("用地指标协调", 7, project=project.id),
               "own": item("环评批复", -4, responsible=people["member"].id, priority="urgent"),
               "soon": item("电力接入", -2, priority="key"),
               "other": item("别队事项", 3, owner=other)}
        closed = item("旧事已结", 20)
        items.reply(people["member"], ids["late"], "已对接自然资源局。")
        items.close(people["bureau"], closed, "已解决。")
        ids["closed"] = closed
        return {"team": team.id, "other": other.id, "code": team.code, "ids": ids,
                "token": ApiToken.issue(people["member"], "t")[1]}


def test_member_sees_their_todo_on_the_dashboard_own_first(client, auth, world):
    auth.login("member")
    page = client.get("/dashboard/").get_data(as_text=True)
    block = page.split('id="supervision-todo"')[1].split("</section>")[0]
    assert "3 项未办结，其中逾期 1 项" in block
    ids = world["ids"]
    order = [block.index(f"/supervision/{ids[k]}\"") for k in ("own", "late", "soon")]
    assert order == sorted(order)                                  # their own first, then by deadline
    assert "我负责" in block and "逾期 7 天" in block and "别队事项" not in block and "旧事已结" not in block
    assert "期限 2026-12-01" in block
    auth.logout()
    auth.login("idle")
    empty = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="supervision-todo"' in empty and "本专班没有未办结的督办事项。" in empty
    auth.logout()
    auth.login("bureau")                                           # no team: the list is theirs
    assert 'id="supervision-todo"' not in client.get("/dashboard/").get_data(as_text=True)


def test_a_member_lands_on_the_ledger_with_their_todo(client, auth, world):
    auth.login("member")
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/projects/")
    page = client.get("/projects/").get_data(as_text=True)
    block = page.split('id="supervision-todo"')[1].split("</section>")[0]
    assert "3 项未办结，其中逾期 1 项" in block and "我负责" in block
    assert 'id="supervision-todo"' not in client.get("/projects/?stage=signed").get_data(as_text=True)
    auth.logout()
    auth.login("bureau")
    assert 'id="supervision-todo"' not in client.get("/projects/").get_data(as_text=True)


def test_the_project_page_lists_its_items_open_first(client, auth, world):
    with client.application.app_context():
        from tracker.models import Project
        pid = Project.get(Project.name == "精细化工一期").id
    auth.login("other")      # every reader of the project reads its 督办 items
    page = client.get(f"/projects/{pid}").get_data(as_text=True)
    block = page.split('id="project-supervision"')[1].split("</section>")[0]
    assert "用地指标协调" in block and "逾期 7 天" in block and "共 1 项" in block
    assert "环评批复" not in block          # not on this project


def test_the_task_force_page_links_its_open_items_to_its_readers(client, auth, world):
    auth.login("bureau")
    page = client.get(f"/taskforces/{world['code']}").get_data(as_text=True)
    section = page.split('id="team-supervision"')[1].split("</section>")[0]
    assert "未办结 3 项" in section and f"/supervision/{world['ids']['late']}\"" in section
    assert "逾期 7 天" in section and "旧事已结" not in section and "别队事项" not in section
    assert f"/supervision/?task_force={world['team']}" in section
    auth.logout()
    auth.login("colleague")
    assert "用地指标协调" in client.get(f"/taskforces/{world['code']}").get_data(as_text=True)
    auth.logout()
    auth.login("other")
    assert 'id="team-supervision"' not in client.get(f"/taskforces/{world['code']}").get_data(as_text=True)


def _rows(response):
    book = load_workbook(io.BytesIO(response.data))
    return [[c.value for c in row] for row in book["督办事项"].iter_rows()][2:]


def test_the_list_exports_with_its_filters_for_every_reader(client, auth, world):
    auth.login("bureau")
    listing = client.get(f"/supervision/?overdue=1&task_force={world['team']}").get_data(as_text=True)
    assert f'href="/supervision/export.xlsx?overdue=1&amp;task_force={world["team"]}"' in listing
    response = client.get(f"/supervision/export.xlsx?overdue=1&task_force={world['team']}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E7%9D%A3%E5%8A%9E%E4%BA%8B%E9%A1%B9_JXHG" in disposition   # 督办事项_JXHG专班_逾期_
    assert "%E9%80%BE%E6%9C%9F" in disposition and 'filename="supervision_' in disposition
    assert [r[1] for r in _rows(response)] == ["用地指标协调"]
    assert len(_rows(client.get("/supervision/export.xlsx"))) == 5
    auth.logout()
    auth.login("member")
    mine = _rows(client.get("/supervision/export.xlsx"))
    assert {r[1] for r in mine} == {"旧事已结", "环评批复", "电力接入", "用地指标协调"} and len(mine) == 4
    assert _rows(client.get(f"/supervision/export.xlsx?task_force={world['other']}")) == []
    urgent = _rows(client.get("/supervision/export.xlsx?priority=urgent&state=open"))
    assert [(r[1], r[7], r[8]) for r in urgent] == [("环评批复", "紧急", "待办")]


def test_api_lists_with_the_filters_pages_and_threads(client, auth, world):
    ids = world["ids"]
    assert client.get("/api/v1/supervision").status_code == 401
    auth.login("bureau")
    everything = client.get("/api/v1/supervision").get_json()
    assert everything["total"] == 5 and [i["id"] for i in everything["items"]][-1] == ids["closed"]
    late = client.get(f"/api/v1/supervision?overdue=1&task_force={world['team']}").get_json()
    [item] = late["items"]
    assert (item["id"], item["overdue"], item["days_overdue"], item["state"], item["state_label"]) == (
        ids["late"], True, 7, "in_progress", "办理中")
    assert item["task_force"] == {"id": world["team"], "code": "JXHG", "name": "JXHG专班"}
    assert item["project"]["name"] == "精细化工一期" and item["deadline"] == "2026-12-01"
    assert "thread" not in item and item["last_reply_at"].endswith("Z")
    week = client.get("/api/v1/supervision?due_this_week=1").get_json()["items"]
    assert {i["id"] for i in week} == {ids["own"], ids["soon"]}          # Tue 8 .. Sun 13 December
    assert [i["id"] for i in client.get("/api/v1/supervision?priority=key").get_json()["items"]] == [ids["soon"]]
    closed = client.get("/api/v1/supervision?state=closed&thread=1").get_json()["items"]
    assert [(i["id"], [t["kind"] for t in i["thread"]]) for i in closed] == [(ids["closed"], ["close"])]
    threads = {i["id"]: [t["kind"] for t in i["thread"]]
               for i in client.get("/api/v1/supervision?thread=1").get_json()["items"]}
    assert threads == {ids["late"]: ["reply"], ids["own"]: [], ids["soon"]: [], ids["other"]: [],
                       ids["closed"]: ["close"]}
    paged = client.get("/api/v1/supervision?per_page=2&page=2").get_json()
    assert (paged["total"], paged["pages"], paged["page"], len(paged["items"])) == (5, 3, 2, 2)
    bad = client.get("/api/v1/supervision?state=done&overdue=maybe&per_page=9999&task_force=x")
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"state", "overdue", "per_page",
                                                                        "task_force"}
    one = client.get(f"/api/v1/supervision/{ids['late']}").get_json()
    assert [(t["kind"], t["text"], t["user"]) for t in one["thread"]] == [("reply", "已对接自然资源局。", "member")]
    missing = client.get("/api/v1/supervision/987654")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_api_gives_members_their_teams_items_only(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    data = client.get("/api/v1/supervision", headers=headers).get_json()
    assert data["total"] == 4 and world["ids"]["other"] not in {i["id"] for i in data["items"]}
    assert client.get(f"/api/v1/supervision?task_force={world['other']}", headers=headers).get_json()["total"] == 0
    refused = client.get(f"/api/v1/supervision/{world['ids']['other']}", headers=headers)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    own = client.get(f"/api/v1/supervision/{world['ids']['own']}", headers=headers).get_json()
    assert own["responsible"]["name"] == "member" and own["priority_label"] == "紧急" and own["thread"] == []


def test_the_bulletin_page_names_the_overdue_items(client, auth, world):
    auth.login("member")
    page = client.get("/bulletin/?year=2026&checkpoint=year").get_data(as_text=True)
    warnings = page.split('id="warnings"')[1].split("</section>")[0]
    assert "（四）督办逾期事项 2 项" in warnings
    assert "JXHG专班“用地指标协调”（期限2026年12月1日，逾期 7 天）" in warnings
