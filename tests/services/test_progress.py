"""Progress report over the hand-built ledger (see ledger_fixture for the numbers)."""
import datetime
from decimal import Decimal

from tracker import clock
from tracker.domain.milestones import PENDING
from tracker.models import TaskForceTarget
from tracker.services import dataversion
from tracker.services.progress import report as PR
from tracker.services.progress.options import ProgressOptions
from tracker.services.progress import options as progress_options
from tracker.services.targets import annual as T
from tracker.services.targets.counties import set_county_target

from .ledger_fixture import build

D = datetime.date
DT = datetime.datetime
Dec = Decimal


def _set_at(team, metric, version, at):
    """Back-date one target version (set_at is stored in UTC); a write behind the services'
    back, so it moves the reports' data version itself."""
    TaskForceTarget.update(set_at=at).where(
        (TaskForceTarget.task_force == team.id) & (TaskForceTarget.metric == metric)
        & (TaskForceTarget.version == version)).execute()
    dataversion.bump()


def _targets(L):
    u, tf1 = L["user"], L["tf1"]
    T.set_target(u, tf1, 2026, "packaged_value", "100000")
    T.set_target(u, tf1, 2026, "negotiations", "4")
    T.set_target(u, tf1, 2026, "signed_value", "10000")
    T.set_target(u, tf1, 2026, "signed_value", "20000", "上调")     # version 2
    # all set in January, so every view of the year judges with the newest versions
    for key in ("packaged_value", "negotiations", "signed_value"):
        _set_at(tf1, key, 1, DT(2026, 1, 5, 2))
    _set_at(tf1, "signed_value", 2, DT(2026, 1, 20, 2))


def test_report_mid_year(db):
    L = build()
    _targets(L)
    report = PR.build_report(2026, D(2026, 6, 30))
    assert report.time_progress == Dec(50)
    assert [r.code for r in report.rows] == ["TF1", "TF2"]        # TF2 has no targets
    tf1 = report.row("TF1")

    signed = tf1.metrics["signed_value"]
    # actual 3000 (Feb) + 500 (增资 May) = 3500 of 20000 -> 17.50%, 50% of the year gone
    assert (signed.target, signed.target_version, signed.actual) == (Dec(20000), 2, Dec(3500))
    assert (signed.completion, signed.gap_points, signed.status) == \
        (Dec("17.50"), Dec("-32.50"), "red")
    assert signed.checkpoints == (Dec(5000), Dec(10000), Dec(15000), Dec(20000))
    assert [q.actual for q in signed.quarters] == [Dec(3000), Dec(500), Dec(0), Dec(0)]
    assert [q.cumulative for q in signed.quarters] == [Dec(3000), Dec(3500), Dec(3500),
                                                       Dec(3500)]
    assert [q.closed for q in signed.quarters] == [True, True, False, False]
    assert signed.quarters[0].status == "yellow"   # 15% vs 25% at 31 March: -10 points
    # Q3 must add 15000 - 3500 = 11500, then Q4 5000; even split of 16500 over 2 quarters
    assert [(c.quarter, c.needed, c.even_split) for c in signed.catch_up] == [
        (3, Dec(11500), Dec(8250)), (4, Dec(5000), Dec(8250))]
    assert signed.quarters[2].catch_up == Dec(11500) and signed.quarters[0].catch_up is None
    assert signed.remaining == Dec(16500)
    ms = signed.milestones
    assert (ms.kaimenhong, ms.shuangguoban, ms.q3, ms.full_year) == (False, False, PENDING,
                                                                     PENDING)
    # pipeline, no contract values yet so planned x 0.2: P4 reserve 400 x 0.1 +
    # P5 negotiating 200 x 0.6 (dropped P2 excluded)
    assert signed.forecast == Dec(3660) and signed.forecast_completion == Dec("18.30")

    neg = tf1.metrics["negotiations"]
    # Jan (P1), Mar (P5), Apr (P2, counted once despite the redo in June) = 3 of 4
    assert (neg.actual, neg.completion, neg.gap_points, neg.status) == \
        (Dec(3), Dec(75), Dec(25), "green")
    ms = neg.milestones
    # half (2) was reached at the end of March: 提前双过半
    assert (ms.kaimenhong, ms.shuangguoban, ms.shuangguoban_early) == (True, True, True)
    assert neg.forecast == Dec("3.10")

    packaged = tf1.metrics["packaged_value"]
    assert (packaged.actual, packaged.completion, packaged.status) == (Dec(9000), Dec(9), "red")
    assert packaged.forecast == Dec(9200)

    funds = tf1.metrics["funds_received"]
    assert (funds.target, funds.actual, funds.status, funds.completion) == \
        (None, Dec(1000), "grey", None)
    assert funds.milestones.kaimenhong is None

    assert tf1.rank == 1 and tf1.score == Dec("33.83")     # mean(9, 75, 17.5)
    assert tf1.status == "red"
    tf2 = report.row("TF2")
    assert (tf2.rank, tf2.score, tf2.status) == (2, None, "grey")
    assert tf2.metrics["packaged_value"].actual == Dec(250000)

    totals = report.totals
    assert totals["signed_value"].actual == Dec(3600) and totals["signed_value"].target == \
        Dec(20000)
    assert totals["packaged_value"].actual == Dec(259000)
    assert totals["signed_value"].forecast == Dec(3760)
    assert totals["funds_received"].target is None

    kinds = {(w.kind, w.task_force_id, w.metric) for w in report.warnings}
    assert ("behind", L["tf1"].id, "signed_value") in kinds
    assert ("no_target", L["tf2"].id, None) in kinds
    assert report.warnings[0].level == "red"


def test_counties(db):
    L = build()
    report = PR.build_report(2026, D(2026, 6, 30))
    c1, c2 = report.counties
    # C1: 1000 this year vs 400 last year (same period and full year) -> +150%
    assert (c1.actual, c1.last_year_same_period, c1.last_year_total) == (Dec(1000), Dec(400),
                                                                       Dec(400))
    assert (c1.base, c1.base_source, c1.target) == (Dec(400), "ledger", Dec(480))
    assert (c1.growth, c1.gap_points, c1.status) == (Dec(150), Dec(130), "green")
    # C2: no history and no base yet
    assert (c2.actual, c2.base, c2.base_source, c2.growth, c2.status) == \
        (Dec(0), None, "none", None, "grey")
    # by 31 March C1 had nothing last year (400 came in June) but 1000 this year
    c1 = PR.build_report(2026, D(2026, 3, 31)).counties[0]
    assert (c1.last_year_same_period, c1.growth, c1.status) == (Dec(0), None, "green")
    c1 = PR.build_report(2026, D(2026, 3, 1)).counties[0]
    assert (c1.actual, c1.growth, c1.status) == (Dec(0), None, "grey")
    # a hand-entered base: same period = base x time progress (50%)
    set_county_target(L["user"], L["c2"], 2026, base="1000", growth_pct="30")
    c2 = PR.build_report(2026, D(2026, 9, 30)).counties[1]
    assert (c2.actual, c2.base, c2.base_source, c2.target, c2.target_version) == \
        (Dec(2500), Dec(1000), "manual", Dec(1300), 1)
    assert (c2.last_year_same_period, c2.growth, c2.gap_points, c2.status) == \
        (Dec(750), Dec("233.33"), Dec("203.33"), "green")
    assert c2.completion == Dec("192.31")


def test_year_end_and_task_force_report(db):
    L = build()
    _targets(L)
    report = PR.build_report(2026, D(2026, 12, 31))
    tf1 = report.row("TF1").metrics
    assert tf1["signed_value"].actual == Dec(10500)
    assert tf1["signed_value"].forecast == Dec(10500)        # the year is over
    assert tf1["negotiations"].milestones.full_year is True
    assert tf1["signed_value"].milestones.full_year is False
    assert tf1["signed_value"].catch_up == ()
    alone = PR.task_force_report(L["tf1"], 2026, D(2026, 12, 31))
    assert alone.rank == 0
    assert {k: m.actual for k, m in alone.metrics.items()} == \
        {k: m.actual for k, m in tf1.items()}


def test_quarter_results_for_snapshots(db):
    L = build()
    _targets(L)
    rows = PR.quarter_results(2026, 1)
    assert len(rows) == 8                                   # 2 teams x 4 metrics
    signed = next(r for r in rows if r.code == "TF1" and r.metric == "signed_value")
    assert (signed.target, signed.target_version, signed.checkpoint) == (Dec(20000), 2,
                                                                         Dec(5000))
    assert (signed.quarter_actual, signed.cumulative, signed.completion) == \
        (Dec(3000), Dec(3000), Dec(15))
    assert (signed.time_progress, signed.gap_points, signed.status) == (Dec(25), Dec(-10),
                                                                        "yellow")
    q3 = {(r.code, r.metric): r for r in PR.quarter_results(2026, 3)}
    assert q3[("TF1", "packaged_value")].quarter_actual == Dec(9000)
    assert q3[("TF1", "packaged_value")].cumulative == Dec(18000)


def test_settings_from_config(app):
    app.config.update(PROGRESS_PRECISION="day", PROGRESS_STATUS_BANDS=[5, -5, -20],
                      FORECAST_PROBABILITIES={"reserve": "0"}, COUNTY_GROWTH_GOAL=15)
    with app.app_context():
        cfg = progress_options.options_from(app.config)
        assert cfg.precision == "day" and cfg.bands.green == 5
        assert cfg.probabilities["reserve"] == 0 and cfg.county_growth_goal == 15
        report = PR.build_report(2026, D(2026, 6, 30), cfg)
        assert report.time_progress == Dec("49.59") and report.rows == ()


def test_defaults_equal_the_built_in_options():
    from tracker.config import Defaults
    defaults = {k: getattr(Defaults, k) for k in dir(Defaults) if k.isupper()}
    assert progress_options.options_from(defaults) == progress_options.options_from({}) == ProgressOptions()


def test_options_from_config_mapping():
    opts = progress_options.options_from({"PROGRESS_PRECISION": "day", "PROGRESS_STATUS_BANDS": None,
                            "FORECAST_CONTRACT_SHARE": "0.5", "COUNTY_GROWTH_GOAL": 15})
    assert opts.precision == "day" and opts.bands == ProgressOptions().bands
    assert opts.contract_share == Dec("0.5") and opts.county_growth_goal == 15


def test_given_options_win_over_the_app_config(app):
    """The services judge with the options they are given (the defaults without any),
    never with the app's config."""
    app.config.update(PROGRESS_PRECISION="day")
    with app.app_context():
        opts = progress_options.options_from({"PROGRESS_PRECISION": "day"})
        assert PR.build_report(2026, D(2026, 6, 30), opts).time_progress == Dec("49.59")
        assert PR.build_report(2026, D(2026, 6, 30)).time_progress == Dec(50)
        assert PR.county_progress(2026, D(2026, 6, 30), opts) == ()


# --- the target version in force on the as-of date ---------------------------------------

def _revised_in_may(L):
    """signed_value: v1 10000 set in January, v2 20000 set in May."""
    u, tf1 = L["user"], L["tf1"]
    T.set_target(u, tf1, 2026, "signed_value", "10000")
    T.set_target(u, tf1, 2026, "signed_value", "20000", "年中上调")
    _set_at(tf1, "signed_value", 1, DT(2026, 1, 5, 2))
    _set_at(tf1, "signed_value", 2, DT(2026, 5, 12, 2))


def test_past_view_judges_with_the_version_in_force(db):
    L = build()
    _revised_in_may(L)
    march = PR.build_report(2026, D(2026, 3, 31)).row("TF1").metrics["signed_value"]
    # 3000 signed in Q1 of the March target 10000 (not of the May one, 20000)
    assert (march.target, march.target_version, march.current_target_version) == \
        (Dec(10000), 1, 2)
    assert march.completion == Dec(30) and march.target_superseded
    assert not march.target_before_set
    assert march.checkpoints[0] == Dec(2500) and march.milestones.kaimenhong is True
    alone = PR.task_force_report(L["tf1"], 2026, D(2026, 3, 31)).metrics["signed_value"]
    assert (alone.target, alone.target_version, alone.completion) == (Dec(10000), 1, Dec(30))
    june = PR.build_report(2026, D(2026, 6, 30)).row("TF1").metrics["signed_value"]
    assert (june.target, june.target_version, june.current_target_version) == \
        (Dec(20000), 2, 2)
    assert june.completion == Dec("17.50") and not june.target_superseded
    today = PR.build_report(2026, max(clock.today(), D(2026, 5, 12))).row("TF1")
    assert today.metrics["signed_value"].target_version == 2
    # the city total adds the teams' targets in force
    assert PR.build_report(2026, D(2026, 3, 31)).totals["signed_value"].target == Dec(10000)


def test_version_in_force_is_judged_by_the_local_date(db):
    L = build()
    _revised_in_may(L)
    # 2026-03-31 23:59:59 in Asia/Shanghai is 15:59:59 UTC: in force on 31 March
    _set_at(L["tf1"], "signed_value", 2, DT(2026, 3, 31, 15, 59, 59))
    assert PR.task_force_report(L["tf1"], 2026, D(2026, 3, 31)) \
        .metrics["signed_value"].target_version == 2
    # 16:00 UTC is already 1 April there
    _set_at(L["tf1"], "signed_value", 2, DT(2026, 3, 31, 16))
    m = PR.task_force_report(L["tf1"], 2026, D(2026, 3, 31)).metrics["signed_value"]
    assert (m.target_version, m.current_target_version, m.target) == (1, 2, Dec(10000))
    # to the microsecond, either side of local midnight
    for set_at, in_force in ((DT(2026, 3, 31, 15, 59, 59, 999999), 2),
                             (DT(2026, 3, 31, 16, 0, 0, 1), 1)):
        _set_at(L["tf1"], "signed_value", 2, set_at)
        assert T.targets_in_force(2026, D(2026, 3, 31))[
            (L["tf1"].id, "signed_value")].version == in_force, set_at


def test_view_before_any_version_uses_the_first(db):
    L = build()
    _revised_in_may(L)
    _set_at(L["tf1"], "signed_value", 1, DT(2026, 4, 20, 2))
    m = PR.task_force_report(L["tf1"], 2026, D(2026, 3, 31)).metrics["signed_value"]
    assert (m.target, m.target_version, m.current_target_version) == (Dec(10000), 1, 2)
    assert m.target_before_set and m.target_superseded
    april = PR.task_force_report(L["tf1"], 2026, D(2026, 4, 30)).metrics["signed_value"]
    assert (april.target_version, april.target_before_set) == (1, False)
    no_target = PR.task_force_report(L["tf1"], 2026, D(2026, 3, 31)).metrics["negotiations"]
    assert (no_target.target_version, no_target.target_before_set) == (0, False)


def test_quarter_results_use_the_version_in_force_at_the_quarter_end(db):
    L = build()
    _revised_in_may(L)
    q1 = next(r for r in PR.quarter_results(2026, 1)
              if r.code == "TF1" and r.metric == "signed_value")
    assert (q1.target, q1.target_version, q1.completion) == (Dec(10000), 1, Dec(30))
    q2 = next(r for r in PR.quarter_results(2026, 2)
              if r.code == "TF1" and r.metric == "signed_value")
    assert (q2.target, q2.target_version) == (Dec(20000), 2)


def test_targets_in_force_per_key(db):
    L = build()
    _revised_in_may(L)
    key = (L["tf1"].id, "signed_value")
    found = T.targets_in_force(2026, D(2026, 3, 31), [L["tf1"].id])
    assert (found[key].value, found[key].version, found[key].latest_version) == \
        (Dec(10000), 1, 2)
    assert T.targets_in_force(2026, D(2026, 3, 31), [L["tf2"].id]) == {}
    assert T.targets_in_force(2027, D(2027, 3, 31)) == {}


def test_report_on_the_figures_equals_the_report_on_the_ledger(db, monkeypatch):
    """The maintained figures change where the numbers come from, never the numbers:
    month ends, days inside a month, before and after a 变更 and a 作废."""
    from tracker.services.ledger import corrections
    from tracker.models import FundReceipt
    from tracker.models import Project
    from tracker.services.figures import metrics, from_ledger
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    S = backfill_ledger(ledger_projects)
    L = build()
    _targets(L)
    p1 = Project.get(Project.name == "P1")
    S.update_project(L["user"], p1.id, contract_value="3600", change_kind="change",
                     change_on=D(2026, 4, 10), change_reason="补充协议")
    receipt = FundReceipt.get(FundReceipt.project == p1.id)
    corrections.void(L["user"], p1.id, "funds", receipt.id, reason="重复登记")
    days = (D(2026, 3, 31), D(2026, 4, 9), D(2026, 4, 10), D(2026, 5, 19), D(2026, 9, 9),
            D(2026, 12, 31), D(2025, 12, 15))

    def view(report):
        return ([(r.code, {k: (m.monthly, m.actual, m.status, m.forecast)
                           for k, m in r.metrics.items()}) for r in report.rows],
                report.counties, {k: m.monthly for k, m in report.totals.items()})

    maintained = {day: view(PR.build_report(day.year, day)) for day in days}
    monkeypatch.setattr(metrics, "monthly_actuals", from_ledger.monthly_actuals)
    monkeypatch.setattr(metrics, "county_funds_windows", from_ledger.county_funds_windows)
    for day in days:
        assert maintained[day] == view(PR.build_report(day.year, day)), day


def test_nothing_is_judged_before_time_has_passed(db):
    """Issue 19: on 5 January (month-based time progress 0.00%) no metric or county is
    严重滞后: each says 未到考核时点, and the warnings list nobody as behind. From 31 January
    (one month counted) the same numbers are judged again."""
    L = build()
    _targets(L)
    set_county_target(L["user"], L["c2"], 2026, base="1000", growth_pct="30")
    early = PR.build_report(2026, D(2026, 1, 5))
    assert early.time_progress == Dec(0)
    tf1 = early.row("TF1")
    assert {m.status for m in tf1.metrics.values() if m.target is not None} == {"wait"}
    assert tf1.status == "wait" and tf1.metrics["signed_value"].status_label == "未到考核时点"
    assert [c.status for c in early.counties] == ["wait", "wait"]   # ledger and manual base
    assert [w for w in early.warnings if w.level in ("red", "orange")] == []
    later = PR.build_report(2026, D(2026, 1, 31))
    assert later.time_progress > 0
    assert "wait" not in {m.status for m in later.row("TF1").metrics.values()}
    assert "wait" not in {c.status for c in later.counties}
