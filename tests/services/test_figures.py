"""The maintained monthly figures (tracker/services/figures/monthly.py) against a full
recomputation from the ledger, after seeded random sequences of writes through the
services, on every backend; drift found and repaired by the nightly recompute and by
``flask figures check|rebuild``."""
import datetime
import random
from decimal import Decimal

import pytest

from tests.factories import make_county, make_task_force, make_user
from tracker import clock
from tracker.domain import pipeline
from tracker.domain.errors import ValidationError
from tracker.models import CapitalIncrease, FundReceipt, MonthlyFigure, Project
from tracker.services.ledger import corrections
from tracker.services.figures import (monthly, metrics, from_ledger,
    recompute)
from tests.backfill import ledger as backfill
from tracker.services.ledger import projects

S = backfill(projects)


STEPS = 100
LIVE = pipeline.ORDER   # reserve .. at_capacity


class World:
    """The random writer: people, teams, counties and the projects made so far."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.today = clock.today()
        self.user = make_user("bureau", role="bureau")
        self.teams = [make_task_force("TF1"), make_task_force("TF2"), make_task_force("TF3")]
        self.counties = [make_county("C1"), make_county("C2"), None]
        self.projects = []
        self.n = 0

    def day(self, after=None):
        low = self.today - datetime.timedelta(days=420)
        if after is not None:
            low = max(low, after)
        return low + datetime.timedelta(days=self.rnd.randrange((self.today - low).days + 1))

    def amount(self):
        return f"{self.rnd.randrange(1, 500000) / 100:.2f}"

    def project(self):
        return Project.get_by_id(self.rnd.choice(self.projects)) if self.projects else None


def op_create(w):
    w.n += 1
    stage = w.rnd.choice(LIVE)
    signed = pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED)
    p = S.create_project(w.user, task_force=w.rnd.choice(w.teams), name=f"项目{w.n}",
                         planned_investment=w.amount(), on=w.day(), stage=stage,
                         county=w.rnd.choice(w.counties),
                         contract_value=w.amount() if signed else None)
    w.projects.append(p.id)


def op_stage(w):
    p = w.project()
    target = w.rnd.choice(LIVE + (pipeline.DROPPED,))
    S.change_stage(w.user, p.id, target, on=w.day(), note="随机", reason="随机退库",
                   contract_value=w.amount() if w.rnd.random() < 0.5 else None)


def op_funds(w):
    S.record_funds(w.user, w.project().id, received_on=w.day(), amount=w.amount())


def op_increase(w):
    p = w.project()
    S.add_capital_increase(w.user, p.id, on=w.day(after=p.signed_on), amount=w.amount())


def op_void(w):
    p = w.project()
    kind = w.rnd.choice(("funds", "increase", "stage"))
    if kind == "stage":
        item = corrections.latest_stage_event(p.id)
    else:
        model = FundReceipt if kind == "funds" else CapitalIncrease
        item = model.select().where((model.project == p.id) & model.counted()).first()
    if item is not None:
        corrections.void(w.user, p.id, kind, item.id, reason="随机作废")


def op_amounts(w):
    p = w.project()
    kind = w.rnd.choice(("correction", "change"))
    fields = {"planned_investment": w.amount()}
    if p.contract_value is not None and w.rnd.random() < 0.5:
        fields["contract_value"] = w.amount()
    S.update_project(w.user, p.id, change_kind=kind, change_reason="随机修改",
                     change_on=w.day() if kind == "change" else None, **fields)


def op_move(w):
    p = w.project()
    if w.rnd.random() < 0.5:
        S.update_project(w.user, p.id, task_force=w.rnd.choice(w.teams).id)
    else:
        county = w.rnd.choice(w.counties)
        S.update_project(w.user, p.id, county=county.id if county else None)


def op_expected(w):
    """预计签约日 set, moved (also into the next year) or cleared: the pipeline figures."""
    p = w.project()
    day = None if w.rnd.random() < 0.2 else \
        w.today + datetime.timedelta(days=w.rnd.randrange(-60, 400))
    S.update_project(w.user, p.id, expected_sign_date=day)


OPS = ((op_create, 3), (op_stage, 4), (op_funds, 2), (op_increase, 2), (op_void, 3),
       (op_amounts, 2), (op_move, 1), (op_expected, 2))


def run(world, steps=STEPS):
    """``steps`` random writes; refused ones (ValidationError) write nothing."""
    ops, weights = zip(*OPS)
    done = 0
    for _ in range(steps):
        op = op_create if not world.projects else world.rnd.choices(ops, weights)[0]
        try:
            op(world)
            done += 1
        except ValidationError:
            pass
    return done


def _nonzero(actuals):
    return {gid: per for gid, per in actuals.items()
            if any(v for values in (per.values() if isinstance(per, dict) else [per])
                   for v in values)}


def _as_of_dates(today):
    days = {today, today - datetime.timedelta(days=17), datetime.date(today.year, 1, 1)}
    for back in range(0, 15):
        month_start = (today.replace(day=1) - datetime.timedelta(days=31 * back)).replace(day=1)
        days.add(month_start - datetime.timedelta(days=1))   # a month end
        days.add(month_start + datetime.timedelta(days=13))  # inside a month
    from tracker.models import AmountChange
    for change in AmountChange.select().where(AmountChange.effective_on.is_null(False)):
        days.add(change.effective_on - datetime.timedelta(days=1))   # before a 变更
    return sorted(d for d in days if d <= today)


def assert_earlier_actuals(as_of, days):
    """metrics.earlier_actuals (the report's actuals less what counted after ``day``) gives
    what the ledger counts up to ``day``."""
    year = as_of.year
    now = metrics.monthly_actuals(year, as_of)
    for day in days:
        if day.year == year and day < as_of:
            assert _nonzero(metrics.earlier_actuals(now, year, as_of, day)) == \
                _nonzero(from_ledger.monthly_actuals(year, day)), (as_of, day)


def assert_figures_match_ledger(today):
    assert monthly.check().rows == []
    assert monthly.stored() == monthly.expected()
    for as_of in _as_of_dates(today):
        for year in (as_of.year - 1, as_of.year):
            assert _nonzero(metrics.monthly_actuals(year, as_of)) == \
                _nonzero(from_ledger.monthly_actuals(year, as_of)), (year, as_of)
            assert _nonzero(metrics.county_monthly_funds(year, as_of)) == \
                _nonzero(from_ledger.county_monthly_funds(year, as_of)), (year, as_of)
        assert_earlier_actuals(as_of, [as_of - datetime.timedelta(days=n) for n in (1, 7, 10)])
        windows = {"year": (datetime.date(as_of.year, 1, 1), as_of),
                   "last": (datetime.date(as_of.year - 1, 1, 1),
                            metrics.same_day_last_year(as_of)),
                   "odd": (as_of - datetime.timedelta(days=45), as_of)}
        assert metrics.county_funds_windows(windows) == \
            from_ledger.county_funds_windows(windows), as_of


@pytest.mark.parametrize("seed", [2026, 7])
def test_random_writes_keep_the_figures_equal_to_the_ledger(db, seed):
    world = World(seed)
    assert run(world) > STEPS // 2
    assert_figures_match_ledger(world.today)
    # the Sunday before a week spanning a 变更's effective date: the amount then, not now
    from tracker.models import AmountChange
    changes = [c.effective_on for c in AmountChange.select().where(
        AmountChange.effective_on.between(world.today.replace(month=1, day=1), world.today))]
    assert_earlier_actuals(world.today, [day - datetime.timedelta(days=1) for day in changes])


def _corrupt():
    """One row off by 12.34, one missing, one that should not be there."""
    rows = list(MonthlyFigure.select().where(MonthlyFigure.cents != 0)
                .order_by(MonthlyFigure.id).limit(2))
    MonthlyFigure.update(cents=MonthlyFigure.cents + 1234).where(
        MonthlyFigure.id == rows[0].id).execute()
    MonthlyFigure.delete().where(MonthlyFigure.id == rows[1].id).execute()
    MonthlyFigure.create(scope="task_force", owner=rows[0].owner, metric="negotiations",
                         year=1999, month=1, cents=500)
    return rows


def test_nightly_recompute_reports_and_repairs_drift(db):
    world = World(11)
    run(world, 40)
    first, second = _corrupt()
    found = monthly.check()
    assert found.drifted == 3 and not found.repaired
    assert (first.key, first.cents + 1234, first.cents) in found.rows
    assert (second.key, 0, second.cents) in found.rows
    result = recompute.recompute(world.today)
    assert result.figures.drifted == 3 and result.figures.repaired
    assert "月度数据偏差 3 行（已修复）" in result.summary()
    assert_figures_match_ledger(world.today)
    again = recompute.recompute(world.today)
    assert again.figures.rows == [] and "无偏差" in again.summary()


def test_a_move_to_another_task_force_moves_its_figures_at_once(db):
    world = World(3)
    today = world.today
    tf1, tf2 = world.teams[:2]
    p = S.create_project(world.user, task_force=tf1, name="迁移", planned_investment="100",
                         on=today, stage=pipeline.SIGNED, contract_value="80",
                         county=world.counties[0])
    S.record_funds(world.user, p.id, received_on=today, amount="30")
    S.update_project(world.user, p.id, task_force=tf2.id, county=world.counties[1].id)
    got = metrics.monthly_actuals(today.year, today)
    assert tf1.id not in got
    assert sum(got[tf2.id]["signed_value"]) == Decimal("80.00")
    assert sum(got[tf2.id]["funds_received"]) == Decimal("30.00")
    assert set(metrics.county_monthly_funds(today.year, today)) == {world.counties[1].id}
    assert_figures_match_ledger(today)


def test_figures_cli_checks_and_rebuilds(app, db):
    world = World(5)
    run(world, 30)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["figures", "check"])
    assert ok.exit_code == 0 and "无偏差" in ok.output
    _corrupt()
    bad = runner.invoke(args=["figures", "check"])
    assert bad.exit_code == 1 and "月度数据偏差 3 行（未修复）" in bad.output
    fixed = runner.invoke(args=["figures", "rebuild"])
    assert fixed.exit_code == 0 and "已修复" in fixed.output
    assert runner.invoke(args=["figures", "check"]).exit_code == 0
    assert_figures_match_ledger(world.today)
