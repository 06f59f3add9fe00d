"""Nightly recompute: repair drifted first-reached / last-progress columns."""
import datetime
import json


from tests.factories import make_project
from tracker.domain import pipeline
from tracker.models import AuditLog, FundReceipt, Project, StageEvent
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.figures import recompute

projects = backfill_ledger(ledger_projects)

D = datetime.date
AS_OF = D(2026, 9, 30)


def reload(project):
    return Project.get_by_id(project.id)


def drift(project, **values):
    Project.update(**values).where(Project.id == project.id).execute()


def test_in_sync_ledger_needs_no_repair(team):
    p = make_project(team, "甲", on=D(2026, 1, 5), stage=pipeline.NEGOTIATING)
    projects.change_stage(None, p, pipeline.SIGNED, on=D(2026, 3, 1), contract_value="100")
    result = recompute.recompute(AS_OF)
    assert result.repaired == 0 and "无偏差" in result.summary()
    assert AuditLog.select().where(AuditLog.action == "repair").count() == 0


def test_missing_and_later_dates_move_earlier_and_skips_count(team):
    p = make_project(team, "甲", on=D(2026, 1, 5), stage=pipeline.PACKAGED)
    projects.change_stage(None, p, pipeline.SIGNED, on=D(2026, 3, 1), contract_value="100")
    # drift: negotiating lost, packaged later than history, signed later too
    drift(p, negotiating_on=None, packaged_on=D(2026, 2, 1), signed_on=D(2026, 4, 1))
    result = recompute.recompute(AS_OF)
    fresh = reload(p)
    assert fresh.packaged_on == D(2026, 1, 5)
    assert fresh.negotiating_on == D(2026, 3, 1)  # skipped past on the signing day
    assert fresh.signed_on == D(2026, 3, 1)
    assert fresh.started_on is None and fresh.at_capacity_on is None
    assert result.repaired == 1
    assert result.first_reached[pipeline.PACKAGED] == 1
    log = AuditLog.get(AuditLog.action == "repair")
    assert log.entity_id == p.id and log.user_id is None
    assert json.loads(log.before)["signed_on"] == "2026-04-01"
    assert json.loads(log.after)["signed_on"] == "2026-03-01"
    assert recompute.recompute(AS_OF).repaired == 0  # idempotent


def test_a_date_is_never_moved_later(team):
    p = make_project(team, "甲", on=D(2026, 5, 5), stage=pipeline.PACKAGED)
    drift(p, packaged_on=D(2025, 12, 1))  # earlier than any event: left alone
    assert recompute.recompute(AS_OF).repaired == 0
    assert reload(p).packaged_on == D(2025, 12, 1)


def test_capacity_only_from_its_own_event_and_redo_does_not_count_again(team):
    p = make_project(team, "甲", on=D(2026, 1, 5), stage=pipeline.PRODUCING, contract_value="9")
    projects.change_stage(None, p, pipeline.STARTED, on=D(2026, 2, 1), note="退回")
    projects.change_stage(None, p, pipeline.PRODUCING, on=D(2026, 6, 1))
    drift(p, producing_on=None)
    recompute.recompute(AS_OF)
    fresh = reload(p)
    assert fresh.producing_on == D(2026, 1, 5)  # first time, not the redo
    assert fresh.at_capacity_on is None  # 达产 is never implied


def test_history_after_as_of_is_ignored(team):
    p = make_project(team, "甲", on=D(2026, 1, 5), stage=pipeline.PACKAGED)
    StageEvent.create(project=p, from_stage=pipeline.PACKAGED, stage=pipeline.NEGOTIATING,
                      occurred_on=D(2026, 10, 20))
    assert recompute.recompute(AS_OF).repaired == 0
    assert reload(p).negotiating_on is None
    recompute.recompute(D(2026, 10, 20))
    assert reload(p).negotiating_on == D(2026, 10, 20)


def test_last_progress_only_moves_later(team):
    p = make_project(team, "甲", on=D(2026, 1, 5), stage=pipeline.SIGNED, contract_value="50")
    FundReceipt.create(project=p, received_on=D(2026, 8, 8), amount="10")
    drift(p, last_progress_on=D(2026, 1, 5))
    q = make_project(team, "乙", on=D(2026, 1, 5))
    drift(q, last_progress_on=D(2026, 9, 1))  # later than history (e.g. a progress note)
    result = recompute.recompute(AS_OF)
    assert reload(p).last_progress_on == D(2026, 8, 8)
    assert reload(q).last_progress_on == D(2026, 9, 1)
    assert result.last_progress == 1 and "最近进展 1" in result.summary()


def test_implied_stages():
    assert recompute.implied_stages(pipeline.NEGOTIATING) == (
        pipeline.NEGOTIATING, pipeline.SIGNED, pipeline.STARTED, pipeline.PRODUCING,
        pipeline.AT_CAPACITY)
    assert recompute.implied_stages(pipeline.AT_CAPACITY) == (pipeline.AT_CAPACITY,)
