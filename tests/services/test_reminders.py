"""督办 reminders and the 60天未推进 nudge (issue 22), the daily job on every backend: exactly
the expected outbox rows and robot messages for items around their deadlines (a reply
pausing, a close stopping, a reopen resuming), nothing twice across runs and across two
runs at once (real threads), delivery over a real SMTP server (aiosmtpd) respecting the
reminder preference, and the nudge once per stale episode."""
import datetime
import json

import pytest
from flask import current_app

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tests.mail_server import parts
from tests.races import run_together
from tracker import clock
from tracker import settings as web_settings
from tracker.models import (GroupRobot, OutboxMessage, Project, RobotMessage, SupervisionItem, SupervisionReply,
                            User)
from tracker.services.reminders import daily
from tracker.services.reminders.settings import settings_from
from tracker.services.staleness import flags as stale_flags
from tracker.services.supervision import items

pytestmark = pytest.mark.usefixtures("december_8")
D = datetime.timedelta
T = DECEMBER_8          # Tuesday 8 December 2026


def _settings():
    return settings_from(current_app.config)


def build(day=T):
    return daily.build(day, _settings(), web_settings.mail(current_app))


@pytest.fixture
def world(db):
    team, other = make_task_force("JXHG"), make_task_force("XCL")
    people = {"team": team, "other": other,
              "member": make_user("member", task_forces=[team], robot_mention=True, mobile="13800138000"),
              "lead": make_user("lead", role="lead", task_forces=[team]),
              "gone": make_user("gone", task_forces=[team], active=False),
              "outsider": make_user("outsider", task_forces=[other]),
              "bureau": make_user("bureau", role="bureau")}
    people["robot"] = GroupRobot.create(task_force=team, kind="wecom", name="精细化工专班群",
                                        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    return people


def _item(world, title, deadline, responsible=None, team=None):
    item = items.open_item(world["bureau"], title=title, problem=f"{title}：问题描述。",
                           task_force=(team or world["team"]).id, deadline=T,
                           responsible=responsible.id if responsible else None)
    SupervisionItem.update(deadline=deadline).where(SupervisionItem.id == item.id).execute()
    return item


def _reply_on(item, day):
    """The item's last 进展反馈 was at noon (Shanghai) of ``day``."""
    noon = clock.local_midnight_utc(day) + D(hours=12)
    SupervisionItem.update(last_reply_at=noon).where(SupervisionItem.id == item.id).execute()


def rows(day=T):
    return sorted((r.scope, r.user.username) for r in OutboxMessage.select()
                  .where((OutboxMessage.week == day.isoformat()) & (OutboxMessage.kind == "reminder")))


@pytest.fixture
def around(world):
    """Items around their deadlines on T (see each one's expected reminder)."""
    m, lead = world["member"], world["lead"]
    out = {
        "before": _item(world, "三天后到期", T + D(3), responsible=m),          # 即将到期 → member
        "due": _item(world, "今天到期", T),                                       # 今天到期 → member, lead
        "late2": _item(world, "逾期两天", T - D(2), responsible=lead),           # 已逾期2天 → lead
        "paused": _item(world, "逾期已反馈", T - D(2), responsible=lead),         # reply yesterday: paused
        "closed": _item(world, "已办结", T - D(1), responsible=m),               # closed: none
        "reopened": _item(world, "退回再办", T - D(10), responsible=m),          # weekly day 10 → member
        "quiet": _item(world, "逾期五天", T - D(5), responsible=m),              # day 5: no reminder
        "later": _item(world, "两天后到期", T + D(2), responsible=m),             # none
        "other": _item(world, "外专班", T, team=world["other"]),                  # → outsider
    }
    items.reply(lead, out["paused"].id, "已协调，本周内办结。")
    _reply_on(out["paused"], T - D(1))
    items.close(world["bureau"], out["closed"].id, "已办结。")
    items.close(world["bureau"], out["reopened"].id, "先办结。")
    items.reopen(world["bureau"], out["reopened"].id, "材料不全，退回。")
    return out


def scope(item):
    return f"sup:{item.id}"


def test_the_day_gives_exactly_the_expected_mails_and_robot_notices(world, around):
    result = build()
    a = around
    assert rows() == sorted([(scope(a["before"]), "member"), (scope(a["due"]), "lead"), (scope(a["due"]), "member"),
                             (scope(a["late2"]), "lead"), (scope(a["reopened"]), "member"),
                             (scope(a["other"]), "outsider")])
    assert (result.reminders, result.created, result.existing) == (5, 6, 0)
    assert sorted(m.key for m in RobotMessage.select()) == sorted(
        f"sup:{a[k].id}:2026-12-08" for k in ("before", "due", "late2", "reopened"))   # XCL has no robot
    mentions = {m.key: json.loads(m.mentions) for m in RobotMessage.select()}
    assert mentions[f"sup:{a['due'].id}:2026-12-08"] == ["13800138000"]      # the member allows the @
    assert mentions[f"sup:{a['late2'].id}:2026-12-08"] == []
    row = OutboxMessage.get((OutboxMessage.scope == scope(a["late2"])))
    assert row.subject == "【督办提醒】已逾期2天：逾期两天" and row.message_id.startswith("<reminder.2026-12-08.sup")
    text = row.body_text
    assert "lead，您好" in text and "办理期限：2026-12-06（已逾期 2 天）" in text
    assert f"/supervision/{a['late2'].id}" in text and "最近反馈：尚无进展反馈" in text
    robot = RobotMessage.get(RobotMessage.key == f"sup:{a['late2'].id}:2026-12-08")
    assert "已逾期 2 天" in robot.content and f"/supervision/{a['late2'].id}" in robot.link


def test_a_second_run_of_the_day_creates_nothing_and_the_next_day_follows_the_schedule(world, around):
    build()
    before_rows, before_notices = OutboxMessage.select().count(), RobotMessage.select().count()
    again = build()
    assert (again.created, again.existing, again.notices) == (0, 6, 0)
    assert (OutboxMessage.select().count(), RobotMessage.select().count()) == (before_rows, before_notices)
    a = around
    # 9 December: due → overdue 1 (member, lead); late2 → overdue 3 (lead); paused: the reply of
    # 7 December still pauses the 9th (R..R+2); quiet → day 6; reopened → day 11: none.
    build(T + D(1))
    assert rows(T + D(1)) == sorted([(scope(a["due"]), "lead"), (scope(a["due"]), "member"),
                                     (scope(a["late2"]), "lead"), (scope(a["other"]), "outsider")])
    # 10 December: due → overdue 2; later → 今天到期; late2 and paused → day 4, no reminder day
    build(T + D(2))
    assert rows(T + D(2)) == sorted([(scope(a["due"]), "lead"), (scope(a["due"]), "member"),
                                     (scope(a["later"]), "member"), (scope(a["other"]), "outsider")])


def test_a_reply_pauses_a_close_stops_and_a_reopen_resumes(world):
    m = world["member"]
    item = _item(world, "逾期一天", T - D(1), responsible=m)
    items.reply(m, item.id, "正在办理。")
    _reply_on(item, T)                      # the reply came before today's run
    assert build().created == 0 and rows() == []
    build(T + D(1))                         # day 2: still paused (T, T+1, T+2)
    build(T + D(2))                         # day 3: paused
    assert rows(T + D(1)) == rows(T + D(2)) == []
    items.close(world["bureau"], item.id, "已办结。")
    assert build(T + D(8)).created == 0     # day 9 ... closed anyway
    items.reopen(world["bureau"], item.id, "退回。")
    build(T + D(9))                         # day 10: the weekly reminder comes again
    assert rows(T + D(9)) == [(scope(item), "member")]
    mail = OutboxMessage.get(OutboxMessage.week == (T + D(9)).isoformat())
    assert mail.subject.startswith("【督办提醒】已逾期10天")
    reply = SupervisionReply.get(SupervisionReply.kind == "reply")
    said = clock.to_local(reply.created_at).date().isoformat()
    assert f"最近反馈：{said} member：正在办理。" in mail.body_text
    assert f"{said} member：正在办理。" in mail.body_html and "已逾期 10 天" in mail.body_html


def test_the_reminder_preference_and_an_inactive_responsible(world):
    lead = world["lead"]
    User.update(remind_email=False).where(User.id == world["member"].id).execute()
    due = _item(world, "今天到期", T)
    gone = _item(world, "责任人已停用", T, responsible=world["gone"])     # falls back to the team
    build()
    # the member turned reminder mail off, the inactive user gets nothing: the lead alone
    assert rows() == sorted([(scope(due), lead.username), (scope(gone), lead.username)])
    # the robot still @s the member, who allows it
    assert [json.loads(m.mentions) for m in RobotMessage.select()] == [["13800138000"]] * 2


def test_two_runs_at_once_create_each_reminder_once(app, world, around):
    def run():
        with app.app_context():
            return build()
    outcomes = run_together(app, run, run)
    assert [exc for _r, exc in outcomes] == [None, None]
    assert sum(r.created for r, _e in outcomes) == 6
    assert len(rows()) == 6 and RobotMessage.select().count() == 4


# -- delivery ---------------------------------------------------------------------------------

def test_two_scheduled_runs_at_once_send_each_reminder_once_respecting_the_preference(app, world, around, smtp):
    app.config.update(smtp.config())

    def run():
        with app.app_context():
            return daily.run(T, settings_from(app.config), web_settings.mail(app))
    outcomes = run_together(app, run, run)
    assert [exc for _r, exc in outcomes] == [None, None]
    sent = sorted((m["Subject"], m.envelope_to[0]) for m in smtp.messages)
    assert len(sent) == 6 and len(set(m["Message-ID"] for m in smtp.messages)) == 6
    text, html = parts(next(m for m in smtp.messages if "逾期两天" in m["Subject"]))
    assert "已逾期 2 天" in text and "已逾期 2 天" in html and "lead，您好" in text
    # the member turns reminder mail off after the rows were built: a retry of their row is cancelled
    smtp.messages.clear()
    OutboxMessage.update(status="pending", sent_at=None).execute()
    User.update(remind_email=False).where(User.id == world["member"].id).execute()
    User.update(wants_summary=False).where(User.id == world["lead"].id).execute()   # the summary's opt-out
    with app.app_context():
        from tracker.services.mail import delivery
        result = delivery.send_pending(web_settings.mail(app))
    assert result.cancelled == 3 and {m.envelope_to[0] for m in smtp.messages} == {
        "lead@example.test", "outsider@example.test"}
    assert {r.last_error for r in OutboxMessage.select().where(OutboxMessage.status == "cancelled")} == {
        "收件人已关闭督办提醒邮件"}


def test_mail_waiting_for_a_retry_fails_the_run_for_the_catch_up(app, world):
    app.config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 1, "MAIL_FROM": "zs@example.test"})
    _item(world, "今天到期", T, responsible=world["member"])
    with pytest.raises(daily.RemindersStillPending, match="待重试"):
        daily.run(T, settings_from(app.config), web_settings.mail(app))
    assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 1


# -- the 60天未推进 nudge -------------------------------------------------------------------------

def _silent(world, name, since, owner=None):
    project = make_project(world["team"], name, on=T - D(200))
    Project.update(last_progress_on=since, owner=owner.id if owner else None).where(
        Project.id == project.id).execute()
    return project


def nudges(day=None):
    query = OutboxMessage.select().where(OutboxMessage.kind == "nudge")
    if day:
        query = query.where(OutboxMessage.week == day.isoformat())
    return sorted((r.scope, r.user.username) for r in query)


def test_the_owner_is_nudged_once_when_the_project_turns_60_days_silent(world):
    lead = world["lead"]
    turning = _silent(world, "今日满60天", T - D(60), owner=lead)
    missed = _silent(world, "昨日满60天", T - D(61))                   # no owner: robot only
    _silent(world, "早已停滞", T - D(100), owner=lead)                  # turned long ago: none
    _silent(world, "59天", T - D(59), owner=lead)                       # not yet
    stale_flags.scan(T)
    result = build()
    key = f"stale:{turning.id}:{(T - D(60)):%Y%m%d}"
    assert nudges() == [(key, "lead")] and result.nudges == 2
    assert sorted(m.key for m in RobotMessage.select()) == sorted(
        [key, f"stale:{missed.id}:{(T - D(61)):%Y%m%d}"])
    row = OutboxMessage.get(OutboxMessage.kind == "nudge")
    assert row.subject == "【项目提醒】今日满60天已60天未推进" and f"/projects/{turning.id}" in row.body_text
    # the next day: the 59-day project turns (its owner gets one); the ones of the day before
    # get nothing more (the ownerless one is offered to the robot again: its key is taken)
    stale_flags.scan(T + D(1))
    build(T + D(1))
    fresh = Project.get(Project.name == "59天")
    assert nudges(T + D(1)) == [(f"stale:{fresh.id}:{(T - D(59)):%Y%m%d}", "lead")]
    assert RobotMessage.select().count() == 3
    again = build(T + D(1))
    assert (again.created, again.notices) == (0, 0) and len(nudges()) == 2
    # the same silence turning 90天未推进 is no new episode
    stale_flags.scan(T + D(30))
    assert build(T + D(30)).created == 0 and len(nudges()) == 2 and RobotMessage.select().count() == 3


def test_a_new_silence_is_a_new_episode(world):
    lead = world["lead"]
    project = _silent(world, "又停滞了", T - D(60), owner=lead)
    stale_flags.scan(T)
    build()
    later = T + D(70)
    Project.update(last_progress_on=T + D(10)).where(Project.id == project.id).execute()
    stale_flags.scan(later)
    build(later)
    assert [s for s, _u in nudges()] == [f"stale:{project.id}:{(T - D(60)):%Y%m%d}",
                                          f"stale:{project.id}:{(T + D(10)):%Y%m%d}"]


def test_the_scheduled_job_runs_once_per_day(app, world, around):
    from tracker import scheduler
    first = scheduler.run_once(app, "supervision-reminders", T)
    assert first.outcome == "ok", first.detail
    assert "督办提醒 5 项" in first.detail and "机器人消息" in first.detail
    assert scheduler.run_once(app, "supervision-reminders", T) is None       # the day is claimed
    assert len(rows()) == 6
    assert scheduler.get_spec("supervision-reminders").period_key(T) == "2026-12-08"
