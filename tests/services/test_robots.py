"""Group robots (issue 22, Channels) against a local server speaking both protocols
(tests/robot_server.py): exactly-once through robot down -> up, rate-limit back-off and the
per-minute budget from the database, broken robots, 状态未知 after a timeout and after a
crash (in-process and a SIGKILLed ``flask robots send``), the DingTalk signature, the
enqueue dedupe inside an outer transaction. Every backend where it is about the database."""
import datetime
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.factories import make_task_force, make_user
from tests.robot_server import RobotServer
from tracker.db import database
from tracker.domain.errors import ValidationError
from tracker.domain.robots import CONTENT_LIMIT, MORE
from tracker.models import AuditLog, GroupRobot, RobotMessage, utcnow
from tracker.services import tx
from tracker.services.robots import decisions, delivery, manage
from tracker.services.robots.queue import Notice, enqueue
from tracker.services.robots.settings import RobotSettings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINUTE = datetime.timedelta(seconds=61)


def settings(**kw):
    kw.setdefault("allowed_hosts", ("127.0.0.1",))
    kw.setdefault("allow_http", True)
    kw.setdefault("timeout", 1.0)
    return RobotSettings(**kw)


@pytest.fixture
def server():
    srv = RobotServer().start()
    yield srv
    srv.stop()


def robot(server, team=None, kind="wecom", key="k1", secret="", name="群机器人"):
    values = {"task_force": team.id if team else None, "kind": kind, "name": name,
              "webhook_url": server.url(kind, key), "secret": secret}
    return manage.create(None, values, settings())


def notices(team, n, key="weekly:2026-W49"):
    return [Notice(team.id if team else None, f"{key}:{i}" if n > 1 else key, f"周报{i}",
                   f"### 周报 {i}\n内容", "https://tracker.example/tf/1") for i in range(n)]


def states(ids):
    return [(r.status, r.outcome) for r in RobotMessage.select().where(RobotMessage.id.in_(ids))
            .order_by(RobotMessage.id)]


def all_ids():
    return [r.id for r in RobotMessage.select(RobotMessage.id).order_by(RobotMessage.id)]


def test_enqueue_once_per_live_robot_even_inside_an_outer_write(db, server):
    team, other = make_task_force("JXHG"), make_task_force("XCL")
    robot(server, team, key="a")
    robot(server, team, kind="dingtalk", key="b")
    robot(server, None, key="city")
    dead = robot(server, other, key="c")
    manage.set_enabled(None, dead.id, False)
    with tx.write():
        assert enqueue(notices(team, 1) + notices(None, 1) + notices(other, 1)) == 3
        assert enqueue(notices(team, 1)) == 0            # the same key again: nothing new
    assert enqueue(notices(team, 1) + notices(None, 1)) == 0
    assert RobotMessage.select().count() == 3
    assert enqueue([Notice(team.id, "weekly:2026-W50", "t", "m")]) == 2


def test_messages_reach_both_robots_and_the_dingtalk_signature_checks(db, server):
    team = make_task_force("JXHG")
    robot(server, team, key="w")
    server.secrets["d"] = "SECabc123"
    robot(server, team, kind="dingtalk", key="d", secret="SECabc123")
    enqueue([Notice(team.id, "k", "标题", "### 内容", mentions=("13800000000",))])
    result = delivery.send_pending(settings())
    assert (result.sent, result.failed) == (2, 0)
    kinds = {k: d for k, _key, d in server.messages}
    assert kinds["wecom"] == {"msgtype": "markdown", "markdown": {"content": "### 内容"}}
    assert kinds["dingtalk"]["markdown"]["title"] == "标题"
    assert kinds["dingtalk"]["at"]["atMobiles"] == ["13800000000"]
    assert server.bad_signatures == 0


def test_a_wrong_dingtalk_secret_is_refused_by_the_server_and_marks_the_robot_broken(db, server):
    team = make_task_force("JXHG")
    server.secrets["d"] = "SECright"
    bot = robot(server, team, kind="dingtalk", key="d", secret="SECwrong")
    enqueue(notices(team, 2))
    result = delivery.send_pending(settings())
    assert server.bad_signatures == 1 and server.messages == []
    assert (result.failed, result.broken) == (1, 1)
    assert GroupRobot.get_by_id(bot.id).state == "broken"
    assert "SECwrong" not in GroupRobot.get_by_id(bot.id).broken_reason
    assert states(all_ids()) == [("failed", ""), ("pending", "")]   # the other waits for a fix
    assert delivery.send_pending(settings()).sent == 0
    manage.edit(None, bot.id, {"name": bot.name, "secret": "SECright"}, settings())
    assert GroupRobot.get_by_id(bot.id).state == "ok"
    assert delivery.send_pending(settings()).sent == 1 and server.bad_signatures == 1


@pytest.mark.parametrize("mode", ["invalid", "notfound"])
def test_an_invalid_webhook_marks_the_robot_broken_and_enqueue_skips_it(db, server, mode):
    team = make_task_force("JXHG")
    bot = robot(server, team, key="gone")
    server.mode["gone"] = mode
    enqueue(notices(team, 1))
    result = delivery.send_pending(settings())
    assert (result.failed, result.broken, result.retry) == (1, 1, 0)
    row = RobotMessage.get()
    assert row.status == "failed" and row.outcome == "" and row.attempts == 1
    assert GroupRobot.get_by_id(bot.id).state == "broken"
    assert enqueue(notices(team, 1, key="weekly:next")) == 0


def test_robot_down_then_up_delivers_each_message_exactly_once(app, server):
    with app.app_context():
        team = make_task_force("JXHG")
        robot(server, team, key="a")
        robot(server, team, key="b")
        enqueue(notices(team, 3))
        server.stop()
        now = utcnow()
        down = delivery.send_pending(settings(), now=now)
        # one attempt per robot, then that robot is left alone for this run
        assert (down.sent, down.retry, down.failed) == (0, 2, 0)
        rows = list(RobotMessage.select().order_by(RobotMessage.id))
        assert sorted(r.attempts for r in rows) == [0, 0, 0, 0, 1, 1]
        assert all(r.status == "pending" for r in rows)
        assert delivery.send_pending(settings(), now=now).sent == 0      # not due yet
        server.start()
        later = now + datetime.timedelta(minutes=2)
        assert delivery.send_pending(settings(), now=later).sent == 6
        assert delivery.send_pending(settings(), now=later + MINUTE).sent == 0
        keys = [(key, d["markdown"]["content"]) for _k, key, d in server.messages]
        assert len(keys) == 6 and len(set(keys)) == 6


@pytest.mark.parametrize("mode", ["rate", "http429"])
def test_a_rate_limit_answer_backs_off_a_minute_without_using_an_attempt(db, server, mode):
    team = make_task_force("JXHG")
    robot(server, team, key="r")
    server.mode["r"] = mode
    server.rate_left["r"] = 1
    enqueue(notices(team, 2))
    now = utcnow()
    first = delivery.send_pending(settings(), now=now)
    assert (first.sent, first.retry) == (0, 1) and len(server.arrived) == 1   # the 2nd not tried
    for row in RobotMessage.select():      # the robot is left alone for a minute
        assert row.attempts == 0 and row.status == "pending"
        assert row.next_attempt_at >= now + datetime.timedelta(seconds=59)
    assert delivery.send_pending(settings(), now=now + datetime.timedelta(seconds=30)).sent == 0
    assert len(server.arrived) == 1
    assert delivery.send_pending(settings(), now=now + MINUTE).sent == 2
    assert len(server.messages) == 2


def test_the_per_minute_budget_is_counted_from_the_database(db, server):
    team = make_task_force("JXHG")
    robot(server, team, key="a")
    enqueue(notices(team, 5))
    now = utcnow()
    assert delivery.send_pending(settings(per_minute=3), now=now).sent == 3
    # a second sender (another process) in the same minute gets nothing for this robot
    assert delivery.send_pending(settings(per_minute=3), now=now).sent == 0
    assert delivery.send_pending(settings(per_minute=3), now=now + MINUTE).sent == 2
    assert len(server.messages) == 5


def test_a_timeout_after_sending_is_in_doubt_and_never_resent_on_its_own(db, server):
    team = make_task_force("JXHG")
    robot(server, team, key="t")
    server.mode["t"], server.hold = "timeout", 2.0
    enqueue(notices(team, 2))
    result = delivery.send_pending(settings(timeout=0.5))
    assert (result.unknown, result.sent) == (1, 0)
    first, second = all_ids()
    assert states([first, second]) == [("failed", "unknown"), ("pending", "")]
    assert RobotMessage.get_by_id(first).status_label == "状态未知"
    server.mode["t"] = "ok"
    later = utcnow() + datetime.timedelta(hours=2)
    assert delivery.send_pending(settings(), now=later).sent == 1       # only the second
    user = make_user("bureau", role="bureau")
    decisions.confirm_delivered(first, user, settings())
    assert states([first]) == [("sent", "confirmed")]
    assert AuditLog.select().where(AuditLog.entity == "robot_message").count() == 1
    assert len(server.messages) == 2     # the robot got the first once (held), the second once


def test_resend_of_a_message_in_doubt_is_audited_and_goes_out_once(db, server):
    team = make_task_force("JXHG")
    robot(server, team, key="t")
    server.mode["t"], server.hold = "timeout", 1.5
    enqueue(notices(team, 1))
    delivery.send_pending(settings(timeout=0.3))
    row_id = all_ids()[0]
    assert delivery.send_pending(settings(), now=utcnow() + datetime.timedelta(days=1)).sent == 0
    decisions.requeue(row_id, None, settings())
    assert states([row_id]) == [("pending", "")]
    with pytest.raises(ValidationError, match="状态未知"):
        decisions.confirm_delivered(row_id, None, settings())
    server.mode["t"] = "ok"
    assert delivery.send_pending(settings()).sent == 1
    assert [a.action for a in AuditLog.select().where(AuditLog.entity == "robot_message")] == ["resend"]


def test_a_crash_mid_batch_leaves_one_message_in_doubt(app, server):
    with app.app_context():
        team = make_task_force("JXHG")
        robot(server, team, key="a")
        robot(server, team, key="b")
        enqueue(notices(team, 2))
        calls = []

        def poster(bot, row, timeout, mentions):
            calls.append(row.id)
            if len(calls) == 2:
                raise RuntimeError("lost the database connection")
            from tracker.services.robots.transport import post
            post(bot, row, timeout, mentions)

        with pytest.raises(RuntimeError):
            delivery.send_pending(settings(), poster=poster)
        ids = all_ids()
        assert [s for s, _o in states(ids)] == ["sent", "sending", "pending", "pending"]
        later = utcnow() + settings().lease + MINUTE
        result = delivery.send_pending(settings(), now=later)
        assert (result.reaped, result.unknown, result.sent) == (1, 1, 2)
        assert states(ids) == [("sent", ""), ("failed", "unknown"), ("sent", ""), ("sent", "")]
        assert delivery.send_pending(settings(), now=later + MINUTE).sent == 0


def test_a_killed_sender_leaves_at_most_one_message_in_doubt(app, server):
    """``flask robots send`` SIGKILLed while the robot holds its 3rd message: the two it
    answered are sent, one is in doubt, the rest go out on the next run, each once."""
    server.mode["s"], server.delay = "slow", 0.05
    with app.app_context():
        team = make_task_force("JXHG")
        robot(server, team, key="s")
        enqueue(notices(team, 6))
        ids = all_ids()
        database.close()
    env = dict(os.environ, TRACKER_DATABASE_URL=app.config["DATABASE_URL"],
               TRACKER_SECRET_KEY="test-secret", TRACKER_ROBOT_EXTRA_HOSTS='["127.0.0.1"]',
               TRACKER_ROBOT_ALLOW_HTTP="true", TRACKER_ROBOT_TIMEOUT="30")
    factory = f"tracker:create_app(instance_path={app.instance_path!r})"
    hold = {"n": 0}
    original = server.behave

    def behave(kind, key, data):
        hold["n"] += 1
        if hold["n"] == 3:
            import time
            time.sleep(30)
        return original(kind, key, data)

    server.behave = behave
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", factory, "robots", "send"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait(lambda: len(server.arrived) >= 3, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    server.behave = original
    with app.app_context():
        assert [s for s, _o in states(ids)] == ["sent", "sent"] + ["sending"] * 4
        later = utcnow() + settings().lease + MINUTE
        result = delivery.send_pending(settings(), now=later)
        assert (result.unknown, result.sent) == (1, 3)
        assert [o for _s, o in states(ids)].count("unknown") == 1
        texts = [d["markdown"]["content"] for _k, _key, d in server.messages]
        assert len(texts) == len(set(texts)) == 5


def _wait(check, proc, seconds=30):
    import time
    deadline = time.time() + seconds
    while not check():
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        assert time.time() < deadline, "the sender never reached the server"
        time.sleep(0.02)


def test_a_long_digest_is_cut_at_a_line_boundary_with_the_link(db, server):
    team = make_task_force("JXHG")
    robot(server, team, key="a")
    lines = [f"- 第{i}行：签约额 12.34 亿元，完成率 56.7%" for i in range(400)]
    enqueue([Notice(team.id, "long", "周报", "\n".join(lines), "https://t.example/tf/1")])
    delivery.send_pending(settings())
    text = server.texts("a")[0]
    assert len(text.encode("utf-8")) <= CONTENT_LIMIT["wecom"]
    body, _sep, tail = text.rpartition("\n")
    assert tail == MORE + "[https://t.example/tf/1](https://t.example/tf/1)"
    assert body.split("\n") == lines[:len(body.split("\n"))]      # whole lines only


def test_the_test_message_button_posts_at_once_and_repairs_a_broken_robot(db, server):
    team = make_task_force("JXHG")
    lead = make_user("lead", role="lead", task_forces=[team])
    bot = robot(server, team, key="a")
    GroupRobot.update(state="broken").where(GroupRobot.id == bot.id).execute()
    row = manage.send_test(lead, bot.id, settings())
    assert row.status == "sent" and "已连通" in server.texts("a")[0]
    assert GroupRobot.get_by_id(bot.id).state == "ok"
    server.mode["a"] = "invalid"
    row = manage.send_test(lead, bot.id, settings())
    assert row.status == "failed" and "93000" in row.last_error
    assert GroupRobot.get_by_id(bot.id).state == "broken"


@pytest.mark.parametrize("portable", [False, True])
def test_a_backup_says_it_holds_the_robots_secrets(app, tmp_path, server, portable):
    """The webhook URL and secret are stored in full (they must work after a restore), so
    the backup says so: in the CLI output, and in the file (header / manifest)."""
    import gzip
    import sqlite3
    flag = ["--portable"] if portable else []
    runner = app.test_cli_runner()
    before = runner.invoke(args=["backup", str(tmp_path / "none.bak")] + flag)
    assert before.exit_code == 0 and "WARNING" not in before.output      # no robot yet
    with app.app_context():
        robot(server, make_task_force("JXHG"), kind="dingtalk", key="d", secret="SECabc")
    path = str(tmp_path / "robots.bak")
    result = runner.invoke(args=["backup", path] + flag)
    assert result.exit_code == 0, result.output
    assert "WARNING: this file contains 群机器人的 Webhook 地址和加签密钥（明文）" in result.output
    if "portable" in result.output:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            assert json.loads(fh.readline())["contains_secrets"] == ["群机器人的 Webhook 地址和加签密钥（明文）"]
    else:
        with sqlite3.connect(path) as conn:
            stated = dict(conn.execute("SELECT name, value FROM backup_manifest"))
        assert "群机器人" in stated["contains_secrets"]


def test_two_schedulers_enqueueing_the_same_week_create_each_message_once(app, server):
    from tests.races import run_together
    with app.app_context():
        team = make_task_force("JXHG")
        for key in ("a", "b", "c"):
            robot(server, team, key=key)
        robot(server, None, key="city")
        database.close()
    week = notices(team, 4) + notices(None, 2)
    outcomes = run_together(app, lambda: enqueue(week), lambda: enqueue(week))
    assert [exc for _r, exc in outcomes] == [None, None]
    assert sum(r for r, _e in outcomes) == 3 * 4 + 2
    with app.app_context():
        assert RobotMessage.select().count() == 14


def test_two_senders_at_once_post_each_message_once(app, server):
    from tests.races import run_together
    server.mode.update(a="slow", b="slow")
    server.delay = 0.02
    with app.app_context():
        team = make_task_force("JXHG")
        robot(server, team, key="a")
        robot(server, team, key="b")
        enqueue(notices(team, 8))
        database.close()
    outcomes = run_together(app, lambda: delivery.send_pending(settings(batch=3)),
                            lambda: delivery.send_pending(settings(batch=3)))
    assert [exc for _r, exc in outcomes] == [None, None]
    assert sum(r.sent for r, _e in outcomes) == 16
    texts = [(key, d["markdown"]["content"]) for _k, key, d in server.messages]
    assert len(texts) == len(set(texts)) == 16


def test_who_manages_which_robot(db, server):
    team, other = make_task_force("JXHG"), make_task_force("XCL")
    lead = make_user("lead", role="lead", task_forces=[team])
    member = make_user("member", task_forces=[team])
    bureau = make_user("bureau", role="bureau")
    values = {"kind": "wecom", "name": "群", "webhook_url": server.url("wecom", "k")}
    mine = manage.create(lead, dict(values, task_force=team.id), settings())
    for user, team_id in ((lead, other.id), (lead, None), (member, team.id)):
        with pytest.raises(ValidationError):
            manage.create(user, dict(values, task_force=team_id), settings())
    with pytest.raises(ValidationError):
        manage.set_enabled(member, mine.id, False)
    city = manage.create(bureau, dict(values, task_force=None), settings())
    with pytest.raises(ValidationError, match="商务局"):
        manage.delete(lead, city.id)
    manage.delete(bureau, mine.id)
    assert [r.id for r in GroupRobot.select()] == [city.id]


def test_an_edit_keeps_a_blank_url_and_secret_and_audits_no_secret(db, server):
    team = make_task_force("JXHG")
    bot = robot(server, team, kind="dingtalk", key="tok123456", secret="SECfirst-secret")
    manage.edit(None, bot.id, {"name": "改名", "webhook_url": "", "secret": ""}, settings(), version=1)
    kept = GroupRobot.get_by_id(bot.id)
    assert (kept.name, kept.webhook_url, kept.secret, kept.version) == (
        "改名", bot.webhook_url, "SECfirst-secret", 2)
    with pytest.raises(ValidationError, match="他人修改"):
        manage.edit(None, bot.id, {"name": "再改"}, settings(), version=1)
    manage.edit(None, bot.id, {"name": "改名", "secret": "SECsecond-secret",
                               "webhook_url": server.url("dingtalk", "tok999999")}, settings(), version=2)
    trail = " ".join(a.before + a.after for a in AuditLog.select().where(AuditLog.entity == "group_robot"))
    assert "SECfirst" not in trail and "SECsecond" not in trail and "tok123456" not in trail
    assert '"webhook_url": "changed"' in trail and '"secret": "changed"' in trail
    manage.edit(None, bot.id, {"name": "改名", "clear_secret": True}, settings())
    assert GroupRobot.get_by_id(bot.id).secret == ""


def test_error_texts_never_hold_the_webhook_key(db):
    team = make_task_force("JXHG")
    bot = manage.create(None, {"task_force": team.id, "kind": "wecom", "name": "群",
                               "webhook_url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=verysecretkey42"},
                        settings())
    enqueue(notices(team, 1))
    result = delivery.send_pending(settings())
    row = RobotMessage.get()
    assert result.retry == 1 and row.status == "pending" and "无法连接" in row.last_error
    assert "verysecretkey42" not in row.last_error and "verysecretkey42" not in " ".join(result.errors)
    assert GroupRobot.get_by_id(bot.id).state == "ok"


def test_two_senders_at_once_keep_a_robots_per_minute_budget_together(app, server):
    from tests.races import run_together
    server.mode["a"], server.delay = "slow", 0.02
    with app.app_context():
        robot(server, make_task_force("JXHG"), key="a")
        enqueue(notices(GroupRobot.get().task_force, 8))
        database.close()
    outcomes = run_together(app, lambda: delivery.send_pending(settings(per_minute=3, batch=2)),
                            lambda: delivery.send_pending(settings(per_minute=3, batch=2)))
    assert [exc for _r, exc in outcomes] == [None, None]
    assert sum(r.sent for r, _e in outcomes) == 3 and len(server.messages) == 3


def test_a_redirect_is_not_followed(db, server):
    """A webhook answering 302 elsewhere is an error answer: nothing goes to the new address."""
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):   # noqa: N802
            self.send_response(302)
            self.send_header("Location", server.url("wecom", "elsewhere"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        team = make_task_force("JXHG")
        manage.create(None, {"task_force": team.id, "kind": "wecom", "name": "群",
                             "webhook_url": f"http://127.0.0.1:{httpd.server_port}/cgi-bin/webhook/send?key=r"},
                      settings())
        enqueue(notices(team, 1))
        result = delivery.send_pending(settings())
        assert result.retry == 1 and server.arrived == []
        assert "HTTP 302" in RobotMessage.get().last_error
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_cli_lists_robots_masked_and_send_exits_1_on_a_broken_robot(app, server):
    with app.app_context():
        team = make_task_force("JXHG")
        robot(server, team, key="gone-key-123456")
        enqueue(notices(team, 1))
    app.config.update(ROBOT_EXTRA_HOSTS=["127.0.0.1"], ROBOT_ALLOW_HTTP=True)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["robots", "list"])
    assert listed.exit_code == 0 and "key=****3456" in listed.output and "gone-key" not in listed.output
    server.mode["gone-key-123456"] = "invalid"
    sent = runner.invoke(args=["robots", "send"])
    assert sent.exit_code == 1 and "地址失效的机器人 1 个" in sent.output
    assert "gone-key" not in sent.output


def test_a_slow_robot_within_the_timeout_is_sent_and_one_beyond_it_is_in_doubt(db, server):
    team = make_task_force("JXHG")
    robot(server, team, key="slow")
    server.mode["slow"], server.delay = "slow", 0.3
    enqueue(notices(team, 1, key="first"))
    assert delivery.send_pending(settings(timeout=2)).sent == 1
    server.delay = 1.5
    enqueue(notices(team, 1, key="second"))
    result = delivery.send_pending(settings(timeout=0.5))
    assert (result.sent, result.unknown) == (0, 1)
    import time
    deadline = time.time() + 5
    while len(server.messages) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert len(server.messages) == 2      # the robot did post it: the doubt was real
