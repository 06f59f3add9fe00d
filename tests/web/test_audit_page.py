"""审计日志 page (/audit/) and login history (/audit/logins): bureau/admin only, filters,
paging, zh-CN labels, and hostile query values that are ignored with a message."""
import datetime
import html
import re

import pytest

from tests.factories import make_project, make_task_force, make_user
from tracker.models import AuditLog
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

projects = backfill_ledger(ledger_projects)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def text(response):
    return html.unescape(response.get_data(as_text=True))


def rows(response):
    return len(re.findall(r'<td class="date">', response.get_data(as_text=True)))


def notes(response):
    return re.findall(r'class="flash flash-warning" role="status">([^<]*)<',
                      text(response))


def utc(local):
    """Naive UTC of a naive Asia/Shanghai time (how AuditLog.at is stored)."""
    return local.replace(tzinfo=SHANGHAI).astimezone(datetime.timezone.utc).replace(tzinfo=None)


class World:
    pass


@pytest.fixture
def world(app):
    w = World()
    with app.app_context():
        w.tf = make_task_force("TF1", "精细化工专班")
        w.boss = make_user("boss", "bureau", display_name="王局")
        make_user("root", "admin")
        make_user("mia", "member", task_forces=[w.tf])
        make_user("leo", "lead", task_forces=[w.tf])
        w.project = make_project(w.tf, "乙烯下游一体化", user=w.boss, investor="华锦集团")
        projects.update_project(w.boss, w.project.id, investor="<b>新投资方</b>")
    return w


@pytest.mark.parametrize("who, status", [("mia", 403), ("leo", 403), ("boss", 200),
                                         ("root", 200)])
def test_only_bureau_and_admin(client, auth, world, who, status):
    auth.login(who)
    assert client.get("/audit/").status_code == status
    assert client.get("/audit/logins?user=boss").status_code == status
    assert ("审计日志" in text(client.get("/projects/"))) == (status == 200)


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_change_shown_with_labels_and_a_link_to_the_project(client, auth, world):
    auth.login("boss")
    page = text(client.get("/audit/"))
    assert "投资方：华锦集团 → <b>新投资方</b>" in page
    assert "&lt;b&gt;新投资方" in client.get("/audit/").get_data(as_text=True)  # escaped
    assert f'href="/projects/{world.project.id}"' in page
    assert "项目" in page and "编辑" in page and "新建" in page
    assert "王局" in page and 'href="/audit/logins?user=boss"' in page
    body = page[page.index("<tbody>"):]
    assert body.index("<td>编辑</td>") < body.index("<td>新建</td>")  # newest first


def test_filters(app, client, auth, world):
    with app.app_context():
        AuditLog.create(user=None, entity="user", entity_id=world.boss.id, action="edit",
                        before='{"role": "member", "password_hash": "x"}',
                        after='{"role": "bureau", "password_hash": "y"}', origin="cli")
    auth.login("boss")
    assert rows(client.get("/audit/")) == 3
    assert rows(client.get("/audit/?entity=project")) == 2
    assert rows(client.get("/audit/?entity=project&action=update")) == 1
    assert rows(client.get(f"/audit/?entity=user&entity_id={world.boss.id}")) == 1
    assert rows(client.get("/audit/?user=boss")) == 2
    assert rows(client.get("/audit/?user=mia")) == 0
    page = text(client.get("/audit/?entity=user"))
    assert "角色：专班成员 → 商务局" in page and "系统" in page and "cli" in page
    body = page[page.index("<tbody>"):]
    assert "password" not in body and "密码" not in body


def test_a_value_that_was_not_set_reads_none_in_words(app, client, auth, world):
    with app.app_context():
        AuditLog.create(user=None, entity="user", entity_id=world.boss.id, action="edit",
                        before='{"role": null, "email": null}',
                        after='{"role": "bureau", "email": "li@example.com"}', origin="cli")
    auth.login("boss")
    page = text(client.get("/audit/?entity=user"))
    assert "角色：（无） → 商务局" in page and "邮箱：（无） → li@example.com" in page
    assert "None" not in page[page.index("<tbody>"):]


def test_dates_are_local_days(app, client, auth, world):
    with app.app_context():
        # 00:30 on 1 March in Shanghai is still 28 February in UTC
        AuditLog.create(entity="target", entity_id=7, action="set", after='{"year": 2025}',
                        at=utc(datetime.datetime(2025, 3, 1, 0, 30)))
    auth.login("boss")
    assert rows(client.get("/audit/?start=2025-03-01&end=2025-03-01")) == 1
    assert rows(client.get("/audit/?start=2025-02-28&end=2025-02-28")) == 0
    assert rows(client.get("/audit/?end=2025-02-28")) == 0
    page = text(client.get("/audit/?start=2025-03-01&end=2025-03-01"))
    assert "2025-03-01 00:30:00" in page and "专班目标" in page and "年度：（无） → 2025" in page


def test_paging_keeps_the_filters(app, client, auth, world):
    with app.app_context():
        start = datetime.datetime(2025, 1, 1)
        AuditLog.insert_many([
            {"entity": "job_run", "entity_id": i, "action": "take_over", "before": "",
             "after": "", "origin": "scheduler", "at": start + datetime.timedelta(minutes=i)}
            for i in range(1, 121)]).execute()
    auth.login("root")
    first = client.get("/audit/?entity=job_run")
    assert rows(first) == 50 and "第 1 / 3 页" in text(first)
    assert "#120" in text(first) and "#70" not in text(first)
    assert "entity=job_run" in re.search(r'href="([^"]*page=2[^"]*)"', text(first)).group(1)
    last = client.get("/audit/?entity=job_run&page=3")
    assert rows(last) == 20 and "#1<" in text(last).replace("\n", "")
    assert rows(client.get("/audit/?entity=job_run&page=99")) == 20


@pytest.mark.parametrize("query, message", [
    ({"entity_id": str(10**23)}, "编号超出范围，已忽略该条件。"),
    ({"entity_id": "-5"}, "编号超出范围，已忽略该条件。"),
    ({"entity_id": "9" * 5000}, "编号无效，已忽略该条件。"),
    ({"entity_id": "abc"}, "编号无效，已忽略该条件。"),
    ({"start": "2026-02-30"}, "开始日期无效，已忽略该条件。"),
    ({"start": "0001-01-01"}, "开始日期超出范围"),
    ({"end": "9999-12-31"}, "结束日期超出范围"),
    ({"start": "2025-05-02", "end": "2025-05-01"}, "开始日期晚于结束日期，已忽略日期条件。"),
    ({"entity": "zzz"}, "对象无效，已忽略该条件。"),
    ({"action": "'; DROP TABLE x"}, "操作无效，已忽略该条件。"),
    ({"user": "nobody" * 50}, "没有用户名为"),
    ({"page": "-1"}, None),
    ({"page": "99999999999999999999"}, None),
])
def test_bad_filter_values_are_ignored_with_a_message(client, auth, world, query, message):
    auth.login("boss")
    response = client.get("/audit/", query_string=query)
    assert response.status_code == 200
    assert rows(response) == 2  # the filter was dropped: every row
    if message:
        assert any(n.startswith(message) for n in notes(response)), notes(response)
    else:
        assert notes(response) == []


def test_nul_is_refused(client, auth, world):
    auth.login("boss")
    assert client.get("/audit/?user=a%00b").status_code == 400
    assert client.get("/audit/logins?user=a%00b").status_code == 400


def test_login_history(client, auth, world):
    client.post("/login", data={"username": "mia", "password": "wrong"})
    auth.login("mia")
    auth.logout()
    auth.login("boss")
    page = text(client.get("/audit/logins?user=mia"))
    assert "登录记录：mia（mia）" in page
    assert page.count('class="badge login-') == 2
    assert "成功" in page and "失败" in page and "127.0.0.1" in page
    everyone = text(client.get("/audit/logins"))
    assert everyone.count('class="badge login-') == 3
    unknown = client.get("/audit/logins?user=ghost")
    assert unknown.status_code == 200 and notes(unknown)[0].startswith("没有用户名为「ghost」")
    assert text(unknown).count('class="badge login-') == 3
