"""The weekly digest for the group robots (issue 22): building the week's summaries queues
one short markdown digest per task force that has a live robot (its figures against the
targets, a link to the team page) and the city's for the bureau's robots, keyed by the week,
so building again (a second scheduler process, the catch-up) queues nothing new; the weekly
job posts them even while mail waits for a retry."""
import datetime
import json

from flask import current_app

from tests.robot_server import RobotServer
from tracker import jobs, settings as web_settings
from tracker.models import GroupRobot, RobotMessage, TaskForce
from tracker.services.mail import summaries
from tracker.services.robots import manage
from tracker.services.robots.settings import RobotSettings

from . import summary_ledger as L

HERE = RobotSettings(allowed_hosts=("127.0.0.1",), allow_http=True, timeout=2)


def _robot(server, team_code, key):
    team = TaskForce.get(TaskForce.code == team_code).id if team_code else None
    return manage.create(None, {"task_force": team, "kind": "wecom", "name": key,
                                "webhook_url": server.url("wecom", key)}, HERE)


def test_the_week_queues_one_digest_per_team_with_a_robot_and_the_citys(app):
    server = RobotServer()
    with app.app_context():
        L.build()
        _robot(server, "TF1", "tf1")
        _robot(server, None, "city")
        first = summaries.build_week(L.WEEK, web_settings.mail(current_app))
        again = summaries.build_week(L.WEEK, web_settings.mail(current_app))
        assert (first.robots, again.robots) == (2, 0)
        rows = {r.robot.name: r for r in RobotMessage.select().join(GroupRobot)}
        assert set(rows) == {"tf1", "city"} and {r.key for r in rows.values()} == {"weekly:2026-W26"}
        team = rows["tf1"].content
        assert team.startswith("### 精细化工专班招商周报（2026-W26）")
        assert "\n- 签约额：3.50/20.00 亿元（17.50%，欠进度）\n" in team
        assert "/taskforces/TF1" in rows["tf1"].link and rows["tf1"].link in team
        city = rows["city"].content
        assert city.startswith("### 全市招商周报（2026-W26）") and "时序进度" in city
        assert json.loads(rows["tf1"].mentions) == []


def test_the_weekly_job_posts_the_digests(app, monkeypatch):
    server = RobotServer().start()
    app.config.update(ROBOT_EXTRA_HOSTS=["127.0.0.1"], ROBOT_ALLOW_HTTP=True)
    try:
        with app.app_context():
            L.build()
            _robot(server, "TF2", "tf2")
        detail = jobs.weekly_summaries(app, L.SUNDAY + datetime.timedelta(days=1))
        assert "机器人消息：已发送 1 条" in detail
        assert server.texts("tf2")[0].startswith("### 装备制造专班招商周报（2026-W26）")
    finally:
        server.stop()
