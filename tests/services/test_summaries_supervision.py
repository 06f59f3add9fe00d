"""督办逾期 in the weekly mail (issue 22): the responsible team's summary and the bureau's name how
many items are past their deadline at the week's day, the oldest with the days overdue and their
links, and the list's link; a team without any gets no section; a closed item or one due later
is never counted. Text and HTML, on the small ledger of summary_ledger (week 2026-W26)."""
import datetime

from flask import current_app

from tracker import settings as web_settings
from tracker.domain.weeks import parse_week
from tracker.models import SupervisionItem
from tracker.services.mail import data as summary_data
from tracker.services.mail import render, summaries
from tracker.models import OutboxMessage

from . import summary_ledger as L

D = datetime.date


def _settings():
    return web_settings.mail(current_app)


def _item(team, title, deadline, state="open", boss=None):
    return SupervisionItem.create(title=title, problem="问题", task_force=team, deadline=deadline,
                                  state=state, opened_by=boss)


def _messages(data, user):
    return {m.kind: m for m in render.messages_for(data, user)}


def test_no_overdue_item_no_section(app):
    with app.app_context():
        people = L.build()
        _item(people["tf1"], "按期办理", L.SUNDAY)                  # due on the Sunday: not late
        _item(people["tf1"], "早已办结", D(2026, 6, 1), state="closed")
        data = summary_data.collect(parse_week(L.WEEK), _settings())
        for user in ("lead1", "boss"):
            for msg in render.messages_for(data, people[user]):
                assert "督办逾期" not in msg.text and "督办逾期" not in msg.html, (user, msg.kind)
                assert msg.numbers["supervision_overdue"] == 0


def test_team_and_bureau_summaries_name_the_oldest_overdue_items(app):
    with app.app_context():
        people = L.build()
        tf1, tf2 = people["tf1"], people["tf2"]
        oldest = _item(tf1, "土地手续", D(2026, 6, 10))
        second = _item(tf1, "环评批复", D(2026, 6, 20))
        third = _item(tf1, "电力接入", D(2026, 6, 25))
        _item(tf1, "供水方案", D(2026, 6, 26))
        _item(tf1, "已办结", D(2026, 6, 1), state="closed")
        _item(tf1, "周日到期", L.SUNDAY)
        other = _item(tf2, "塔机用地", D(2026, 6, 27))
        data = summary_data.collect(parse_week(L.WEEK), _settings())
        link = data.url("supervision.show", item_id=oldest.id)
        team_list = data.url("supervision.index", overdue=1, task_force=tf1.id)

        tf1_mail = _messages(data, people["lead1"])["task_force"]
        text = tf1_mail.text
        assert "【督办逾期 4 项】截至 2026-06-28 未办结：" in text
        assert f"- 土地手续（期限 2026-06-10，逾期 18 天）：{link}" in text
        assert text.index("土地手续") < text.index("环评批复（期限 2026-06-20，逾期 8 天）") \
            < text.index("电力接入（期限 2026-06-25，逾期 3 天）")
        assert "供水方案" not in text and "已办结" not in text and "周日到期" not in text
        assert f"- 另有 1 项，全部逾期督办事项：{team_list}" in text
        assert "塔机用地" not in text                                # the other team's
        html = tf1_mail.html
        assert "督办逾期 4 项" in html and f'href="{link}"' in html and "逾期 18 天" in html
        assert "另有 1 项" in html and tf1_mail.numbers["supervision_overdue"] == 4

        tf2_mail = _messages(data, people["lead2"])["task_force"]
        assert "【督办逾期 1 项】" in tf2_mail.text and "塔机用地（期限 2026-06-27，逾期 1 天）" in tf2_mail.text
        assert "另有" not in tf2_mail.text.split("【督办逾期")[1].split("一、")[0]

        city = _messages(data, people["boss"])["bureau"]
        warnings = city.text.split("三、红黄预警")[1].split("四、")[0]
        assert "- 督办逾期 5 项，逾期最久：" in warnings
        assert [f"精细化工专班·{i.title}" in warnings for i in (oldest, second, third)] == [True] * 3
        assert "塔机用地" not in warnings and "另有 2 项" in warnings
        assert data.url("supervision.index", overdue=1) in warnings
        assert "督办逾期 5 项" in city.html and f'href="{data.url("supervision.show", item_id=third.id)}"' in city.html
        assert city.numbers["supervision_overdue"] == 5
        assert other.id not in {late.id for late in data.overdue_city.oldest}


def test_a_week_in_progress_judges_overdue_at_its_day_and_build_stores_it(app):
    with app.app_context():
        people = L.build()
        _item(people["tf1"], "土地手续", D(2026, 6, 10))
        _item(people["tf1"], "电力接入", D(2026, 6, 25))
        preview = summary_data.collect(parse_week(L.WEEK), _settings(), until=D(2026, 6, 24))
        text = _messages(preview, people["lead1"])["task_force"].text
        assert "【督办逾期 1 项】截至 2026-06-24 未办结：" in text and "逾期 14 天" in text
        assert "电力接入" not in text
        summaries.build_week(L.WEEK, _settings())
        stored = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        assert "【督办逾期 2 项】截至 2026-06-28 未办结：" in stored.body_text
