"""督办 (issue 22): the lifecycle 待办 → 办理中 → 已办结 → (退回) 办理中, who may do what, bad
input writing nothing, the list's filters and counts, and a reply racing a close decided by
the lock (no reply lost, none added to a closed item). Every backend."""
import datetime

import pytest

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tests.races import run_together
from tracker.domain import supervision as rules
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, SupervisionItem, SupervisionReply
from tracker.services.supervision import items, listing

pytestmark = pytest.mark.usefixtures("december_8")
D = datetime.timedelta


@pytest.fixture
def world(db):
    team, other = make_task_force("JXHG"), make_task_force("XCL")
    return {"team": team, "member": make_user("member", task_forces=[team]),
            "lead": make_user("lead", role="lead", task_forces=[team]),
            "outsider": make_user("outsider", task_forces=[other]),
            "bureau": make_user("bureau", role="bureau"),
            "project": make_project(team, "精细化工一期", on=DECEMBER_8 - D(30))}


def _open(world, **kw):
    values = dict(title="用地指标协调", problem="项目用地指标未落实，影响开工。", task_force=world["team"].id,
                  project=world["project"].id, deadline=DECEMBER_8 + D(5), priority="key",
                  instruction="请于周五前报送进展。", instruction_by="王副市长", instruction_on=DECEMBER_8)
    values.update(kw)
    return items.open_item(world["bureau"], **values)


def test_the_lifecycle_and_its_thread(world):
    item = _open(world)
    assert item.state == rules.OPEN and item.opened_by_id == world["bureau"].id
    items.reply(world["member"], item.id, "已对接自然资源局，下周上会。")
    assert SupervisionItem.get_by_id(item.id).state == rules.IN_PROGRESS
    with pytest.raises(ValidationError, match="商务局"):
        items.close(world["lead"], item.id, "办完了")
    items.close(world["bureau"], item.id, "用地指标已落实。")
    with pytest.raises(ValidationError) as refused:
        items.reply(world["lead"], item.id, "补充说明")
    assert "已办结" in refused.value.errors["text"]
    items.reopen(world["bureau"], item.id, "开工手续仍缺，退回继续办理。")
    assert SupervisionItem.get_by_id(item.id).state == rules.IN_PROGRESS
    assert [r.kind for r in listing.thread(item.id)] == ["reply", "close", "reopen"]
    assert [a.action for a in AuditLog.select().where(AuditLog.entity == "supervision_item")
            .order_by(AuditLog.id)] == ["create", "reply", "close", "reopen"]


@pytest.mark.parametrize("change, field", [
    ({"title": " "}, "title"),
    ({"problem": "长" * 2001}, "problem"),
    ({"deadline": DECEMBER_8 - D(1)}, "deadline"),
    ({"priority": "最高"}, "priority"),
    ({"task_force": None}, "task_force"),
])
def test_bad_input_writes_nothing(world, change, field):
    with pytest.raises(ValidationError) as refused:
        _open(world, **change)
    assert field in refused.value.errors and SupervisionItem.select().count() == 0


def test_links_and_permissions(world):
    with pytest.raises(ValidationError) as refused:
        _open(world, responsible=world["outsider"].id)
    assert "responsible" in refused.value.errors
    with pytest.raises(ValidationError, match="商务局"):
        items.open_item(world["member"], title="x", problem="y", task_force=world["team"].id,
                        deadline=DECEMBER_8)
    item = _open(world, responsible=world["member"].id)
    with pytest.raises(ValidationError, match="责任专班"):
        items.reply(world["outsider"], item.id, "不是我们的事")
    assert SupervisionReply.select().count() == 0


def test_filters_and_counts(world):
    late = _open(world, title="逾期事项", deadline=DECEMBER_8)
    SupervisionItem.update(deadline=DECEMBER_8 - D(3)).where(SupervisionItem.id == late.id).execute()
    _open(world, title="本周到期", deadline=DECEMBER_8 + D(2))
    done = _open(world, title="已办结", deadline=DECEMBER_8 + D(20))
    items.close(world["bureau"], done.id, "已办")
    member = world["member"]
    assert [i.title for i in listing.filtered(member, listing.Filters(overdue=True))] == ["逾期事项"]
    assert [i.title for i in listing.filtered(member, listing.Filters(this_week=True))] == ["本周到期"]
    assert listing.counts(member) == {"open": 2, "in_progress": 0, "closed": 1, "overdue": 1}
    assert listing.filtered(world["outsider"], listing.Filters()).count() == 0


def test_a_reply_racing_a_close_is_decided_by_the_lock(app, world):
    for n in range(3):
        item = _open(world, title=f"并发事项{n}")
        items.reply(world["member"], item.id, "第一次反馈")
        outcomes = run_together(app, lambda: items.reply(world["lead"], item.id, "同时反馈"),
                                lambda: items.close(world["bureau"], item.id, "同时办结"))
        kinds = [r.kind for r in listing.thread(item.id)]
        closed_first = outcomes[0][1] is not None
        if closed_first:   # the reply came second: refused, nothing added after the close
            assert isinstance(outcomes[0][1], ValidationError) and kinds == ["reply", "close"]
        else:              # the reply came first: both written, in that order
            assert kinds == ["reply", "reply", "close"]
        assert outcomes[1][1] is None and SupervisionItem.get_by_id(item.id).state == rules.CLOSED
