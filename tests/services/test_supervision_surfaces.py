"""督办 where people look (issue 22): the overdue counts and oldest items the weekly mail and the
通报 use (per team, for the city, a closed item never counted), a member's 待办 (their own first,
their teams' only), a team's open items, and the list's .xlsx with its filters. Every backend."""
import datetime
import io

import pytest
from openpyxl import load_workbook

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tracker.models import SupervisionItem
from tracker.services.supervision import export, items, listing, overdue

pytestmark = pytest.mark.usefixtures("december_8")
D = datetime.timedelta


@pytest.fixture
def world(db):
    team, other = make_task_force("JXHG"), make_task_force("XCL")
    return {"team": team, "other": other,
            "member": make_user("member", task_forces=[team]),
            "colleague": make_user("colleague", task_forces=[team]),
            "outsider": make_user("outsider", task_forces=[other]),
            "bureau": make_user("bureau", role="bureau"),
            "project": make_project(team, "精细化工一期", on=DECEMBER_8 - D(30))}


def _item(world, title, days_late, team="team", **kw):
    """An item opened today and then (as time passes) ``days_late`` days past its deadline."""
    values = dict(title=title, problem="问题", task_force=world[team].id, deadline=DECEMBER_8)
    values.update(kw)
    item = items.open_item(world["bureau"], **values)
    SupervisionItem.update(deadline=DECEMBER_8 - D(days_late)).where(SupervisionItem.id == item.id).execute()
    return item


def test_overdue_per_team_and_city_oldest_first_closed_not_counted(world):
    a = _item(world, "用地指标", 9)
    _item(world, "环评批复", 2)                          # b: 2 days late
    _item(world, "今天到期", 0)                          # due today: not overdue yet
    c = _item(world, "电力接入", 5, team="other", priority="urgent")
    d = _item(world, "已办结的", 30)
    items.close(world["bureau"], d.id, "已解决。")
    e = _item(world, "更早的", 12)
    teams = overdue.by_team(DECEMBER_8, oldest=2)
    assert set(teams) == {world["team"].id, world["other"].id}
    mine = teams[world["team"].id]
    assert (mine.count, [x.id for x in mine.oldest], mine.more) == (3, [e.id, a.id], 1)
    assert [(x.title, x.days, x.task_force_name) for x in mine.oldest] == [
        ("更早的", 12, "JXHG专班"), ("用地指标", 9, "JXHG专班")]
    city = overdue.city(DECEMBER_8, oldest=3)
    assert (city.count, [x.id for x in city.oldest]) == (4, [e.id, a.id, c.id])
    assert city.oldest[2].priority_label == "紧急"
    assert overdue.combined(teams, oldest=3).oldest[:2] == city.oldest[:2]
    assert overdue.combined(overdue.by_team(DECEMBER_8)) == city
    # judged at an earlier day: the same items are fewer days late, b not yet, and d (closed
    # today) was still open and late then
    earlier = overdue.city(DECEMBER_8 - D(3))
    assert earlier.count == 4 and [(x.id, x.days) for x in earlier.oldest] == [(d.id, 27), (e.id, 9), (a.id, 6)]
    assert overdue.by_team(DECEMBER_8 - D(3))[world["other"].id].oldest[0].days == 2
    assert overdue.by_team(DECEMBER_8 - D(3))[world["team"].id].count == 3        # d, e, a; not b
    assert [x.id for x in overdue.city(DECEMBER_8 - D(20)).oldest] == [d.id]
    assert overdue.city(DECEMBER_8 - D(31)) == overdue.Overdue()


def test_a_members_todo_own_items_first_then_by_deadline(world):
    first = _item(world, "最早到期", 3)
    own = _item(world, "我负责的", -5, responsible=world["member"].id)   # due in 5 days
    later = _item(world, "晚些到期", -1)
    _item(world, "别的专班", 10, team="other")
    closed = _item(world, "已办结", 20)
    items.close(world["bureau"], closed.id, "办完。")
    todo = overdue.todo(world["member"], DECEMBER_8)
    assert [i.id for i in todo.items] == [own.id, first.id, later.id]
    assert (todo.total, todo.overdue, todo.more) == (3, 1, 0)
    # the colleague has nothing of their own: the deadline decides
    assert [i.id for i in overdue.todo(world["colleague"], DECEMBER_8).items] == [first.id, later.id, own.id]
    assert [i.id for i in overdue.todo(world["member"], DECEMBER_8, limit=1).items] == [own.id]
    assert overdue.todo(world["member"], DECEMBER_8, limit=1).more == 2
    assert overdue.todo(world["bureau"], DECEMBER_8) == overdue.Todo()      # no team of their own
    assert overdue.todo(world["member"], DECEMBER_8, task_force_id=world["other"].id) == overdue.Todo()
    assert [i.title for i in overdue.todo(world["outsider"], DECEMBER_8).items] == ["别的专班"]
    rows, total = overdue.open_of_team(world["team"].id, limit=2)
    assert [i.id for i in rows] == [first.id, later.id] and total == 3


def _sheet(exported):
    book = load_workbook(io.BytesIO(exported.data))
    return [[c.value for c in row] for row in book["督办事项"].iter_rows()]


def test_export_has_the_lists_rows_and_filters_and_only_what_the_person_reads(world):
    late = _item(world, "=用地指标", 7, project=world["project"].id, responsible=world["member"].id,
                 instruction="请尽快协调。", instruction_by="王副市长", instruction_on=DECEMBER_8)
    soon = _item(world, "环评批复", -3, priority="urgent")
    _item(world, "别的专班", 1, team="other")
    everything = export.export(world["bureau"], listing.Filters(), "全部")
    rows = _sheet(everything)
    assert rows[0][0].startswith("督办事项（全部）导出于 ") and rows[1] == export.HEADER
    assert len(rows) == 5 and everything.rows == 3
    first = dict(zip(export.HEADER, rows[2]))
    assert first["编号"] == late.id and first["标题"] == "'=用地指标"        # text, never a formula
    assert (first["责任专班"], first["项目"], first["责任人"], first["逾期天数"], first["优先级"],
            first["状态"]) == ("JXHG专班", "精细化工一期", "member", 7, "一般", "待办")
    assert first["办理期限"].date() == DECEMBER_8 - D(7) and first["批示领导"] == "王副市长"
    assert first["交办人"] == "bureau" and first["交办时间"]
    by_member = _sheet(export.export(world["member"], listing.Filters(), "本专班"))
    assert [r[1] for r in by_member[2:]] == ["'=用地指标", "环评批复"]          # not the other team's
    urgent = export.export(world["member"], listing.Filters(priority="urgent"), "紧急")
    assert [r[0] for r in _sheet(urgent)[2:]] == [soon.id]
    assert [r[0] for r in _sheet(export.export(world["bureau"], listing.Filters(overdue=True)))[2:]] == [
        late.id, SupervisionItem.get(SupervisionItem.title == "别的专班").id]
    assert urgent.filename.startswith("督办事项_紧急_") and urgent.filename.endswith(".xlsx")
    assert "filename*=UTF-8''" in urgent.content_disposition()


def test_scope_names_say_what_was_exported():
    f = listing.Filters
    assert export.scope_name(f()) == "全部"
    assert export.scope_name(f(), sees_all=False) == "本专班"
    assert export.scope_name(f(state="open", overdue=True), "JXHG专班") == "JXHG专班_待办_逾期"
    assert export.scope_name(f(priority="key", this_week=True)) == "重点_本周到期"
