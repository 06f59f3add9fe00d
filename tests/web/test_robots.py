"""群机器人 through the pages (issue 22, Channels): who may manage which robot, the webhook
host allow-list and kind check next to the field, the URL and secret never shown again in
full (pages, audit trail), the 发送测试消息 button showing the robot's answer, and the outbox
page showing broken robots and the messages in doubt with 重发 / 确认送达 (audited)."""
import pytest

from tests.factories import make_task_force, make_user
from tests.robot_server import RobotServer
from tracker.db import database
from tracker.models import AuditLog, GroupRobot, RobotMessage

KEY = "0123456789abcdef-secretkey-a1b2"


@pytest.fixture
def server():
    srv = RobotServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def world(app, server):
    app.config.update(ROBOT_EXTRA_HOSTS=["127.0.0.1"], ROBOT_ALLOW_HTTP=True, ROBOT_TIMEOUT=1)
    with app.app_context():
        team, other = make_task_force("JXHG"), make_task_force("XCL")
        make_user("bureau", role="bureau")
        make_user("lead", role="lead", task_forces=[team])
        make_user("member", task_forces=[team])
        make_user("other_lead", role="lead", task_forces=[other])
        ids = {"team": team.id, "other": other.id}
    database.close()
    return ids


def _add(client, team_id, url, **kw):
    data = {"task_force": str(team_id), "kind": "wecom", "name": "专班群", "webhook_url": url, "secret": ""}
    data.update(kw)
    return client.post("/robots/new", data=data)


def test_a_lead_adds_a_robot_for_their_team_and_sees_it_masked(app, client, auth, world, server):
    auth.login("lead")
    url = server.url("wecom", KEY)
    assert _add(client, world["team"], url).status_code == 302
    page = client.get("/robots/").get_data(as_text=True)
    assert "****a1b2" in page and KEY not in page
    assert client.get("/robots/987654/edit").status_code == 404
    with app.app_context():
        robot = GroupRobot.get()
        audit = AuditLog.get(AuditLog.entity == "group_robot")
        assert robot.webhook_url == url and KEY not in audit.after and '"changed"' in audit.after
        robot_id = robot.id
    form = client.get(f"/robots/{robot_id}/edit").get_data(as_text=True)
    assert KEY not in form and "****a1b2" in form
    # the other team's robots are not theirs, nor the bureau's
    assert _add(client, world["other"], url).status_code == 200
    assert _add(client, "", url).status_code == 200


@pytest.mark.parametrize("who, status", [("member", 403), ("other_lead", 403), ("bureau", 200)])
def test_only_the_bureau_and_the_teams_lead_manage_its_robot(app, client, auth, world, server, who, status):
    with app.app_context():
        from tracker.services.robots import manage
        from tracker.services.robots.settings import RobotSettings
        robot = manage.create(None, {"task_force": world["team"], "kind": "wecom", "name": "群",
                                     "webhook_url": server.url("wecom", "k")},
                              RobotSettings(allowed_hosts=("127.0.0.1",), allow_http=True))
    database.close()
    auth.login(who)
    assert client.get(f"/robots/{robot.id}/edit").status_code == status
    assert client.post(f"/robots/{robot.id}/test").status_code == (302 if status == 200 else 403)
    assert len(server.messages) == (1 if status == 200 else 0)
    assert client.post(f"/robots/{robot.id}/delete", data={"confirm": "yes"}).status_code == (
        302 if status == 200 else 403)


@pytest.mark.parametrize("url, kind, message", [
    ("https://example.com/cgi-bin/webhook/send?key=1", "wecom", "只接受企业微信、钉钉官方机器人地址"),
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "wecom", "必须以 https:// 开头"),
    ("https://oapi.dingtalk.com/robot/send?access_token=1", "wecom", "这是钉钉机器人的地址"),
])
def test_webhooks_outside_the_official_hosts_are_refused_next_to_the_field(app, client, auth, url, kind, message):
    with app.app_context():
        make_task_force("JXHG")
        make_user("bureau", role="bureau")
    auth.login("bureau")
    page = _add(client, "", url, kind=kind)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="webhook_url-error"' in text and message in text
    with app.app_context():
        assert GroupRobot.select().count() == 0


def test_the_test_button_shows_the_robots_answer(app, client, auth, world, server):
    auth.login("bureau")
    _add(client, world["team"], server.url("wecom", "gone"))
    server.mode["gone"] = "invalid"
    with app.app_context():
        robot_id = GroupRobot.get().id
    answer = client.post(f"/robots/{robot_id}/test", follow_redirects=True).get_data(as_text=True)
    assert "测试消息未成功" in answer and "93000" in answer and "地址失效" in answer
    server.mode["gone"] = "ok"
    answer = client.post(f"/robots/{robot_id}/test", follow_redirects=True).get_data(as_text=True)
    assert "机器人已接收" in answer
    with app.app_context():
        assert GroupRobot.get_by_id(robot_id).state == "ok"


def test_the_outbox_shows_broken_robots_and_lets_the_bureau_decide_on_a_message_in_doubt(
        app, client, auth, world, server):
    from tracker.services.robots import delivery
    from tracker.services.robots.queue import Notice, enqueue
    from tracker.services.robots.settings import RobotSettings
    auth.login("bureau")
    _add(client, world["team"], server.url("wecom", "slow"), name="慢群")
    _add(client, world["other"], server.url("wecom", "gone"), name="失效群")
    server.mode.update(slow="timeout", gone="invalid")
    server.hold = 1.0
    with app.app_context():
        enqueue([Notice(world["team"], "k", "周报摘要", "内容"), Notice(world["other"], "k", "周报摘要", "内容")])
        delivery.send_pending(RobotSettings(allowed_hosts=("127.0.0.1",), allow_http=True, timeout=0.3))
        doubt = RobotMessage.get(RobotMessage.outcome == "unknown").id
    database.close()
    page = client.get("/outbox/").get_data(as_text=True)
    assert "群机器人地址失效" in page and "失效群" in page and "状态未知" in page
    assert f"/robots/messages/{doubt}/confirm" in page
    assert client.post(f"/robots/messages/{doubt}/confirm", data={"back": "outbox"}).location.endswith("/outbox/")
    with app.app_context():
        assert RobotMessage.get_by_id(doubt).status_label == "已确认送达"
        assert AuditLog.select().where((AuditLog.entity == "robot_message")
                                       & (AuditLog.action == "confirm_delivered")).count() == 1
    auth.logout()
    auth.login("lead")
    assert client.get("/robots/messages").status_code == 403
    assert client.post(f"/robots/messages/{doubt}/resend").status_code == 403
