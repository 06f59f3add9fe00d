"""Quarter close: frozen snapshots, worked out by hand, never rewritten."""
import datetime
from decimal import Decimal

import pytest

from tests.factories import make_project, make_task_force
from tracker import jobs
from tracker.domain import pipeline
from tracker.models import QuarterSnapshot
from tracker.services.progress import report, snapshots
from tracker.services.progress import options as progress_options
from tracker.services.targets import annual
from tracker.services.progress.snapshots import SnapshotRow


@pytest.fixture
def team(db):
    team = make_task_force("TF1")
    annual.set_target(None, team, 2026, "signed_value", "200000")
    annual.set_target(None, team, 2026, "negotiations", "20")
    return team


def frozen(team, metric, quarter=1, year=2026):
    return QuarterSnapshot.get((QuarterSnapshot.task_force == team.id)
                               & (QuarterSnapshot.metric == metric)
                               & (QuarterSnapshot.year == year)
                               & (QuarterSnapshot.quarter == quarter))


def values(snapshot):
    return {f: getattr(snapshot, f) for f in (
        "target", "target_version", "checkpoint_share", "checkpoint_target", "catch_up_target",
        "quarter_actual", "cumulative_actual", "completion", "time_progress", "gap_points",
        "status", "frozen_at")}


@pytest.mark.parametrize("day, closed", [
    (datetime.date(2026, 1, 1), (2025, 4)),
    (datetime.date(2026, 4, 1), (2026, 1)),
    (datetime.date(2026, 7, 1), (2026, 2)),
    (datetime.date(2026, 10, 1), (2026, 3)),
    (datetime.date(2026, 8, 15), (2026, 2)),
])
def test_closed_quarter_before(day, closed):
    assert snapshots.closed_quarter_before(day) == closed


def test_quarter_close_freezes_hand_computed_numbers(app, team):
    make_project(team, "甲", on=datetime.date(2026, 2, 10), stage=pipeline.SIGNED,
                 contract_value="50000")
    make_project(team, "乙", on=datetime.date(2026, 3, 31), stage=pipeline.NEGOTIATING)
    make_project(team, "丙", on=datetime.date(2026, 4, 1), stage=pipeline.SIGNED,
                 contract_value="99999")  # Q2: not in Q1

    detail = jobs.quarter_close(app, datetime.date(2026, 4, 1))
    assert "2026年第1季度" in detail

    signed = frozen(team, "signed_value")
    assert signed.target == Decimal("200000.00") and signed.target_version == 1
    assert signed.checkpoint_share == Decimal("25.00")
    assert signed.checkpoint_target == Decimal("50000.00")
    assert signed.quarter_actual == Decimal("50000.00")
    assert signed.cumulative_actual == Decimal("50000.00")
    assert signed.completion == Decimal("25.00")
    assert signed.time_progress == Decimal("25.00")
    assert signed.gap_points == Decimal("0.00")
    assert signed.status == "green"
    # remaining 150000 spread over Q2..Q4
    assert signed.catch_up_target == Decimal("50000.00")

    # 甲 signed (skipping 洽谈) and 乙 negotiating: 2 of 20 = 10% vs 25% time
    nego = frozen(team, "negotiations")
    assert nego.quarter_actual == Decimal("2.00") and nego.completion == Decimal("10.00")
    assert nego.gap_points == Decimal("-15.00") and nego.status == "orange"
    assert nego.catch_up_target == Decimal("6.00")

    # no target for packaged value: frozen as grey with the actual only
    packaged = frozen(team, "packaged_value")
    assert packaged.target is None and packaged.completion is None and packaged.status == "grey"
    assert packaged.quarter_actual == Decimal("2000.00")
    assert QuarterSnapshot.select().count() == 4  # one per metric


def test_snapshot_unchanged_by_later_ledger_edits(app, team):
    first = make_project(team, "甲", on=datetime.date(2026, 2, 10), stage=pipeline.SIGNED,
                         contract_value="50000")
    jobs.quarter_close(app, datetime.date(2026, 4, 1))
    before = {s.metric: values(s) for s in QuarterSnapshot.select()}

    # back-dated signing in Q1, a target change, a project moved, another close
    make_project(team, "迟报项目", on=datetime.date(2026, 3, 15), stage=pipeline.SIGNED,
                 contract_value="30000")
    annual.set_target(None, team, 2026, "signed_value", "300000", reason="调整")
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    projects = backfill_ledger(ledger_projects)
    projects.update_project(None, first, contract_value="70000", change_kind="correction",
                            change_reason="录入错误")
    live = {r.metric: r for r in report.quarter_results(2026, 1)}
    assert live["signed_value"].cumulative == Decimal("100000.00")  # the ledger did change

    jobs.quarter_close(app, datetime.date(2026, 4, 1))
    result = snapshots.freeze_quarter(2026, 1)
    assert (result.created, result.kept) == (0, 4)
    after = {s.metric: values(s) for s in QuarterSnapshot.select()}
    assert after == before
    assert after["signed_value"]["cumulative_actual"] == Decimal("50000.00")
    assert after["signed_value"]["target"] == Decimal("200000.00")


def test_freeze_explicit_rows_inserts_only_missing(team):
    rows = [SnapshotRow(task_force_id=team.id, metric="signed_value",
                        quarter_actual=Decimal("1.005"), cumulative_actual=Decimal("3"),
                        target=Decimal("100"), completion=Decimal("3"), status="red")]
    first = snapshots.freeze_quarter(2026, 2, rows=rows)
    assert (first.created, first.kept, first.key) == (1, 0, "2026Q2")
    snap = frozen(team, "signed_value", quarter=2)
    assert snap.quarter_actual == Decimal("1.01") and snap.cumulative_actual == Decimal("3.00")

    changed = [SnapshotRow(task_force_id=team.id, metric="signed_value",
                           quarter_actual=Decimal("9"), cumulative_actual=Decimal("9")),
               SnapshotRow(task_force_id=team.id, metric="negotiations",
                           quarter_actual=Decimal("1"), cumulative_actual=Decimal("1"))]
    second = snapshots.freeze_quarter(2026, 2, rows=changed)
    assert (second.created, second.kept) == (1, 1)
    assert frozen(team, "signed_value", quarter=2).quarter_actual == Decimal("1.01")
    assert snapshots.frozen_quarters(2026) == [2]
    assert snapshots.is_frozen(2026, 2) and not snapshots.is_frozen(2026, 1)
    assert set(snapshots.snapshots(2026)) == {(team.id, "signed_value", 2),
                                              (team.id, "negotiations", 2)}


def test_inactive_task_forces_are_not_frozen(app, team):
    make_task_force("OLD", active=False)
    jobs.quarter_close(app, datetime.date(2026, 7, 1))
    assert {s.task_force_id for s in QuarterSnapshot.select()} == {team.id}


def test_bad_quarter_is_refused(db):
    with pytest.raises(ValueError):
        snapshots.freeze_quarter(2026, 5, rows=[])


def test_freeze_judges_with_the_given_options(team):
    make_project(team, "甲", on=datetime.date(2026, 2, 1), stage=pipeline.SIGNED,
                 contract_value="1000")
    live = {r.metric: r for r in report.quarter_results(2026, 1)}
    assert live["signed_value"].status == "orange"     # default bands: gap -24.5 points
    strict = progress_options.options_from({"PROGRESS_STATUS_BANDS": (0, -10, -20)})
    snapshots.freeze_quarter(2026, 1, options=strict)
    assert frozen(team, "signed_value").status == "red"


def test_close_after_a_new_task_force_freezes_only_it(app, team):
    from tracker.db import database
    make_project(team, "甲", on=datetime.date(2026, 2, 10), stage=pipeline.SIGNED,
                 contract_value="50000")
    first = snapshots.freeze_quarter(2026, 1)
    assert (first.task_forces, first.kept_task_forces, first.created) == (1, 0, 4)
    raw = "SELECT * FROM quarter_snapshot ORDER BY id"
    before = database.execute_sql(raw).fetchall()
    assert snapshots.unfrozen_task_forces(2026, 1) == []

    late = make_task_force("LATE")
    make_task_force("GONE", active=False)
    make_project(team, "迟报", on=datetime.date(2026, 3, 1), stage=pipeline.SIGNED,
                 contract_value="1")
    assert snapshots.unfrozen_task_forces(2026, 1) == [late.id]
    assert jobs.quarter_close_incomplete(datetime.date(2026, 4, 1))
    second = snapshots.freeze_quarter(2026, 1)
    assert (second.task_forces, second.created, second.kept_task_forces, second.kept) == (
        1, 4, 1, 4)
    assert "冻结 1 个专班（4 条），已冻结未改动 1 个专班（4 条）" in second.summary()
    assert database.execute_sql(raw).fetchall()[:4] == before
    assert snapshots.unfrozen_task_forces(2026, 1) == []
    figures = snapshots.frozen_figures(2026, 1)
    assert [(f.code, f.metric) for f in figures][:2] == [("LATE", "funds_received"),
                                                          ("LATE", "negotiations")]
    assert {f.code for f in figures} == {"LATE", "TF1"}
    signed = next(f for f in figures if (f.code, f.metric) == ("TF1", "signed_value"))
    assert signed.cumulative_actual == Decimal("50000.00") and signed.target_version == 1
