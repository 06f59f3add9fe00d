"""Two people writing the same project at the same moment, on every backend: real
threads released together by a barrier, then the rows are counted
(docs/design.md, The write path)."""
import datetime
from decimal import Decimal

import pytest

from tests.factories import make_project, make_user
from tests.races import run_together
from tracker import clock
from tracker.domain import pipeline
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, Project, StageEvent
from tracker.services.ledger import projects

ROUNDS = 3


@pytest.fixture
def people(db, team):
    return (make_user("alice", "member", task_forces=[team]),
            make_user("bob", "member", task_forces=[team]))


def _day(n=0):
    return clock.today() - datetime.timedelta(days=n)


def _stage_rows(project_id):
    events = list(StageEvent.select().where(StageEvent.project == project_id)
                  .order_by(StageEvent.id))
    audits = AuditLog.select().where((AuditLog.entity == "project")
                                     & (AuditLog.entity_id == project_id)
                                     & (AuditLog.action == "stage")).count()
    return events, audits


def _assert_chain(events):
    """The history is one chain: each event starts from the stage the one before reached."""
    for before, after in zip(events, events[1:]):
        assert after.from_stage == before.stage


def _split(outcomes):
    wins = [r for r, e in outcomes if e is None]
    losses = [e for r, e in outcomes if e is not None]
    for exc in losses:
        assert isinstance(exc, ValidationError), repr(exc)
    return wins, losses


def test_two_identical_advances_make_one_event(app, team, people):
    for n in range(ROUNDS):
        p = make_project(team, f"项目{n}", on=_day(10))
        outcomes = run_together(app, *[
            (lambda u=u: projects.change_stage(u, p.id, pipeline.PACKAGED, on=_day(1),
                                               expected_stage=pipeline.RESERVE))
            for u in people])
        wins, losses = _split(outcomes)
        assert len(wins) == 1 and len(losses) == 1
        assert "stage" in losses[0].errors
        events, audits = _stage_rows(p.id)
        assert [e.stage for e in events] == [pipeline.RESERVE, pipeline.PACKAGED]
        assert audits == 1
        row = Project.get_by_id(p.id)
        assert row.stage == pipeline.PACKAGED and row.version == 2


def test_a_stage_change_that_does_not_say_what_it_expects_is_refused(app, team, people):
    """Issue 23: a client that leaves out the stage it saw (a script, an old page) gets a
    message and writes nothing, so a 退库 racing an advance can never both apply."""
    p = make_project(team, "项目", on=_day(10), stage=pipeline.SIGNED, contract_value="5000")
    outcomes = run_together(
        app,
        lambda: projects.change_stage(people[0], p.id, pipeline.DROPPED, on=_day(1), reason="撤资"),
        lambda: projects.change_stage(people[1], p.id, pipeline.STARTED, on=_day(1),
                                      expected_stage=pipeline.SIGNED))
    (_, refused), (event, error) = outcomes
    assert error is None and event is not None
    assert refused.errors["stage"] == projects.NO_EXPECTED_STAGE
    events, audits = _stage_rows(p.id)
    assert [e.stage for e in events] == [pipeline.SIGNED, pipeline.STARTED] and audits == 1


def test_drop_racing_advance_one_wins_and_history_stays_a_chain(app, team, people):
    for n in range(ROUNDS):
        p = make_project(team, f"项目{n}", on=_day(10), stage=pipeline.SIGNED,
                         contract_value="5000")
        outcomes = run_together(
            app,
            lambda: projects.change_stage(people[0], p.id, pipeline.DROPPED, on=_day(1),
                                          reason="投资方撤资", expected_stage=pipeline.SIGNED),
            lambda: projects.change_stage(people[1], p.id, pipeline.STARTED, on=_day(1),
                                          expected_stage=pipeline.SIGNED))
        wins, losses = _split(outcomes)
        assert len(wins) == 1 and len(losses) == 1
        events, audits = _stage_rows(p.id)
        assert len(events) == 2 and audits == 1
        _assert_chain(events)
        assert Project.get_by_id(p.id).stage == wins[0].stage


def test_stage_change_racing_an_edit_loses_no_field(app, team, people):
    """Without a version the edit waits for the lock and keeps the stage change;
    with the version the form showed, the later one is refused as stale."""
    for n in range(ROUNDS):
        p = make_project(team, f"项目{n}", on=_day(10))
        outcomes = run_together(
            app,
            lambda: projects.change_stage(people[0], p.id, pipeline.NEGOTIATING, on=_day(1),
                                          expected_stage=pipeline.RESERVE),
            lambda: projects.update_project(people[1], p.id, next_step="约见董事长",
                                            planned_investment="2000",
                                            change_kind="correction", change_reason="录入错误"))
        assert [e for _, e in outcomes] == [None, None]
        row = Project.get_by_id(p.id)
        assert row.stage == pipeline.NEGOTIATING
        assert row.next_step == "约见董事长" and row.planned_investment == Decimal("2000")
        assert row.negotiating_on == _day(1) and row.version == 3


def test_edit_with_a_stale_version_is_refused(app, team, people):
    for n in range(ROUNDS):
        p = make_project(team, f"项目{n}", on=_day(10))
        shown = Project.get_by_id(p.id).version
        outcomes = run_together(
            app,
            lambda: projects.update_project(people[0], p.id, version=shown, problems="用地指标"),
            lambda: projects.update_project(people[1], p.id, version=shown, problems="环评"))
        wins, losses = _split(outcomes)
        assert len(wins) == 1 and len(losses) == 1
        assert losses[0].errors == {"version": "此项目已被他人修改，请刷新后重试。"}
        row = Project.get_by_id(p.id)
        assert row.problems == wins[0].problems and row.version == shown + 1
        updates = AuditLog.select().where((AuditLog.entity_id == p.id)
                                          & (AuditLog.action == "update")).count()
        assert updates == 1


def test_look_alike_twins_created_at_once_make_one_project(app, team, people):
    names = [("精细化工新材料项目", "辽宁某某化工有限公司"),
             ("精细化工\u200b新材料项目", "辽宁某某化工有限责任公司")]
    for n in range(ROUNDS):
        outcomes = run_together(app, *[
            (lambda u=u, name=name, inv=inv: projects.create_project(
                u, task_force=team.id, name=f"{name}{n}", investor=inv,
                planned_investment="1000", on=_day(1)))
            for u, (name, inv) in zip(people, names)])
        wins, losses = _split(outcomes)
        assert len(wins) == 1 and len(losses) == 1
        assert "name" in losses[0].errors
    assert Project.select().count() == ROUNDS
    assert AuditLog.select().where(AuditLog.action == "create").count() == ROUNDS
