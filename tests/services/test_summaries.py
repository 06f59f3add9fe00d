"""Weekly summaries: recipients, content and numbers, idempotent build, delivery
over a real SMTP server, the scheduler job and the CLI."""
import datetime
import json

import pytest
from flask import current_app

from tests.mail_server import SMTPServer, parts
from tracker import scheduler
from tracker.domain import money
from tracker.domain.weeks import parse_week
from tracker.models import JobRun, OutboxBody, OutboxMessage, User
from tracker.services.mail import (delivery, summaries, data as summary_data,
    render)
from tracker.services.mail.data import collect
from tracker.services.progress import report as progress
from tracker import settings as web_settings
from tracker.services.mail.unsubscribe import unsubscribe_url

from . import summary_ledger as L

D = datetime.date
TF1_SUBJECT = "【招商专班周报】2026年第26周 · 精细化工专班"


def settings():
    """The mail settings of the app of the current context (as an entry point builds them)."""
    return web_settings.mail(current_app)


def rows_by_user():
    out = {}
    for row in OutboxMessage.select().order_by(OutboxMessage.id):
        out.setdefault(row.user.username, []).append((row.kind, row.subject))
    return out


def test_build_writes_one_row_per_recipient_and_summary(sqlite_app):
    with sqlite_app.app_context():
        L.build()
        result = summaries.build_week(L.WEEK, settings())
        assert (result.created, result.existing) == (5, 0)
        assert rows_by_user() == {
            "boss": [("bureau", "【招商专班周报】2026年第26周 · 全市汇总")],
            "lead1": [("task_force", TF1_SUBJECT)],
            "mem1": [("task_force", TF1_SUBJECT),
                     ("task_force", "【招商专班周报】2026年第26周 · 装备制造专班")],
            "lead2": [("task_force", "【招商专班周报】2026年第26周 · 装备制造专班")],
        }
        row = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        assert row.status == "pending" and row.week == "2026-W26" and row.scope.startswith("tf:")
        assert row.message_id.startswith("<summary.2026-W26.") and row.unsubscribe_url


def test_building_again_creates_nothing(app):
    """Uniqueness on every backend: a second build (or a concurrent one) adds no row."""
    with app.app_context():
        people = L.build()
        first = summaries.build_week(L.WEEK, settings())
        ids = sorted(r.id for r in OutboxMessage.select())
        again = summaries.build_week(parse_week(L.WEEK), settings())
        assert (first.created, again.created, again.existing) == (5, 0, 5)
        assert sorted(r.id for r in OutboxMessage.select()) == ids
        # a recipient who joins later gets only the missing row
        L.make_user("late", role="member", task_forces=[people["tf2"]])
        third = summaries.build_week(L.WEEK, settings())
        assert (third.created, third.existing) == (1, 5)


def test_recipients_of_a_summary_share_one_stored_body(app):
    """The summary of a scope is stored once; each row fills in its recipient."""
    with app.app_context():
        L.build()
        summaries.build_week(L.WEEK, settings())
        lead1 = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        mem1 = OutboxMessage.get((OutboxMessage.to_addr == "mem1@example.test")
                                 & (OutboxMessage.scope == lead1.scope))
        assert lead1.body_id == mem1.body_id
        assert OutboxBody.select().count() == 3          # the city and two task forces
        assert lead1.body_text.startswith("李组长，您好")
        assert mem1.body_text.startswith("mem1，您好")
        assert lead1.unsubscribe_url in lead1.body_text
        assert lead1.unsubscribe_url in lead1.body_html
        assert lead1.unsubscribe_url != mem1.unsubscribe_url
        mail = settings()
        assert lead1.unsubscribe_url == unsubscribe_url(User.get(User.username == "lead1"),
                                                        mail.signer, mail.links)
        assert mem1.unsubscribe_url not in lead1.body_text
        # a recipient who joins later gets a row on the same body (same content)
        L.make_user("late", role="member", task_forces=[lead1.task_force])
        assert summaries.build_week(L.WEEK, settings()).created == 1
        late = OutboxMessage.get(OutboxMessage.to_addr == "late@example.test")
        assert late.body_id == lead1.body_id and OutboxBody.select().count() == 3


def test_numbers_match_the_progress_report(sqlite_app):
    with sqlite_app.app_context():
        L.build()
        summaries.build_week(L.WEEK, settings())
        report = progress.build_report(2026, L.SUNDAY)
        tf1 = report.row("TF1")
        row = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        numbers = json.loads(row.numbers)
        assert numbers["metrics"] == summary_data.metric_numbers(tf1.metrics)
        # ... and those are the hand-computed figures of the ledger
        assert numbers["metrics"]["signed_value"] == {
            "target": "200000.00", "actual": "35000.00", "completion": "17.50",
            "time_progress": "41.67", "gap_points": "-24.17", "status": "orange"}
        assert numbers["metrics"]["packaged_value"]["actual"] == "81900.00"
        assert numbers["metrics"]["negotiations"]["actual"] == "4.00"
        assert numbers["metrics"]["funds_received"]["actual"] == "3000.00"
        assert numbers["changes"] == {"new_projects": 1, "advances": 2, "signed": 1,
                                      "signed_value": "30000.00", "started": 1, "dropped": 1,
                                      "funds": "1000.00"}
        text = row.body_text
        assert "签约额：完成 3.50 亿元 / 目标 20.00 亿元，完成率 17.50%" in text
        assert "策划包装项目：完成 8.19 亿元 / 目标 100.00 亿元" in text
        assert "洽谈项目：完成 4 个 / 目标 20 个" in text
        assert f"全市排名第 {tf1.rank}" in text

        city = OutboxMessage.get(OutboxMessage.kind == "bureau")
        city_numbers = json.loads(city.numbers)
        assert city_numbers["totals"] == summary_data.metric_numbers(report.totals)
        assert city_numbers["ranking"] == [[r.code, r.rank, str(r.score) if r.score is not None
                                            else None, r.status] for r in report.rows]
        total_signed = report.totals["signed_value"].actual
        assert f"签约额：完成 {money.fmt_yi(total_signed)} 亿元" in city.body_text


def test_week_changes_and_stale_projects(sqlite_app):
    with sqlite_app.app_context():
        L.build()
        summaries.build_week(L.WEEK, settings())
        text = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test").body_text
        assert "2026-06-24 A 新材料：推进：洽谈 → 签约（签约额 30,000.00 万元）" in text
        assert "2026-06-26 C 催化剂：推进：签约 → 开工" in text
        assert "2026-06-23 B 电子化学品：新增项目（洽谈）" in text
        assert "2026-06-27 D 涂料：退库：投资方撤回" in text
        assert "2026-06-25 A 新材料：到位资金 1,000.00 万元" in text
        assert "G 上周项目" not in text and "F 下周签约" not in text
        assert "E 沉寂项目（策划包装，责任人 李组长）：174 天未更新，90天未推进" in text
        html = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test").body_html
        assert "<svg" not in html and "<script" not in html and "<img" not in html
        assert "http://127.0.0.1:5000/taskforces/TF1" in html
        city = OutboxMessage.get(OutboxMessage.kind == "bureau").body_text
        assert "五、本周签约\n- 2026-06-24 精细化工专班 A 新材料：30,000.00 万元" in city
        # the links are built from BASE_URL and the routes (which always exist)
        assert "进度看板：http://127.0.0.1:5000/dashboard/\n" in city
        assert "周报设置：http://127.0.0.1:5000/prefs/summary" in city


def test_voided_rows_are_not_in_the_week(app):
    """A 作废 receipt, increase or stage change never happened: the weekly summary neither
    lists nor sums it (its headline numbers are the ones the dashboard counts)."""
    from tracker.models import FundReceipt, Project, StageEvent
    from tracker.services.ledger import corrections
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    S = backfill_ledger(ledger_projects)
    with app.app_context():
        built = L.build()
        a = Project.get(Project.name == "A 新材料")
        d = Project.get(Project.name == "D 涂料")
        increase = S.add_capital_increase(built["boss"], a.id, on=D(2026, 6, 26), amount="400",
                                          note="二期")
        corrections.void(built["boss"], a.id, "funds",
                         FundReceipt.get(FundReceipt.project == a.id).id, "重复登记")
        corrections.void(built["boss"], a.id, "increase", increase.id, "录入错误")
        dropped = StageEvent.get((StageEvent.project == d.id) & (StageEvent.stage == "dropped"))
        corrections.void(built["boss"], d.id, "stage", dropped.id, "误操作")
        changes = summary_data.week_changes(parse_week(L.WEEK))[built["tf1"].id]
        texts = [f"{c.project_name}：{c.text}" for c in changes]
        assert "A 新材料：推进：洽谈 → 签约" in texts
        assert not any(t.startswith("A 新材料：到位资金") or t.startswith("A 新材料：增资")
                       or t.startswith("D 涂料：退库") for t in texts), texts
        counts = summary_data.change_counts(changes)
        assert (counts["funds"], counts["dropped"]) == ("0.00", 0)
        summaries.build_week(L.WEEK, settings())
        text = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test").body_text
        assert "A 新材料：到位资金" not in text and "D 涂料：退库" not in text
        assert "2026-06-24 A 新材料：推进：洽谈 → 签约" in text


def test_sent_summaries_arrive_with_the_reported_numbers(sqlite_app, smtp):
    sqlite_app.config.update(smtp.config())
    with sqlite_app.app_context():
        people = L.build()
        summaries.build_week(L.WEEK, settings())
        result = delivery.send_pending(settings())
        assert result.sent == 5
        received = {}
        for msg in smtp.messages:
            received.setdefault(msg.envelope_to[0], []).append(msg["Subject"])
        assert received == {
            "boss@example.test": ["【招商专班周报】2026年第26周 · 全市汇总"],
            "lead1@example.test": [TF1_SUBJECT],
            "mem1@example.test": [TF1_SUBJECT, "【招商专班周报】2026年第26周 · 装备制造专班"],
            "lead2@example.test": ["【招商专班周报】2026年第26周 · 装备制造专班"],
        }
        assert people["quit"].email not in received and "" not in received
        msg = next(m for m in smtp.messages if m.envelope_to == ["lead1@example.test"])
        text, html = parts(msg)
        assert "签约额：完成 3.50 亿元 / 目标 20.00 亿元，完成率 17.50%" in text
        assert "3.50 亿元" in html and "17.50%" in html
        assert msg["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/unsubscribe/")


def test_preview_matches_what_build_stores(sqlite_app):
    with sqlite_app.app_context():
        people = L.build()
        data = summary_data.collect(parse_week(L.WEEK), settings())
        [msg] = render.messages_for(data, people["lead1"])
        summaries.build_week(L.WEEK, settings())
        row = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        assert (msg.subject, msg.text) == (row.subject, row.body_text)


def test_a_week_in_progress_is_judged_up_to_its_day(sqlite_app):
    """collect(week, settings, until=day): the changes from Monday to ``day``, the progress as of
    ``day``, the subject marked as a preview; nothing is stored."""
    with sqlite_app.app_context():
        people = L.build()
        data = summary_data.collect(parse_week(L.WEEK), settings(), until=D(2026, 6, 24))
        assert data.in_progress and data.as_of == D(2026, 6, 24)
        [tf1] = people["lead1"].task_force_ids()
        assert [(c.day, c.kind) for c in data.changes[tf1]] == [
            (D(2026, 6, 23), "new"), (D(2026, 6, 24), "advance")]
        [msg] = render.messages_for(data, people["lead1"])
        assert msg.subject == TF1_SUBJECT + "（本周截至 06-24，预览）"
        assert "A 新材料：推进：洽谈 → 签约" in msg.text and "C 催化剂" not in msg.text
        assert "数据截至 2026-06-24" in msg.text and msg.numbers["as_of"] == "2026-06-24"
        # a day outside the week is clamped to it; a complete week has no mark
        assert summary_data.collect(parse_week(L.WEEK), settings(),
                                    until=D(2026, 7, 9)).as_of == L.SUNDAY
        full = summary_data.collect(parse_week(L.WEEK), settings())
        assert not full.in_progress and full.as_of == L.SUNDAY
        assert not OutboxMessage.select().exists() and not OutboxBody.select().exists()


def test_weekly_job_builds_last_week_once_per_week(sqlite_app):
    """Mondays 08:00: the job for Monday 29 June reports 2026-W26, once."""
    with sqlite_app.app_context():
        L.build()
    run = scheduler.run_once(sqlite_app, "weekly-summary", D(2026, 6, 29))
    assert run.outcome == "ok" and run.period_key == "2026-W26"
    assert scheduler.run_once(sqlite_app, "weekly-summary", D(2026, 6, 29)) is None
    with sqlite_app.app_context():
        assert OutboxMessage.select().where(OutboxMessage.status == "sent").count() == 5
        assert {r.week for r in OutboxMessage.select()} == {"2026-W26"}
        assert JobRun.select().where(JobRun.job == "weekly-summary").count() == 1


def test_weekly_job_with_mail_down_is_retried_by_catch_up(sqlite_app):
    server = SMTPServer()       # down
    sqlite_app.config.update(server.config())
    with sqlite_app.app_context():
        L.build()
    run = scheduler.run_once(sqlite_app, "weekly-summary", D(2026, 6, 29))
    assert run.outcome == "failed" and "待重试" in run.detail
    with sqlite_app.app_context():
        assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 5
        OutboxMessage.update(next_attempt_at=None).execute()    # the back-off has passed
    server.start()
    try:
        tz = scheduler.zone(sqlite_app)
        monday_noon = datetime.datetime(2026, 6, 29, 12, 0, tzinfo=tz)
        [again] = scheduler.catch_up(sqlite_app, now=monday_noon,
                                     specs=[scheduler.get_spec("weekly-summary")])
        assert again.outcome == "ok" and again.attempts == 2
        assert len(server.messages) == 5
        assert all(len(c) == 1 for c in server.by_message_id().values())
    finally:
        server.stop()


def test_cli_build_send_preview(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    with sqlite_app.app_context():
        L.build()
    result = runner.invoke(args=["summaries", "build", "--week", "2026-W26"])
    assert result.exit_code == 0, result.output
    assert "新建 5 封" in result.output
    result = runner.invoke(args=["summaries", "build", "--week", "2026-W26"])
    assert "新建 0 封，已存在 5 封" in result.output
    result = runner.invoke(args=["summaries", "send"])
    assert result.exit_code == 0 and "已发送 5 封" in result.output
    result = runner.invoke(args=["summaries", "preview", "--user", "lead1", "--week", "2026-W26"])
    assert result.exit_code == 0 and f"Subject: {TF1_SUBJECT}" in result.output
    assert "签约额：完成 3.50 亿元" in result.output


@pytest.mark.parametrize("args, message", [
    (["summaries", "build", "--week", "2026-26"], "YYYY-Www"),
    (["summaries", "build", "--week", "2025-W53"], "没有第 53 周"),
    (["summaries", "preview", "--user", "nobody"], "不存在"),
])
def test_cli_rejects_bad_input(sqlite_app, args, message):
    result = sqlite_app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output


def test_cli_send_exits_nonzero_when_server_is_down(sqlite_app):
    sqlite_app.config.update(SMTPServer().config())
    runner = sqlite_app.test_cli_runner()
    with sqlite_app.app_context():
        L.build()
    runner.invoke(args=["summaries", "build", "--week", "2026-W26"])
    result = runner.invoke(args=["summaries", "send"])
    assert result.exit_code == 1 and "提前停止" in result.output


def test_concurrent_build_of_the_same_week_adds_no_duplicate(app, monkeypatch):
    """Another process stores some rows between our check and our insert: the bulk
    insert fails on the unique key and the rows are inserted one by one, skipping
    the ones that exist (on every backend, inside savepoints)."""
    real_collect = collect

    def racing_collect(week, mail):
        data = real_collect(week, mail)
        lead1 = User.get(User.username == "lead1")
        rendered = render.render_task_force(data, data.report.row("TF1"), lead1)
        OutboxMessage.create(**summaries.row_fields(week, lead1, rendered, settings()))
        return data

    with app.app_context():
        L.build()
        monkeypatch.setattr(summaries, "collect", racing_collect)
        result = summaries.build_week(L.WEEK, settings())
        assert (result.created, result.existing) == (4, 1)
        assert OutboxMessage.select().count() == 5
        assert OutboxMessage.select().where(OutboxMessage.to_addr == "lead1@example.test") \
            .count() == 1


def test_the_week_spanning_the_new_year_reports_the_year_that_ended(sqlite_app):
    """Issue 19: 2026-W53 (28 Dec 2026 - 3 Jan 2027) reports 2026, judged at 31 December,
    not three days of 2027; its changes are still the whole week's."""
    with sqlite_app.app_context():
        people = L.build()
        data = summary_data.collect(parse_week("2026-W53"), settings())
        assert (data.report.year, data.report.as_of) == (2026, D(2026, 12, 31))
        [msg] = render.messages_for(data, people["lead1"])
        assert "数据截至 2026-12-31" in msg.text and msg.numbers["as_of"] == "2026-12-31"
        assert "2027" not in msg.subject
