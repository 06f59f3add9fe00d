"""The follow-up log (issue 21): an activity on a project is progress in the same
transaction (and the nightly scan agrees), one without a project moves nothing, an edit or
a void gives the progress back, a member's entry dated into a closed quarter is a 更正申请,
bad input writes nothing, two edits of one activity at once: one wins. Every backend."""
import datetime

import pytest

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tests.races import run_together
from tracker.domain import pipeline
from tracker.domain.errors import ValidationError
from tracker.models import Activity, ActivityProject, AuditLog, CorrectionRequest, Project, StaleFlag
from tracker.services.activities import listing, log
from tracker.services.figures import recompute
from tracker.services.reviews import requests
from tracker.services.staleness import flags

TODAY = DECEMBER_8
D = datetime.timedelta

pytestmark = pytest.mark.usefixtures("december_8")


@pytest.fixture
def world(db):
    team = make_task_force("JXHG")
    other = make_task_force("XCL")
    return {"team": team, "other": other, "member": make_user("member", task_forces=[team]),
            "outsider": make_user("outsider", task_forces=[other]),
            "bureau": make_user("bureau", role="bureau"),
            "old": make_project(team, "老项目", on=TODAY - D(70), stage=pipeline.NEGOTIATING),
            "theirs": make_project(other, "别家项目", on=TODAY - D(10))}


def _visit(world, day, projects=(), **kw):
    values = dict(task_force=world["team"].id, kind="visit", occurred_on=day, counterpart="中化集团",
                  summary="赴京拜访中化集团，商谈二期投资。", projects=[p.id for p in projects])
    user = kw.pop("user", world["member"])
    values.update(kw)
    return log.log(user, **values)


def test_an_activity_on_a_project_is_progress_and_clears_its_flag(world):
    flags.scan(TODAY)
    assert StaleFlag.select().where(StaleFlag.cleared_on.is_null()).count() == 1
    activity = _visit(world, TODAY - D(1), [world["old"]], counterpart_tags=["央企", "世界500强"])
    row = Project.get_by_id(world["old"].id)
    assert row.last_progress_on == TODAY - D(1) and row.version == 2
    assert StaleFlag.select().where(StaleFlag.cleared_on.is_null()).count() == 0
    flags.scan(TODAY)       # the nightly scan agrees
    assert StaleFlag.select().where(StaleFlag.cleared_on.is_null()).count() == 0
    assert recompute.last_activity_of(row.id) == TODAY - D(1)
    assert activity.tag_list == ["央企", "世界500强"]
    audit_row = AuditLog.select().where(AuditLog.entity == "activity").get()
    assert audit_row.action == "create" and f"{world['old'].id}" in audit_row.after


def test_an_activity_without_a_project_or_before_the_last_progress_moves_nothing(world):
    before = Project.get_by_id(world["old"].id)
    _visit(world, TODAY - D(2))
    assert Project.get_by_id(world["old"].id).version == before.version
    row = make_project(world["team"], "新项目", on=TODAY - D(3))
    _visit(world, TODAY - D(5), [row])          # earlier than its last progress
    assert Project.get_by_id(row.id).last_progress_on == TODAY - D(3)


def test_a_void_gives_the_progress_back_and_the_scan_raises_the_flag_again(world):
    activity = _visit(world, TODAY - D(1), [world["old"]])
    with pytest.raises(ValidationError) as refused:
        log.void(world["member"], activity.id, " ")
    assert "reason" in refused.value.errors
    log.void(world["member"], activity.id, "记错了项目")
    assert Project.get_by_id(world["old"].id).last_progress_on == TODAY - D(70)
    flags.scan(TODAY)
    assert StaleFlag.select().where(StaleFlag.cleared_on.is_null()).count() == 1
    assert listing.filtered(world["member"], listing.Filters()).count() == 0
    assert listing.filtered(world["member"], listing.Filters(voided=True)).count() == 1


def test_an_edit_moving_the_activity_to_another_project_moves_the_progress(world):
    activity = _visit(world, TODAY - D(1), [world["old"]])
    fresh = make_project(world["team"], "另一个项目", on=TODAY - D(20))
    log.edit(world["member"], activity.id, version=1, task_force=world["team"].id, kind="call",
             occurred_on=TODAY - D(1), summary="电话跟进", projects=[fresh.id])
    assert Project.get_by_id(world["old"].id).last_progress_on == TODAY - D(70)
    assert Project.get_by_id(fresh.id).last_progress_on == TODAY - D(1)
    assert [link.project_id for link in ActivityProject.select()] == [fresh.id]
    with pytest.raises(ValidationError) as stale:
        log.edit(world["member"], activity.id, version=1, task_force=world["team"].id, kind="call",
                 occurred_on=TODAY, summary="又改", projects=[])
    assert "version" in stale.value.errors


@pytest.mark.parametrize("change, field", [
    ({"summary": "  "}, "summary"),
    ({"kind": "party"}, "kind"),
    ({"occurred_on": TODAY + D(1)}, "occurred_on"),
    ({"leader_led": True}, "leader_title"),
    ({"region": "火星"}, "region"),
    ({"counterpart_tags": ["不存在的标签"]}, "counterpart_tags"),
    ({"summary": "长" * 2001}, "summary"),
])
def test_bad_input_writes_nothing(world, change, field):
    change = dict(change)   # shared by the backends' runs
    with pytest.raises(ValidationError) as refused:
        _visit(world, change.pop("occurred_on", TODAY), [world["old"]], **change)
    assert field in refused.value.errors
    assert Activity.select().count() == 0 and Project.get_by_id(world["old"].id).version == 1


def test_projects_of_another_team_and_other_teams_members_are_refused(world):
    with pytest.raises(ValidationError) as refused:
        _visit(world, TODAY, [world["theirs"]])
    assert "projects" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        _visit(world, TODAY, user=world["outsider"])
    assert "__all__" in refused.value.errors
    assert Activity.select().count() == 0


def test_a_member_logs_a_closed_quarter_activity_by_request(world):
    filed = _visit(world, datetime.date(2026, 9, 15), [world["old"]], closed_reason="九月拜访漏记")
    assert requests.is_request(filed) and filed.action == "activity"
    assert Activity.select().count() == 0
    requests.approve(world["bureau"], filed.id)
    activity = Activity.get()
    assert activity.occurred_on == datetime.date(2026, 9, 15) and activity.counterpart == "中化集团"
    assert CorrectionRequest.get_by_id(filed.id).result == f"跟进记录 #{activity.id}"


def test_two_edits_of_one_activity_at_once_one_wins(app, world):
    activity = _visit(world, TODAY - D(1), [world["old"]])
    outcomes = run_together(app, *[
        (lambda text=text: log.edit(world["member"], activity.id, version=1, task_force=world["team"].id,
                                    kind="visit", occurred_on=TODAY - D(1), summary=text,
                                    projects=[world["old"].id]))
        for text in ("第一人修改", "第二人修改")])
    wins = [r for r, e in outcomes if e is None]
    losses = [e for r, e in outcomes if e is not None]
    assert len(wins) == 1 and len(losses) == 1 and "version" in losses[0].errors
    assert Activity.get_by_id(activity.id).version == 2
